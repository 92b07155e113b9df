package tune

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// foldPCGStream is the fixed second half of the PCG seed for
// StratifiedKFold, distinct from Sample's so folds and trials do not share
// a random sequence.
const foldPCGStream = 0x6d6c706970652d6b // "mlpipe-k"

// StratifiedKFold splits rows 0..len(y)-1 into k folds and returns each
// fold's validation rows, sorted ascending; a fold's training rows are all
// the others. Every row is in exactly one fold.
//
// The rule: the rows of each class (classes in ascending order of label) are
// shuffled with a PCG seeded from seed and dealt round-robin into the folds,
// the dealing carrying on from the fold where the previous class stopped. So
// each fold holds floor or ceil of n_c/k rows of every class c, and fold
// sizes differ by at most one row. The same y, k and seed give the same
// folds.
//
// It fails when k < 2, a label is NaN, or a class has fewer than k rows
// (some fold would have none of it).
func StratifiedKFold(y []float64, k int, seed int64) ([][]int, error) {
	if k < 2 {
		return nil, fmt.Errorf("tune: cv is %d; it must be >= 2", k)
	}
	for i, v := range y {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("tune: label at row %d is NaN; drop or fill missing labels before splitting", i)
		}
	}
	order := make([]int, len(y))
	for i := range order {
		order[i] = i
	}
	// Group rows by class: sort by label, keeping row order within a class.
	slices.SortStableFunc(order, func(a, b int) int { return cmpFloat(y[a], y[b]) })

	r := rand.New(rand.NewPCG(uint64(seed), foldPCGStream))
	folds := make([][]int, k)
	next := 0
	for start := 0; start < len(order); {
		end := start
		for end < len(order) && y[order[end]] == y[order[start]] {
			end++
		}
		class := order[start:end]
		if len(class) < k {
			return nil, fmt.Errorf("tune: class %v has %d rows, fewer than cv=%d folds; lower cv to at most %d or add rows of that class",
				y[class[0]], len(class), k, len(class))
		}
		r.Shuffle(len(class), func(i, j int) { class[i], class[j] = class[j], class[i] })
		for _, row := range class {
			folds[next] = append(folds[next], row)
			next = (next + 1) % k
		}
		start = end
	}
	for _, f := range folds {
		slices.Sort(f)
	}
	return folds, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TrainRows returns the rows of 0..n-1 not in validation (sorted), the
// training rows of one fold.
func TrainRows(n int, validation []int) []int {
	in := make([]bool, n)
	for _, i := range validation {
		in[i] = true
	}
	out := make([]int, 0, n-len(validation))
	for i, v := range in {
		if !v {
			out = append(out, i)
		}
	}
	return out
}
