package gen

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func churnRecords(t *testing.T, drifts ...string) ([]string, [][]string) {
	t.Helper()
	var clean, out bytes.Buffer
	require.NoError(t, Churn(&clean, 4000, 3, time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)))
	var ds []Drift
	for _, s := range drifts {
		d, err := ParseDrift(s)
		require.NoError(t, err)
		ds = append(ds, d)
	}
	require.NoError(t, DriftCSV(&clean, &out, ds, ChurnDriftOptions(3)))
	recs, err := csv.NewReader(&out).ReadAll()
	require.NoError(t, err)
	return recs[0], recs[1:]
}

func columnMean(rows [][]string, j int) (mean float64, nulls int) {
	var n int
	for _, r := range rows {
		v, err := strconv.ParseFloat(r[j], 64)
		if err != nil {
			nulls++
			continue
		}
		mean += v
		n++
	}
	return mean / float64(n), nulls
}

func share(rows [][]string, j int, v string) float64 {
	var n int
	for _, r := range rows {
		if r[j] == v {
			n++
		}
	}
	return float64(n) / float64(len(rows))
}

func TestDriftKinds(t *testing.T) {
	h, clean := churnRecords(t)
	charges := indexOf(h, "monthly_charges")
	base, _ := columnMean(clean, charges)
	sd, _ := numbers(clean, charges)
	std := stddev(sd)

	_, shifted := churnRecords(t, "mean_shift:1:monthly_charges")
	m, _ := columnMean(shifted, charges)
	assert.InDelta(t, base+std, m, 0.01*std, "mean moves by one standard deviation")

	_, cat := churnRecords(t, "new_category:0.3")
	status := indexOf(h, "status") // the first string column that is not an ID
	assert.InDelta(t, 0.3, share(cat, status, DriftUnseenValue), 0.03)

	_, nulls := churnRecords(t, "nulls:0.5")
	_, n := columnMean(nulls, indexOf(h, "age")) // the first feature column
	assert.InDelta(t, 0.5, float64(n)/float64(len(nulls)), 0.05)

	label := indexOf(h, "churned")
	_, lab := churnRecords(t, "label_shift:10")
	assert.InDelta(t, share(clean, label, "yes")+0.10, share(lab, label, "yes"), 1e-3)

	// Repeatable: both apply.
	_, both := churnRecords(t, "mean_shift:-0.5:monthly_charges", "nulls:0.2:plan")
	m, _ = columnMean(both, charges)
	assert.InDelta(t, base-0.5*std, m, 0.01*std)
	assert.InDelta(t, 0.2, share(both, indexOf(h, "plan"), ""), 0.03)
}

func TestParseDriftRefusesBadInput(t *testing.T) {
	for in, want := range map[string]string{
		"mean_shift":          "want KIND:AMOUNT",
		"shift:1":             `unknown drift kind "shift"`,
		"nulls:abc":           `amount "abc" is not a number`,
		"nulls:1.5":           "at most 1",
		"new_category:0":      "above 0",
		"label_shift:200":     "-100 to 100",
		"mean_shift:0":        "not 0",
		"mean_shift:Inf":      "not a number",
		"mean_shift:NaN:plan": "not a number",
	} {
		_, err := ParseDrift(in)
		if assert.Error(t, err, in) {
			assert.Contains(t, err.Error(), want, in)
		}
	}
	var out bytes.Buffer
	err := DriftCSV(bytes.NewBufferString("a,b\n1,x\n2,y\n"), &out, []Drift{{Kind: DriftMeanShift, Amount: 1, Column: "b"}}, DriftOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `column "b" is not numeric`)
	err = DriftCSV(bytes.NewBufferString("a,b\n1,x\n2,y\n"), &out, []Drift{{Kind: DriftNulls, Amount: 1, Column: "zz"}}, DriftOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `column "zz" is not in the data; it has a, b`)
}
