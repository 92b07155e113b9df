package activities_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/features"
)

// The feature stage reads its Parquet dataset a column at a time; every
// file of the version it writes (matrices, the held-out raw rows, the
// transform) has the bytes the row-by-row reader gave, for listed columns
// and kind blocks, and for data with nulls in numbers, text and times.
func TestEngineerFeaturesColumnReaderWritesTheRowReadersBytes(t *testing.T) {
	oddCSV := "id,amount,plan,seen,flag,churned\n"
	for i := range 600 {
		amount, plan, seen, flag := "", "", "", ""
		if i%7 != 0 {
			amount = []string{"1.5", "-0", "0", "2e3", "17", "-4.25"}[i%6]
		}
		if i%5 != 0 {
			plan = []string{"basic", "plus", "prémium", "a plan with a long name"}[i%4]
		}
		if i%6 != 0 {
			seen = []string{"2026-01-02", "2025-12-31T23:59:59Z", "1999-03-04 05:06:07.123456", "2026-11-30"}[i%4]
		}
		if i%3 != 0 {
			flag = []string{"true", "false"}[i%2]
		}
		oddCSV += "c" + string(rune('a'+i%26)) + "-" + strconv.Itoa(i) + "," + amount + "," + plan + "," + seen + "," + flag + "," + []string{"yes", "no"}[i*7%3%2] + "\n"
	}
	kinds := features.Spec{
		Target: "churned", Positive: "yes", Exclude: []string{"customer_id"},
		Split:       features.SplitSpec{TestSize: 0.25, Seed: 3},
		Numeric:     &features.KindSpec{Impute: features.ImputeMedian, Scale: features.ScaleStandard},
		Categorical: &features.KindSpec{Impute: features.ImputeMostFrequent, Encode: features.EncodeOneHot},
		Time:        &features.KindSpec{Impute: features.ImputeMean, Scale: features.ScaleStandard},
	}
	oddKinds := kinds
	oddKinds.Exclude = []string{"id"}
	for name, c := range map[string]struct {
		csv  []byte
		spec features.Spec
	}{
		"churn, listed columns": {churnCSV(t, 3000, genTime), churnFeatures()},
		"churn, kind blocks":    {churnCSV(t, 3000, genTime), kinds},
		"nulls in every kind":   {[]byte(oddCSV), oddKinds},
	} {
		t.Run(name, func(t *testing.T) {
			run := func() activities.FeatureSet {
				acts, _ := newActs(t)
				res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, activities.IngestDataInput{
					Pipeline: "churn", Source: writeFile(t, "data.csv", c.csv), Target: "churned",
				})
				require.NoError(t, err)
				return engineer(t, acts, res.Dataset, c.spec)
			}
			columns := run()
			restore := activities.ReadFeaturePartsRowByRow()
			rows := run()
			restore()
			require.NotZero(t, columns.TestRows)
			assert.Equal(t, rows.Features, columns.Features)
			assert.Equal(t, rows.Train.SHA256, columns.Train.SHA256, "train.matrix")
			assert.Equal(t, rows.Test.SHA256, columns.Test.SHA256, "test.matrix")
			assert.Equal(t, rows.TestRaw.SHA256, columns.TestRaw.SHA256, "test_raw.csv")
			assert.Equal(t, rows.Transform.SHA256, columns.Transform.SHA256, "transform.json")
		})
	}
}
