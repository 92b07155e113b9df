package features

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// Encoding a table a block of rows at a time gives the matrix Apply gives,
// bit for bit, for every transform and any block size.
func TestApplyChunksIsApplyBitForBit(t *testing.T) {
	f := parityData(t)
	for name, spec := range parityCases() {
		t.Run(name, func(t *testing.T) {
			tr, err := Fit(f, spec)
			require.NoError(t, err)
			X, y, err := tr.Apply(f)
			require.NoError(t, err)
			for _, chunk := range []int{1, 7, 64, 200, 1000} {
				var gx, gy []float64
				require.NoError(t, tr.ApplyChunks(f, chunk, func(bx, by []float64) error {
					assert.LessOrEqual(t, len(by), chunk)
					gx, gy = append(gx, bx...), append(gy, by...)
					return nil
				}))
				require.Len(t, gx, len(X), "chunk %d", chunk)
				for k := range X {
					if math.Float64bits(X[k]) != math.Float64bits(gx[k]) {
						t.Fatalf("chunk %d, value %d: Apply %v, ApplyChunks %v", chunk, k, X[k], gx[k])
					}
				}
				assert.Equal(t, y, gy, "chunk %d", chunk)
			}
		})
	}
}

// An error names the row of the table, not of the block.
func TestApplyChunksNamesTheRowOfTheTable(t *testing.T) {
	tr, err := Fit(readCSV(t, "x,churned\n1,yes\n2,no\n3,yes\n4,no\n"), Spec{Target: "churned", Positive: "yes", Columns: []ColumnSpec{{Column: "x"}}})
	require.NoError(t, err)
	f := readCSV(t, "x,churned\n1,yes\n2,no\n3,yes\n4,no\n5,maybe\n")
	err = tr.ApplyChunks(f, 2, func(_, _ []float64) error { return nil })
	assert.EqualError(t, err, `features: apply: row 5: target "churned" is "maybe", which is neither "yes" nor "no" as in training`)
	_, _, err = tr.Apply(f)
	assert.EqualError(t, err, `features: apply: row 5: target "churned" is "maybe", which is neither "yes" nor "no" as in training`)
}

// Reads names exactly the columns Fit and Apply look at: a frame whose
// other columns hold no values fits and encodes the same.
func TestReadsNamesEveryColumnTheTransformUses(t *testing.T) {
	f := parityData(t)
	for name, spec := range parityCases() {
		t.Run(name, func(t *testing.T) {
			var cols []*frame.Column
			for _, c := range f.Columns() {
				if spec.Reads(c.Name, c.Kind) {
					cols = append(cols, c)
					continue
				}
				empty := &frame.Column{Name: c.Name, Kind: c.Kind, Null: make([]bool, f.NumRows()),
					Floats: make([]float64, f.NumRows()), Strings: make([]string, f.NumRows())}
				for i := range empty.Null {
					empty.Null[i] = true
				}
				switch c.Kind {
				case frame.Time:
					empty.Times, empty.Floats, empty.Strings = c.Times, nil, nil
				case frame.Float:
					empty.Strings = nil
				case frame.String:
					empty.Floats = nil
				}
				cols = append(cols, empty)
			}
			thin, err := frame.New(cols...)
			require.NoError(t, err)
			want, err := Fit(f, spec)
			require.NoError(t, err)
			got, err := Fit(thin, spec)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			wx, _, err := want.Apply(f)
			require.NoError(t, err)
			gx, _, err := got.Apply(thin)
			require.NoError(t, err)
			assert.Equal(t, wx, gx)
		})
	}
}
