package activities_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/expect"
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
	assert.Equal(t, 3, rep.Evaluated)
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

	// The report is stored even though validation failed, and the error
	// carries its reference.
	var ref artifact.Ref
	require.NoError(t, ae.Details(&ref))
	assert.Contains(t, ae.Error(), ref.URI)
	assert.Len(t, keys(t, store, "reports/validation/"), 1)
	rep := report(t, ref)
	assert.False(t, rep.Success)
	assert.Equal(t, 1, rep.Failed)
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
