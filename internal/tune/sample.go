package tune

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// ParamValue is one sampled hyperparameter. Value is a float64 (whole for
// int_uniform and integer fields), a string, or nil (keep the base value).
type ParamValue struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// ParamText is a trial's parameters on one line, name=value separated by
// spaces, for activity summaries, stage messages and the report page.
// Numbers show 4 significant digits (learning_rate=0.02297), whole ones
// in full (batch_size=128), and a null value as "default". Activity
// summaries are built with it; replay does not compare summaries, so
// recorded histories replay whatever it writes.
func ParamText(ps []ParamValue) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Name + "=" + valueText(p.Value)
	}
	return strings.Join(parts, " ")
}

// valueText writes a trial value for people: floats to 4 significant
// digits, whole numbers in full.
func valueText(v any) string {
	switch x := normalize(v).(type) {
	case nil:
		return "default"
	case float64:
		if isWhole(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', 4, 64)
	default:
		return fmt.Sprint(x)
	}
}

// Trial is one point of the search space to train and score.
type Trial struct {
	// ID is the trial's index in Sample's result, from 0.
	ID     int          `json:"id"`
	Params []ParamValue `json:"params"`
}

// Value returns the value of the parameter called name.
func (t Trial) Value(name string) (any, bool) {
	for _, p := range t.Params {
		if p.Name == name {
			return p.Value, true
		}
	}
	return nil, false
}

// samplePCGStream is the fixed second half of the PCG seed for Sample; only
// the caller's seed varies.
const samplePCGStream = 0x6d6c706970652d73 // "mlpipe-s"

// Sample draws n trials from space with a PCG generator seeded from seed, so
// the same space (in the same order), n and seed always give the same
// trials. Parameters are drawn in space order.
//
// As RandomizedSearchCV does, when every parameter is a list of values the
// trials are drawn without replacement from the grid of combinations, and a
// grid smaller than n gives every combination once (fewer than n trials);
// otherwise each trial is drawn independently.
func Sample(space Space, n int, seed int64) ([]Trial, error) {
	if err := space.Validate(); err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("tune: n_iter is %d; it must be >= 1", n)
	}
	r := rand.New(rand.NewPCG(uint64(seed), samplePCGStream))
	if size, ok := gridSize(space); ok {
		return sampleGrid(space, n, size, r), nil
	}
	trials := make([]Trial, n)
	for i := range trials {
		params := make([]ParamValue, len(space))
		for j, p := range space {
			params[j] = ParamValue{Name: p.Name, Value: draw(p.Dist, r)}
		}
		trials[i] = Trial{ID: i, Params: params}
	}
	return trials, nil
}

// draw returns one value of d.
func draw(d Distribution, r *rand.Rand) any {
	switch d.Kind {
	case DistChoice:
		return d.Choices[r.IntN(len(d.Choices))]
	case DistUniform:
		return clamp(d.Low+(d.High-d.Low)*r.Float64(), d.Low, d.High)
	case DistLogUniform:
		lo, hi := math.Log(d.Low), math.Log(d.High)
		// Rounding in Exp may step just outside the bounds; clamp it back.
		return clamp(math.Exp(lo+(hi-lo)*r.Float64()), d.Low, d.High)
	case DistIntUniform:
		return d.Low + float64(r.Int64N(int64(d.High-d.Low)+1))
	}
	panic("tune: draw on unvalidated distribution " + d.Kind)
}

func clamp(x, lo, hi float64) float64 { return math.Min(math.Max(x, lo), hi) }

// gridSize returns the number of combinations when every parameter is a
// list of values; ok is false when one is a range or the count overflows
// (then duplicates are too unlikely to matter).
func gridSize(space Space) (size uint64, ok bool) {
	size = 1
	for _, p := range space {
		if p.Dist.Kind != DistChoice {
			return 0, false
		}
		k := uint64(len(p.Dist.Choices))
		if size > math.MaxUint64/k {
			return 0, false
		}
		size *= k
	}
	return size, true
}

// sampleGrid draws min(n, size) distinct grid indices with Floyd's
// algorithm, shuffles them and decodes each into one choice per parameter.
func sampleGrid(space Space, n int, size uint64, r *rand.Rand) []Trial {
	m := min(uint64(n), size)
	seen := make(map[uint64]bool, m) // lookups only; never ranged over
	picked := make([]uint64, 0, m)
	for j := size - m; j < size; j++ {
		t := r.Uint64N(j + 1)
		if seen[t] {
			t = j
		}
		seen[t] = true
		picked = append(picked, t)
	}
	// Floyd's algorithm picks a uniform set but not a uniform order.
	slices.Sort(picked)
	r.Shuffle(len(picked), func(i, j int) { picked[i], picked[j] = picked[j], picked[i] })
	trials := make([]Trial, len(picked))
	for i, idx := range picked {
		params := make([]ParamValue, len(space))
		for j := len(space) - 1; j >= 0; j-- {
			k := uint64(len(space[j].Dist.Choices))
			params[j] = ParamValue{Name: space[j].Name, Value: space[j].Dist.Choices[idx%k]}
			idx /= k
		}
		trials[i] = Trial{ID: i, Params: params}
	}
	return trials
}
