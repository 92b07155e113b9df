package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/profile"
	"github.com/mlpipe/mlpipe/internal/registry"
)

// ValidateData runs the expectations and the seed's checks (schema,
// completeness, freshness) on the dataset in the data plane, and stores
// the JSON report and the HTML data doc side by side. An error-severity
// failure is non-retryable: its message names each failing column, check
// and count, and the data doc; warning-severity failures come back in the
// result. A suite that does not fit the data (a missing column, a type
// mismatch, a bad regex or row_condition) is refused before scanning.
func (a *Activities) ValidateData(ctx context.Context, in ValidateDataInput) (ValidateDataResult, error) {
	attempt := activity.GetInfo(ctx).Attempt
	// A killed worker is noticed within the stage's heartbeat timeout,
	// not only at its 30-minute timeout.
	defer startHeartbeat(ctx, TrialHeartbeatInterval, nil).stop()
	if err := in.Checks.Validate(); err != nil {
		return ValidateDataResult{}, invalid("validation checks: %v", err)
	}
	if err := expect.ValidateAll(in.Expectations); err != nil {
		return ValidateDataResult{}, invalid("expectations: %v", err)
	}
	env := expect.Env{Now: in.Now}
	if env.Now.IsZero() {
		// A workflow started before the start time was passed.
		env.Now = time.Now()
	}
	if in.Dataset.Source != nil {
		env.ModTime = in.Dataset.Source.ModTime
	}
	if in.Reference == nil && in.Model != "" && usesReference(in.Expectations) {
		// The data the production model was trained on is what a new
		// batch is compared with.
		v, ok, err := a.Registry.Alias(ctx, in.Model, registry.AliasProduction)
		if err != nil {
			return ValidateDataResult{}, fmt.Errorf("validation: the reference profile of %s: %w", in.Model, err)
		}
		if ok && v.Profile != nil {
			in.Reference = v.Profile
		}
	}
	if in.Reference != nil {
		ref, err := readReferenceProfile(ctx, *in.Reference)
		if err != nil {
			return ValidateDataResult{}, err
		}
		env.Reference = ref
	}
	// The result depends on the data, the suite, the reference it compares
	// with and, through freshness, on this run's start: a recorded pass is
	// taken only once its freshness holds against this run's start too.
	var refDigest string
	if in.Reference != nil {
		refDigest = in.Reference.SHA256
	}
	cacheK, err := cacheKey(cacheValidation, in.Dataset.Ref.SHA256, in.Expectations, in.Checks, refDigest)
	if err != nil {
		return ValidateDataResult{}, err
	}
	var rec validationRecord
	if from, ok := a.cached(ctx, in.Cache, cacheValidation, cacheK, &rec); ok {
		if note, fresh := freshAgain(in.Checks.Freshness, env, rec.Newest); fresh {
			from.Note = note
			rec.Result.Attempt, rec.Result.Cached = attempt, from
			return rec.Result, nil
		}
		// Too old for this run: validate in full, so the report says so.
	}
	rep, err := validateDataset(ctx, in.Dataset, in.Expectations, in.Checks, env)
	if err != nil {
		return ValidateDataResult{}, err
	}
	key := fmt.Sprintf("reports/validation/%s/%s", in.Dataset.Ref.SHA256[:16], digestJSON(in.Expectations, in.Checks, in.Reference)[:16])
	reportRef, docRef, err := a.storeValidation(ctx, key, rep)
	if err != nil {
		return ValidateDataResult{}, err
	}
	warnings := rep.Warnings()
	if !rep.Success {
		var failures []string
		for _, f := range rep.Failures() {
			failures = append(failures, f.Line())
		}
		return ValidateDataResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s (report: %s; data doc: %s)", rep.Summary(), reportRef.URI, docRef.URI), ErrValidationFailed, nil,
			reportRef, ValidationFailure{Report: reportRef, DataDoc: docRef, Failures: failures, Warnings: warnings})
	}
	if len(warnings) > 0 {
		activity.GetLogger(ctx).Warn("data validation passed with warnings", slog.Int("warnings", len(warnings)), slog.String("data_doc", docRef.URI))
	}
	res := ValidateDataResult{Report: reportRef, DataDoc: docRef, Evaluated: rep.Evaluated(), Failed: rep.Failed(), Warnings: warnings}
	a.record(ctx, cacheValidation, cacheK, []artifact.Ref{reportRef, docRef}, validationRecord{Result: res, Newest: newestOf(rep)})
	res.Attempt = attempt
	return res, nil
}

// validationRecord is a passed validation as the stage cache keeps it:
// with the newest timestamp the freshness check saw, so a later run can
// judge freshness against its own start without scanning again.
type validationRecord struct {
	Result ValidateDataResult `json:"result"`
	Newest time.Time          `json:"newest,omitzero"`
}

// newestOf is the timestamp a report's freshness check judged, if any.
func newestOf(rep expect.Report) time.Time {
	for _, r := range rep.Results {
		if r.Config.Type != expect.CheckFreshness {
			continue
		}
		if s, ok := r.Result.ObservedValue.(string); ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

// freshAgain judges a recorded validation's freshness against this run's
// start (env.Now): the column's newest value as recorded, or the source's
// modification time as this run's ingestion read it. It says false when
// the data is now too old, or the time to judge is unknown; the stage then
// validates in full.
func freshAgain(f *expect.Freshness, env expect.Env, newest time.Time) (string, bool) {
	if f == nil {
		return "", true
	}
	maxAge, err := time.ParseDuration(f.MaxAge)
	if err != nil {
		return "", false
	}
	what, at := "newest "+f.Column, newest
	if f.Column == "" {
		what, at = "source modified", env.ModTime
	}
	if at.IsZero() {
		return "", false
	}
	age := env.Now.Sub(at)
	if age > maxAge {
		return "", false
	}
	return fmt.Sprintf("freshness judged against this run's start: %s %s is %.1f days old <= %s",
		what, at.UTC().Format(time.RFC3339), age.Hours()/24, f.MaxAge), true
}

// validateDataset loads the dataset into a fresh engine and runs the suite.
func validateDataset(ctx context.Context, ds Dataset, exps []expect.Expectation, checks expect.Checks, env expect.Env) (expect.Report, error) {
	path, cleanup, err := dataplane.Fetch(ctx, ds.Ref)
	if err != nil {
		return expect.Report{}, dataError("read dataset", err)
	}
	defer cleanup()
	eng, err := dataplane.Open(dataplane.Options{})
	if err != nil {
		return expect.Report{}, err
	}
	defer eng.Close()
	// The Parquet that ingestion stores is typed already: it is scanned
	// where it lies, never copied into the engine. Anything else (a CSV
	// stored before ingestion wrote Parquet) is loaded by mlpipe's rules.
	rel := "read_parquet(" + dataplane.Quote(path) + ")"
	if isParquet, err := hasParquetMagic(path); err != nil {
		return expect.Report{}, fmt.Errorf("read dataset %s: %w", ds.Ref.URI, err)
	} else if !isParquet {
		t, err := eng.Load(ctx, path, dataplane.LoadOptions{Source: ds.Ref.URI})
		if err != nil {
			return expect.Report{}, dataError("read dataset", err)
		}
		rel = t.Name
		env.NotNumbers = map[string]string{}
		for _, c := range t.Columns {
			if c.NotNumbers != "" {
				env.NotNumbers[c.Name] = c.NotNumbers
			}
		}
	}
	rep, err := expect.Evaluate(ctx, expect.Data{DB: eng.DB(), Relation: rel, Name: ds.Ref.URI}, exps, checks, env)
	if expect.IsSuiteError(err) {
		return expect.Report{}, invalid("expectations: %v", err)
	}
	if err != nil {
		return expect.Report{}, fmt.Errorf("validate %s: %w", ds.Ref.URI, err)
	}
	return rep, nil
}

// hasParquetMagic reports whether the file starts as Parquet does.
func hasParquetMagic(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, err
	}
	return string(head[:n]) == "PAR1", nil
}

// storeValidation writes the JSON report and the HTML data doc beside it.
func (a *Activities) storeValidation(ctx context.Context, key string, rep expect.Report) (report, doc artifact.Ref, err error) {
	body, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return report, doc, fmt.Errorf("encode validation report: %w", err)
	}
	page, err := expect.DataDoc(rep)
	if err != nil {
		return report, doc, err
	}
	if report, err = artifact.PutBytes(ctx, a.Store, key+".json", body, "application/json"); err != nil {
		return report, doc, fmt.Errorf("store validation report: %w", err)
	}
	if doc, err = artifact.PutBytes(ctx, a.Store, key+".html", page, "text/html; charset=utf-8"); err != nil {
		return report, doc, fmt.Errorf("store data doc: %w", err)
	}
	return report, doc, nil
}

// readReferenceProfile reads a stored reference profile.
func readReferenceProfile(ctx context.Context, ref artifact.Ref) (*profile.Profile, error) {
	b, err := artifact.ReadAll(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("read reference profile %s: %w", ref.URI, err)
	}
	var p profile.Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, invalid("reference profile %s is not a profile: %v", ref.URI, err)
	}
	if p.Version > profile.Version {
		return nil, invalid("reference profile %s has format version %d; this worker reads up to %d: upgrade the worker", ref.URI, p.Version, profile.Version)
	}
	return &p, nil
}

// usesReference says whether a suite compares with a reference profile.
func usesReference(exps []expect.Expectation) bool {
	return slices.ContainsFunc(exps, func(e expect.Expectation) bool { return e.Type == expect.PSILessThan })
}
