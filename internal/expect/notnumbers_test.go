package expect

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// A numeric column with "n/a" or "?" cells is read as string; the failure
// names those cells and says how to mark them missing.
func TestFloatChecksNameTheCellsThatAreNotNumbers(t *testing.T) {
	f, err := frame.ReadCSV(strings.NewReader("id,age\na,31\nb,n/a\nc,40\nd,?\n"), frame.ReadOptions{})
	require.NoError(t, err)
	want := `2 of its 4 values are not numbers (row 2 "n/a", row 4 "?"); if they mean missing, write them as an empty cell, NA, N/A, null, NULL, NaN or nan`

	rep := Run(f, []Expectation{
		{Type: ValuesBetween, Column: "age", Min: fp(0), Max: fp(150)},
		{Type: MeanBetween, Column: "age", Min: fp(0)},
	}, Checks{Schema: map[string]string{"age": "float", "id": "float"}}, time.Now())
	require.False(t, rep.Success)
	byKey := map[string]Result{}
	for _, r := range rep.Results {
		byKey[r.Expectation+"/"+r.Column] = r
	}
	assert.Equal(t, "expected float, got string: "+want+"; or change validation.schema.age", byKey["schema/age"].Observed)
	assert.Equal(t, "expected float, got string", byKey["schema/id"].Observed, "a text column gets no cell list")
	assert.Equal(t, "column is string, between needs a float column: "+want, byKey[ValuesBetween+"/age"].Observed)
	assert.Equal(t, "column is string, mean needs a float column: "+want, byKey[MeanBetween+"/age"].Observed)
	assert.Contains(t, rep.Summary(), `row 2 "n/a"`)
}
