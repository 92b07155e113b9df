package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/profile"
)

// suiteFile is a suite for `mlpipe validate`: the pipeline spec's
// expectations and its validation block (also accepted as checks).
type suiteFile struct {
	Expectations []expect.Expectation `yaml:"expectations"`
	Validation   *expect.Checks       `yaml:"validation"`
	Checks       *expect.Checks       `yaml:"checks"`
}

// validate runs a suite on a local file outside Temporal, for users' own
// CI: exit 0 when it passes (warnings included), 1 when an error-severity
// expectation fails, 2 when the suite or the data is bad input.
func (m *Main) validate(ctx context.Context, args []string) error {
	fs := newFlags("validate")
	suitePath := fs.String("suite", "", "the suite: YAML with expectations: and validation: (or checks:), as in a pipeline spec")
	asJSON := fs.Bool("json", false, "print the report as JSON (Great Expectations' result format)")
	docPath := fs.String("doc", "", "also write the HTML data doc to this file")
	refPath := fs.String("reference", "", "a reference profile (JSON) for expect_column_psi_to_be_less_than")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *suitePath == "" || len(pos) != 1 {
		return usageErr("usage: mlpipe validate --suite suite.yaml DATA [--json] [--doc out.html]")
	}
	suite, err := readSuite(*suitePath)
	if err != nil {
		return usageErr("%v", err)
	}
	data := strings.TrimPrefix(pos[0], "file://")
	info, err := os.Stat(data)
	if err != nil {
		return usageErr("data %s: %v", data, err)
	}
	env := expect.Env{Now: time.Now(), ModTime: info.ModTime()}
	if *refPath != "" {
		if env.Reference, err = readReference(*refPath); err != nil {
			return usageErr("%v", err)
		}
	}
	checks := expect.Checks{}
	if suite.Validation != nil {
		checks = *suite.Validation
	}
	if suite.Checks != nil {
		checks = *suite.Checks
	}
	eng, err := dataplane.Open(dataplane.Options{})
	if err != nil {
		return err
	}
	defer eng.Close()
	rep, err := evaluateFile(ctx, eng, data, suite.Expectations, checks, env)
	var de *frame.DataError
	if errors.As(err, &de) {
		return usageErr("%v", err)
	}
	if expect.IsSuiteError(err) {
		return usageErr("%s: %v", *suitePath, err)
	}
	if err != nil {
		return err
	}
	if *docPath != "" {
		page, err := expect.DataDoc(rep)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*docPath, page, 0o644); err != nil {
			return fmt.Errorf("write data doc: %w", err)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // row conditions keep their < and >
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("encode report: %w", err)
		}
	} else {
		printResults(m, rep, *docPath)
	}
	if !rep.Success {
		return &exitError{code: exitFailure, msg: fmt.Sprintf("%d of %d expectations failed", len(rep.Failures()), rep.Statistics.Evaluated)}
	}
	return nil
}

// evaluateFile types the file by mlpipe's rules and runs the suite on it.
// A plain CSV is validated through a view of the file, read by the scan,
// rather than copied into the engine first.
func evaluateFile(ctx context.Context, eng *dataplane.Engine, data string, exps []expect.Expectation, checks expect.Checks, env expect.Env) (expect.Report, error) {
	t, err := eng.Load(ctx, data, dataplane.LoadOptions{Source: data, Lazy: true})
	if err != nil {
		return expect.Report{}, err
	}
	env.NotNumbers = map[string]string{}
	for _, c := range t.Columns {
		if c.NotNumbers != "" {
			env.NotNumbers[c.Name] = c.NotNumbers
		}
	}
	return expect.Evaluate(ctx, expect.Data{DB: eng.DB(), Relation: t.Name, Name: data, Rows: t.Rows}, exps, checks, env)
}

func printResults(m *Main, rep expect.Report, doc string) {
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tWHERE\tEXPECTATION\tCOLUMN\tRESULT")
	for _, r := range rep.Results {
		status := "ok"
		switch {
		case r.Skipped != "":
			status = "skipped"
		case r.Success:
		case r.IsWarning():
			status = "WARN"
		default:
			status = "FAIL"
		}
		col := r.Column()
		if col == "" {
			col = "-"
		}
		msg := r.Message
		if !r.Success {
			msg = strings.TrimPrefix(r.Line(), col+": "+r.Type()+", ")
			msg = strings.TrimSuffix(msg, " ["+r.Where+"]")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", status, r.Where, r.Type(), col, msg)
	}
	tw.Flush()
	st := rep.Statistics
	verdict := "passed"
	if !rep.Success {
		verdict = "FAILED"
	}
	fmt.Fprintf(m.Stdout, "\n%s: %d rows, %d of %d expectations succeeded (%.1f%%), %d warning(s)\n",
		verdict, rep.Meta.Rows, st.Successful, st.Evaluated, st.SuccessPercent, st.Warnings)
	if doc != "" {
		fmt.Fprintf(m.Stdout, "data doc: %s\n", doc)
	}
}

// unknownKey finds the line and key in yaml.v3's complaint about a key no
// field takes.
var unknownKey = regexp.MustCompile(`line (\d+): field (\S+) not found in type`)

func readSuite(path string) (suiteFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return suiteFile{}, fmt.Errorf("suite: %w", err)
	}
	var s suiteFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		if m := unknownKey.FindStringSubmatch(err.Error()); m != nil {
			return suiteFile{}, fmt.Errorf("suite %s: line %s: unknown key %q: a suite has expectations: and validation: (or checks:)", path, m[1], m[2])
		}
		return suiteFile{}, fmt.Errorf("suite %s: %v", path, err)
	}
	if s.Validation != nil && s.Checks != nil {
		return suiteFile{}, fmt.Errorf("suite %s: write validation: or checks:, not both", path)
	}
	if len(s.Expectations) == 0 && s.Validation == nil && s.Checks == nil {
		return suiteFile{}, fmt.Errorf("suite %s: no expectations and no checks: list them under expectations: (and validation:)", path)
	}
	return s, nil
}

func readReference(path string) (*profile.Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	var p profile.Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("reference %s is not a profile: %v", path, err)
	}
	return &p, nil
}
