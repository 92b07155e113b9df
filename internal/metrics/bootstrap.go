package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
)

// Interval is a percentile bootstrap 95% confidence interval of a metric.
type Interval struct {
	// Low and High are the 2.5th and 97.5th percentiles of the metric over
	// the resamples where it was defined; NaN (null in JSON) when it was
	// defined in none.
	Low  float64 `json:"low"`
	High float64 `json:"high"`
	// Point is the metric on the whole sample, NaN when undefined there.
	Point float64 `json:"point"`
	// Resamples counts the resamples the interval was computed from.
	Resamples int `json:"resamples"`
}

// pcgStream is the fixed second half of the PCG seed; only the caller's
// seed varies.
const pcgStream = 0x9e3779b97f4a7c15

// Bootstrap estimates a 95% interval for each named metric by drawing
// resamples samples of len(yTrue) rows with replacement (math/rand/v2 PCG
// seeded with seed, so the same seed gives the same intervals) and taking
// the 2.5th and 97.5th percentiles, interpolated linearly as numpy's
// percentile does.
//
// A resample where a metric is undefined (roc_auc when it drew one class
// only, pr_auc when it drew no positive) is skipped for that metric alone;
// Interval.Resamples says how many counted, and a small count means a
// wide, unreliable interval. Precision, recall and F1 are never undefined
// (0 for a zero denominator), so they are never skipped.
//
// The sample is sorted once; each resample is scored from row
// multiplicities in O(n), so the ranking metrics cost no sort per resample.
// Nil when the input fails Validate, resamples < 1 or a name is not one of
// Names().
func Bootstrap(yTrue, proba []float64, threshold float64, names []string, resamples int, seed int64) map[string]Interval {
	if resamples < 1 || Validate(yTrue, proba, threshold) != nil {
		return nil
	}
	ranking := false
	for _, name := range names {
		if _, ok := (Report{}).Get(name); !ok {
			return nil
		}
		ranking = ranking || name == ROCAUC || name == PRAUC
	}
	s := newScorer(yTrue, proba)
	point := s.report(nil, threshold, ranking)

	return resample(len(yTrue), names, point, resamples, seed, func(w []int32) getter {
		return s.report(w, threshold, ranking)
	})
}

// getter is a report that names its metrics: Report and MultiReport.
type getter interface {
	Get(name string) (float64, bool)
}

// resample draws resamples multiplicity vectors over n rows from a PCG
// seeded with seed, scores each with score, and returns the 95% percentile
// interval of every named metric around its value in point. A resample
// where a metric is NaN is skipped for that metric alone.
func resample(n int, names []string, point getter, resamples int, seed int64, score func(w []int32) getter) map[string]Interval {
	rng := rand.New(rand.NewPCG(uint64(seed), pcgStream))
	w := make([]int32, n)
	vals := make([][]float64, len(names))
	for range resamples {
		clear(w)
		for range n {
			w[rng.IntN(n)]++
		}
		r := score(w)
		for j, name := range names {
			if v, _ := r.Get(name); !math.IsNaN(v) {
				vals[j] = append(vals[j], v)
			}
		}
	}
	out := make(map[string]Interval, len(names))
	for j, name := range names {
		p, _ := point.Get(name)
		v := vals[j]
		slices.Sort(v)
		out[name] = Interval{Low: percentile(v, 0.025), High: percentile(v, 0.975), Point: p, Resamples: len(v)}
	}
	return out
}

// percentile of sorted v at q in [0, 1], interpolating between the two
// nearest ranks (numpy's default "linear" method); NaN when v is empty.
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(v)-1)
	lo := int(pos)
	if lo+1 >= len(v) {
		return v[len(v)-1]
	}
	return v[lo] + (pos-float64(lo))*(v[lo+1]-v[lo])
}

type intervalJSON struct {
	Low       *float64 `json:"low"`
	High      *float64 `json:"high"`
	Point     *float64 `json:"point"`
	Resamples int      `json:"resamples"`
}

// MarshalJSON writes undefined bounds or point as null.
func (iv Interval) MarshalJSON() ([]byte, error) {
	return json.Marshal(intervalJSON{Low: finite(iv.Low), High: finite(iv.High), Point: finite(iv.Point), Resamples: iv.Resamples})
}

// UnmarshalJSON reads null bounds or point back as NaN.
func (iv *Interval) UnmarshalJSON(b []byte) error {
	var w intervalJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	nan := math.NaN()
	*iv = Interval{Low: orElse(w.Low, nan), High: orElse(w.High, nan), Point: orElse(w.Point, nan), Resamples: w.Resamples}
	return nil
}
