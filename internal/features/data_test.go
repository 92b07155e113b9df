package features

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A numeric feature with "n/a" cells is string; the message names them.
func TestValidateNamesTheCellsThatMadeAColumnString(t *testing.T) {
	f := readCSV(t, "age,churned\n31,yes\nn/a,no\n40,no\n?,yes\n")
	err := Spec{Target: "churned", Positive: "yes", Columns: []ColumnSpec{{Column: "age", Impute: "median", Scale: "standard"}}}.Validate(f)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `columns[1] (age): impute median needs a numeric column, this one is string; use most_frequent or constant; `+
		`columns[1] (age): scale standard needs a numeric column, this one is string; remove scale (it is string because 2 of its 4 values are not numbers (row 2 "n/a", row 4 "?"); `+
		`if they mean missing, write them as an empty cell, NA, N/A, null, NULL, NaN or nan)`)
}

// Values near float64's limit overflow the statistics; Fit says so instead
// of producing a transform that cannot be stored.
func TestFitRefusesStatisticsThatOverflow(t *testing.T) {
	f := readCSV(t, "x,y\n1e308,1\n1.5e308,0\n1.7e308,1\n-1.7e308,0\n")
	for _, c := range []ColumnSpec{{Column: "x", Scale: "standard"}, {Column: "x", Scale: "minmax", Impute: "none"}} {
		_, err := Fit(f, Spec{Target: "y", Columns: []ColumnSpec{c}})
		require.Error(t, err, c.Scale)
		assert.Contains(t, err.Error(), `features: fit column "x": values too large to impute or scale`)
	}
	tr, err := Fit(f, Spec{Target: "y", Columns: []ColumnSpec{{Column: "x", Scale: "none", Impute: "none"}}})
	require.NoError(t, err, "unscaled, the values themselves are fine")
	_, err = json.Marshal(tr)
	assert.NoError(t, err)
}
