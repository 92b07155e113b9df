package tune

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStratifiedKFoldSpreadsEachClass(t *testing.T) {
	// 12 positives (every third row) and 23 negatives.
	var y []float64
	for i := range 35 {
		if i%3 == 0 {
			y = append(y, 1)
		} else {
			y = append(y, 0)
		}
	}
	pos := 0
	for _, v := range y {
		pos += int(v)
	}
	require.Equal(t, 12, pos)

	folds, err := StratifiedKFold(y, 5, 42)
	require.NoError(t, err)
	require.Len(t, folds, 5)

	var all []int
	for _, f := range folds {
		assert.True(t, slices.IsSorted(f))
		p := 0
		for _, i := range f {
			p += int(y[i])
		}
		// 12/5 = 2.4 positives and 23/5 = 4.6 negatives per fold: floor or ceil.
		assert.Contains(t, []int{2, 3}, p, "positives in fold %v", f)
		assert.Contains(t, []int{4, 5}, len(f)-p, "negatives in fold %v", f)
		assert.Contains(t, []int{7}, len(f), "35 rows in 5 folds is 7 each")
		all = append(all, f...)
	}
	slices.Sort(all)
	want := make([]int, len(y))
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, all, "every row in exactly one fold")

	again, err := StratifiedKFold(y, 5, 42)
	require.NoError(t, err)
	assert.Equal(t, folds, again)
	other, err := StratifiedKFold(y, 5, 43)
	require.NoError(t, err)
	assert.NotEqual(t, folds, other)
}

func TestStratifiedKFoldFoldSizesDifferByAtMostOne(t *testing.T) {
	y := []float64{0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2} // 5, 8, 3
	folds, err := StratifiedKFold(y, 3, 1)
	require.NoError(t, err)
	var sizes []int
	for _, f := range folds {
		sizes = append(sizes, len(f))
	}
	assert.ElementsMatch(t, []int{6, 5, 5}, sizes)
}

func TestStratifiedKFoldErrors(t *testing.T) {
	_, err := StratifiedKFold([]float64{0, 0, 0, 1, 1}, 3, 1)
	assert.EqualError(t, err, "tune: class 1 has 2 rows, fewer than cv=3 folds; lower cv to at most 2 or add rows of that class")
	_, err = StratifiedKFold([]float64{0, 1}, 1, 1)
	assert.EqualError(t, err, "tune: cv is 1; it must be >= 2")
}

func TestTrainRowsIsTheComplement(t *testing.T) {
	assert.Equal(t, []int{0, 2, 4}, TrainRows(5, []int{1, 3}))
}

func TestStratifiedKFoldSpreadsEveryClassOfAMultiClassTarget(t *testing.T) {
	// Four classes of 7, 11, 5 and 13 rows, interleaved as a shuffled
	// dataset would have them.
	counts := []int{7, 11, 5, 13}
	var y []float64
	left := slices.Clone(counts)
	for len(y) < 36 {
		for c := range left {
			if left[c] > 0 {
				y = append(y, float64(c))
				left[c]--
			}
		}
	}
	folds, err := StratifiedKFold(y, 3, 5)
	require.NoError(t, err)
	require.Len(t, folds, 3)
	var all []int
	for _, f := range folds {
		per := make([]int, len(counts))
		for _, i := range f {
			per[int(y[i])]++
		}
		for c, n := range counts {
			// Each class dealt over 3 folds: floor or ceil of n/3.
			assert.Contains(t, []int{n / 3, (n + 2) / 3}, per[c], "class %d in fold %v", c, f)
		}
		assert.Equal(t, 12, len(f), "36 rows in 3 folds")
		all = append(all, f...)
	}
	slices.Sort(all)
	assert.Len(t, slices.Compact(all), 36, "every row in exactly one fold")

	_, err = StratifiedKFold(y, 6, 5)
	assert.EqualError(t, err, "tune: class 2 has 5 rows, fewer than cv=6 folds; lower cv to at most 5 or add rows of that class")
}
