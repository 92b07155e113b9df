package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/gen"
)

// gen writes example data: churn (binary) or plans (three classes).
func (m *Main) gen(ctx context.Context, args []string) error {
	fs := newFlags("gen")
	rows := fs.Int("rows", 5000, "number of rows")
	seed := fs.Int64("seed", 1, "random seed: the same seed gives the same data")
	out := fs.String("o", "", "output CSV (default stdout)")
	var drifts driftFlag
	fs.Var(&drifts, "drift", "drift the data: "+gen.DriftUsage+" (repeatable)")
	driftCol := fs.String("drift-column", "", "column a --drift without its own :COLUMN changes (default: the first that fits)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (pos[0] != "churn" && pos[0] != "plans") {
		return usageErr("usage: mlpipe gen churn|plans --rows N --seed S [-o file.csv] [--drift KIND:AMOUNT]...\n" +
			"  churn: customers and whether they churned (binary)\n" +
			"  plans: customers and the plan they chose: basic, plus or premium (3 classes)")
	}
	if *rows <= 0 {
		return usageErr("--rows must be positive")
	}
	var buf bytes.Buffer
	if pos[0] == "plans" {
		err = gen.Plans(&buf, *rows, *seed)
	} else {
		err = gen.Churn(&buf, *rows, *seed, time.Now().UTC())
	}
	if err != nil {
		return err
	}
	if len(drifts) > 0 {
		o := gen.ChurnDriftOptions(*seed)
		if pos[0] == "plans" {
			o = gen.DriftOptions{Label: "plan", Positive: gen.PlanClasses[len(gen.PlanClasses)-1], Negative: gen.PlanClasses[0], Seed: *seed}
		}
		var drifted bytes.Buffer
		if err := gen.DriftCSV(&buf, &drifted, drifts.withColumn(*driftCol), o); err != nil {
			return usageErr("%v", err)
		}
		buf.Reset()
		buf.Write(drifted.Bytes())
	}
	if *out == "" {
		_, err := m.Stdout.Write(buf.Bytes())
		return err
	}
	if err := os.MkdirAll(dirOf(*out), 0o755); err != nil {
		return err
	}
	return writeFileAtomic(*out, buf.Bytes())
}

// driftFlag collects repeated --drift KIND:AMOUNT[:COLUMN] values.
type driftFlag []gen.Drift

func (d *driftFlag) String() string {
	var parts []string
	for _, x := range *d {
		parts = append(parts, x.String())
	}
	return strings.Join(parts, ",")
}

func (d *driftFlag) Set(s string) error {
	x, err := gen.ParseDrift(s)
	if err != nil {
		return err
	}
	*d = append(*d, x)
	return nil
}

// withColumn gives every drift that names no column the --drift-column.
func (d driftFlag) withColumn(col string) []gen.Drift {
	out := slices.Clone(d)
	for i := range out {
		if out[i].Column == "" {
			out[i].Column = col
		}
	}
	return out
}

func dirOf(path string) string { return filepath.Dir(path) }
