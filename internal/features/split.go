package features

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// Split divides the rows of f into train and test index sets, both sorted
// ascending. With stratification (the default) each class is shuffled and
// split on its own, so each part holds the class's share to within one row;
// a class needs at least 2 rows so that both parts see it. The same seed
// always gives the same split.
func Split(f *frame.Frame, s Spec) (train, test []int, err error) {
	if err := s.Validate(f); err != nil {
		return nil, nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(s.Split.Seed), 0x6d6c70697065)) // fixed stream, "mlpipe"
	ts := s.Split.testSize()

	groups := map[string][]int{}
	if s.Split.stratify() {
		tc, _ := f.Col(s.Target)
		for i := 0; i < f.NumRows(); i++ {
			l := tc.Format(i)
			groups[l] = append(groups[l], i)
		}
	} else {
		all := make([]int, f.NumRows())
		for i := range all {
			all[i] = i
		}
		groups[""] = all
	}
	// Walk classes in sorted order: map order would make the split random.
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rows := groups[k]
		if len(rows) < 2 {
			if s.Split.stratify() {
				return nil, nil, fmt.Errorf("split: class %q of target %q has %d row; each class needs at least 2 so both train and test see it", k, s.Target, len(rows))
			}
			return nil, nil, fmt.Errorf("split: %d row is too few to split", len(rows))
		}
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		n := int(math.Round(ts * float64(len(rows))))
		n = max(1, min(n, len(rows)-1))
		test = append(test, rows[:n]...)
		train = append(train, rows[n:]...)
	}
	sort.Ints(train)
	sort.Ints(test)
	return train, test, nil
}
