package drift

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Counting the distinct values gives what the repeated values give:
// the golden windows, unseen values past the number named, an "other"
// bin, a value counted zero times, and an empty window.
func TestCategoricalCountsMatchesCategorical(t *testing.T) {
	type window struct {
		values []string
		counts []int64
	}
	expand := func(w window) []string {
		var out []string
		for i, v := range w.values {
			for range w.counts[i] {
				out = append(out, v)
			}
		}
		return out
	}
	many := window{}
	for i := range 15 {
		many.values = append(many.values, fmt.Sprintf("new%02d", 14-i))
		many.counts = append(many.counts, int64(1+i%3))
	}
	many.values, many.counts = append(many.values, "basic", "gone"), append(many.counts, 40, 0)
	refs := map[string][]string{
		"plan": {"basic", "basic", "premium"},
		"wide": {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "a", "b"},
	}
	for _, c := range loadGolden(t).Categorical {
		refs[c.Name] = c.RefValues
	}
	for name, refValues := range refs {
		ref := ProfileCategorical("x", refValues, 0)
		// A reference that kept only its top category has an other bin.
		other := ref
		other.Categories, other.OtherCount = ref.Categories[:1], ref.Count-ref.Categories[0].Count
		for _, w := range []window{many, {values: []string{"basic", "a", "zzz"}, counts: []int64{3, 2, 1}}, {}} {
			want := Categorical(&ref, expand(w), 4, DefaultConfig())
			got := CategoricalCounts(&ref, w.values, w.counts, 4, DefaultConfig())
			assert.Equal(t, want, got, name)
			want = Categorical(&other, expand(w), 0, DefaultConfig())
			got = CategoricalCounts(&other, w.values, w.counts, 0, DefaultConfig())
			assert.Equal(t, want, got, name+" with other")
		}
	}
}
