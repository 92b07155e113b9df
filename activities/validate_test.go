package activities_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/registry"
)

func ageChecks() []expect.Expectation {
	lo, hi := 0.0, 150.0
	return []expect.Expectation{
		{Type: expect.ValuesNotNull, Column: "id"},
		{Type: expect.ValuesBetween, Column: "age", Min: &lo, Max: &hi},
	}
}

func ingestText(t *testing.T, acts *activities.Activities, csv string) activities.Dataset {
	t.Helper()
	res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData,
		activities.IngestDataInput{Pipeline: "people", Source: writeFile(t, "people.csv", []byte(csv))})
	require.NoError(t, err)
	return res.Dataset
}

// report reads a stored validation report.
func report(t *testing.T, ref artifact.Ref) expect.Report {
	t.Helper()
	b, err := artifact.ReadAll(context.Background(), ref)
	require.NoError(t, err)
	var rep expect.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	return rep
}

func TestValidateDataPasses(t *testing.T) {
	acts, _ := newActs(t)
	ds := ingestText(t, acts, "id,age\n1,30\n2,41\n3,150\n")
	res, err := execute[activities.ValidateDataResult](t, acts, acts.ValidateData,
		activities.ValidateDataInput{Dataset: ds, Expectations: ageChecks(),
			Checks: expect.Checks{Schema: map[string]string{"age": "float"}}})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Evaluated, "two expectations and one schema check")
	assert.Zero(t, res.Failed)
	rep := report(t, res.Report)
	assert.True(t, rep.Success)
	assert.Equal(t, 3, rep.Statistics.Evaluated)
	doc, err := artifact.ReadAll(context.Background(), res.DataDoc)
	require.NoError(t, err)
	assert.Contains(t, string(doc), ">PASSED<", "the data doc is stored beside the report")
}

func TestValidateDataFailsNamingColumnCheckAndCount(t *testing.T) {
	acts, store := newActs(t)
	ds := ingestText(t, acts, "id,age\n1,30\n2,200\n3,41\n4,\n")
	_, err := execute[activities.ValidateDataResult](t, acts, acts.ValidateData,
		activities.ValidateDataInput{Dataset: ds, Expectations: ageChecks()})
	ae := appError(t, err, activities.ErrValidationFailed)
	assert.Contains(t, ae.Error(), "data validation failed: 1 of 2 checks failed: age: expect_column_values_to_be_between, 1 unexpected of 4")
	assert.Contains(t, ae.Error(), "200")
	assert.NotContains(t, ae.Error(), "data validation failed: data validation failed", "the summary is not repeated")

	// The report and the data doc are stored even though validation
	// failed, and the error carries their references.
	var ref artifact.Ref
	var failure activities.ValidationFailure
	require.NoError(t, ae.Details(&ref, &failure))
	assert.Contains(t, ae.Error(), "report: "+ref.URI)
	assert.Contains(t, ae.Error(), "data doc: "+failure.DataDoc.URI)
	assert.Len(t, keys(t, store, "reports/validation/"), 2)
	rep := report(t, ref)
	assert.False(t, rep.Success)
	assert.Equal(t, 1, rep.Statistics.Unsuccessful)
	assert.Equal(t, []string{"age: expect_column_values_to_be_between, 1 unexpected of 4 (33.33% of 3 non-null values outside [0, 150]; e.g. 200) [expectations[2]]"}, failure.Failures)
	doc, err := artifact.ReadAll(context.Background(), failure.DataDoc)
	require.NoError(t, err)
	assert.Contains(t, string(doc), ">FAILED<")
}

// A warning-severity failure lets the stage pass and comes back in its result.
func TestValidateDataCarriesWarnings(t *testing.T) {
	acts, _ := newActs(t)
	ds := ingestText(t, acts, "id,age\n1,30\n1,41\n")
	res, err := execute[activities.ValidateDataResult](t, acts, acts.ValidateData, activities.ValidateDataInput{Dataset: ds,
		Expectations: []expect.Expectation{{Type: expect.ValuesUnique, Column: "id", Severity: expect.SeverityWarning}}})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Failed)
	assert.Equal(t, []string{"id: expect_column_values_to_be_unique, 2 unexpected of 2 (100% of 2 non-null values duplicated; e.g. 1, 1) [expectations[1]]"}, res.Warnings)
	assert.NotEmpty(t, res.DataDoc.URI)
}

// An expectation on a missing column or of the wrong type is bad input,
// refused without a retry before any row is scanned.
func TestValidateDataRefusesASuiteThatDoesNotFit(t *testing.T) {
	acts, store := newActs(t)
	ds := ingestText(t, acts, "id,plan\n1,basic\n")
	lo := 0.0
	_, err := execute[activities.ValidateDataResult](t, acts, acts.ValidateData, activities.ValidateDataInput{Dataset: ds,
		Expectations: []expect.Expectation{{Type: expect.ValuesNotNull, Column: "age"}, {Type: expect.ValuesBetween, Column: "plan", Min: &lo}}})
	ae := appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), `expectations[1] (expect_column_values_to_not_be_null): column "age" is not in the data; the columns are id, plan`)
	assert.Contains(t, ae.Error(), `expectations[2] (expect_column_values_to_be_between): column "plan" is VARCHAR (string), but expect_column_values_to_be_between needs a numeric column`)
	assert.Empty(t, keys(t, store, "reports/"))
}

// Freshness with no column is the source's modification time measured
// against the pipeline's start time, not the worker's clock.
func TestValidateDataFreshnessUsesThePipelineStart(t *testing.T) {
	acts, _ := newActs(t)
	ds := ingestText(t, acts, "id\n1\n")
	require.NotNil(t, ds.Source)
	modified := ds.Source.ModTime
	require.False(t, modified.IsZero())
	checks := expect.Checks{Freshness: &expect.Freshness{MaxAge: "72h"}}
	_, err := execute[activities.ValidateDataResult](t, acts, acts.ValidateData,
		activities.ValidateDataInput{Dataset: ds, Checks: checks, Now: modified.Add(100 * time.Hour)})
	ae := appError(t, err, activities.ErrValidationFailed)
	assert.Contains(t, ae.Error(), "table: freshness (source modified ")
	assert.Contains(t, ae.Error(), " is 100h old > 72h) [validation.freshness]")

	_, err = execute[activities.ValidateDataResult](t, acts, acts.ValidateData,
		activities.ValidateDataInput{Dataset: ds, Checks: checks, Now: modified.Add(time.Hour)})
	require.NoError(t, err)
}

func TestValidateDataRefusesBadChecks(t *testing.T) {
	acts, store := newActs(t)
	ds := ingestText(t, acts, "id,age\n1,30\n")
	_, err := execute[activities.ValidateDataResult](t, acts, acts.ValidateData, activities.ValidateDataInput{
		Dataset: ds, Checks: expect.Checks{Completeness: &expect.Completeness{MaxNullFraction: 2}},
	})
	ae := appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), "validation checks: checks: completeness.max_null_fraction must be in [0, 1], got 2")
	assert.Empty(t, keys(t, store, "reports/"), "no report for a check that could not run")
}

// The Parquet ingestion stores is validated where it lies, by the same rules.
func TestValidateDataScansStoredParquet(t *testing.T) {
	acts, store := newActs(t)
	ctx := context.Background()
	dir := t.TempDir()
	csv := filepath.Join(dir, "people.csv")
	require.NoError(t, os.WriteFile(csv, []byte("id,age\n1,30\n2,200\n3,41\n4,\n"), 0o644))
	eng, err := dataplane.Open(dataplane.Options{})
	require.NoError(t, err)
	defer eng.Close()
	tbl, err := eng.Load(ctx, csv, dataplane.LoadOptions{})
	require.NoError(t, err)
	pq := filepath.Join(dir, "people.parquet")
	require.NoError(t, eng.WriteParquet(ctx, tbl, pq))
	b, err := os.ReadFile(pq)
	require.NoError(t, err)
	ref, err := artifact.PutBytes(ctx, store, "datasets/people/raw.parquet", b, "application/vnd.apache.parquet")
	require.NoError(t, err)
	_, err = execute[activities.ValidateDataResult](t, acts, acts.ValidateData,
		activities.ValidateDataInput{Dataset: activities.Dataset{Ref: ref, Rows: 4, Columns: []string{"id", "age"}}, Expectations: ageChecks()})
	ae := appError(t, err, activities.ErrValidationFailed)
	assert.Contains(t, ae.Error(), "age: expect_column_values_to_be_between, 1 unexpected of 4 (33.33% of 3 non-null values outside [0, 150]; e.g. 200) [expectations[2]]")
}

// expect_column_psi_to_be_less_than compares with the reference profile
// passed in; with none it is skipped, and passes.
func TestValidateDataComparesWithTheReferenceProfile(t *testing.T) {
	acts, store := newActs(t)
	ds := ingestText(t, acts, "id,age\n1,30\n2,31\n3,32\n4,33\n")
	psi := []expect.Expectation{{Type: expect.PSILessThan, Column: "age"}}
	res, err := execute[activities.ValidateDataResult](t, acts, acts.ValidateData, activities.ValidateDataInput{Dataset: ds, Expectations: psi})
	require.NoError(t, err)
	rep := report(t, res.Report)
	assert.Equal(t, "no reference profile yet", rep.Results[0].Skipped)

	// The reference saw ages around 60: today's are all below its first bin.
	ref, err := artifact.PutBytes(context.Background(), store, "profiles/ref.json",
		[]byte(`{"version": 1, "rows": 100, "columns": [{"name": "age", "kind": "float", "edges": [55, 60, 65], "counts": [50, 50]}]}`), "application/json")
	require.NoError(t, err)
	_, err = execute[activities.ValidateDataResult](t, acts, acts.ValidateData, activities.ValidateDataInput{Dataset: ds, Expectations: psi, Reference: &ref})
	ae := appError(t, err, activities.ErrValidationFailed)
	assert.Contains(t, ae.Error(), "age: expect_column_psi_to_be_less_than (PSI ")
	assert.Contains(t, ae.Error(), ">= 0.25 over 2 bins of the reference profile) [expectations[1]]")
}

// In a pipeline the reference is the profile the registry keeps with the
// model's production version: a batch of new data whose ages moved is
// refused by the PSI expectation without the spec naming any profile.
func TestValidateDataComparesWithTheProductionVersionsProfile(t *testing.T) {
	acts, store := newActs(t)
	ctx := context.Background()
	ds := ingestText(t, acts, "id,age\n1,30\n2,31\n3,32\n4,33\n")
	psi := []expect.Expectation{{Type: expect.PSILessThan, Column: "age"}}
	in := activities.ValidateDataInput{Dataset: ds, Expectations: psi, Model: "churn"}

	// No production version yet: skipped, as for a first model.
	res, err := execute[activities.ValidateDataResult](t, acts, acts.ValidateData, in)
	require.NoError(t, err)
	assert.Equal(t, "no reference profile yet", report(t, res.Report).Results[0].Skipped)

	ref, err := artifact.PutBytes(ctx, store, "profiles/prod.json",
		[]byte(`{"version": 1, "rows": 100, "columns": [{"name": "age", "kind": "float", "edges": [55, 60, 65], "counts": [50, 50]}]}`), "application/json")
	require.NoError(t, err)
	model, err := artifact.PutBytes(ctx, store, "models/churn/bundle.json", []byte(`{}`), "application/json")
	require.NoError(t, err)
	v, err := acts.Registry.Register(ctx, registry.Version{Name: "churn", Model: model, Profile: &ref})
	require.NoError(t, err)
	require.NoError(t, acts.Registry.Promote(ctx, "churn", v.Version))

	_, err = execute[activities.ValidateDataResult](t, acts, acts.ValidateData, in)
	ae := appError(t, err, activities.ErrValidationFailed)
	assert.Contains(t, ae.Error(), "age: expect_column_psi_to_be_less_than (PSI ")
}
