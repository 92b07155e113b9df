package serving

import (
	"math"
	"sort"
	"sync/atomic"
	"time"

	"github.com/mlpipe/mlpipe/internal/routing"
)

// epochLatencyBounds are the upper bounds, in seconds, of the per-variant
// latency histogram behind p50/p99: 100µs growing by 20% per bucket to about
// a minute, so a quantile is off by at most a fifth of itself.
var epochLatencyBounds = func() []float64 {
	var b []float64
	for x := 100e-6; x < 60; x *= 1.2 {
		b = append(b, x)
	}
	return b
}()

// variantCounters count one variant's traffic within one routing epoch. All
// fields are atomic so the request path never locks; a new epoch gets new
// counters instead of resetting these, so a late update from a request of
// the old epoch cannot leak into the new one.
type variantCounters struct {
	requests, errors, rows, positives atomic.Int64
	probs                             [routing.ProbabilityBins]atomic.Int64
	latency                           []atomic.Int64 // len(epochLatencyBounds)+1, last is overflow
	feedback, tp, fp, fn, tn          atomic.Int64
	valueBits                         atomic.Uint64 // float64 sum, updated by compare-and-swap
	compared, agreed                  atomic.Int64
	// classes counts per class for a multi-class variant; nil for binary.
	classes atomic.Pointer[classCounters]
}

// classCounters are a multi-class variant's per-class counts: rows
// predicted as each class, and joined feedback one-vs-rest.
type classCounters struct {
	names             []string
	index             map[string]int
	predicted, tp, fp []atomic.Int64
	fn                []atomic.Int64
}

func newClassCounters(names []string) *classCounters {
	cc := &classCounters{names: names, index: make(map[string]int, len(names)),
		predicted: make([]atomic.Int64, len(names)), tp: make([]atomic.Int64, len(names)),
		fp: make([]atomic.Int64, len(names)), fn: make([]atomic.Int64, len(names))}
	for i, n := range names {
		cc.index[n] = i
	}
	return cc
}

// countClasses makes the counters count per class; epochs carried over for
// the same version keep the counts they have.
func (c *variantCounters) countClasses(names []string) {
	c.classes.CompareAndSwap(nil, newClassCounters(names))
}

func newVariantCounters() *variantCounters {
	return &variantCounters{latency: make([]atomic.Int64, len(epochLatencyBounds)+1)}
}

// request counts one answered request; errors are the 5xx answers.
func (c *variantCounters) request(code int, d time.Duration) {
	c.requests.Add(1)
	if code >= 500 {
		c.errors.Add(1)
	}
	c.latency[sort.SearchFloat64s(epochLatencyBounds, d.Seconds())].Add(1)
}

// scored counts rows the variant predicted.
func (c *variantCounters) scored(preds []Prediction, positive func(Prediction) bool) {
	c.rows.Add(int64(len(preds)))
	cc := c.classes.Load()
	for _, p := range preds {
		if positive(p) {
			c.positives.Add(1)
		}
		c.probs[probabilityBin(p.Probability)].Add(1)
		if cc != nil {
			if k, ok := cc.index[p.Label]; ok {
				cc.predicted[k].Add(1)
			}
		}
	}
}

// probabilityBin puts p in one of ProbabilityBins equal bins over [0,1];
// 1.0 (and anything above) goes to the last, anything below 0 to the first.
func probabilityBin(p float64) int {
	if math.IsNaN(p) || p < 0 {
		return 0
	}
	i := int(p * routing.ProbabilityBins)
	if i >= routing.ProbabilityBins {
		i = routing.ProbabilityBins - 1
	}
	return i
}

// outcome counts one joined feedback against a prediction: by class for a
// multi-class variant, else as a binary confusion matrix.
func (c *variantCounters) outcome(predicted, actual string, predictedPositive bool, value float64, withValue bool) {
	c.feedback.Add(1)
	correct := predicted == actual
	if cc := c.classes.Load(); cc != nil {
		// Both labels are classes of the model: feedback was checked, and
		// predictions come from it.
		p, a := cc.index[predicted], cc.index[actual]
		if correct {
			cc.tp[p].Add(1)
		} else {
			cc.fp[p].Add(1)
			cc.fn[a].Add(1)
		}
		c.addValue(value, withValue)
		return
	}
	switch {
	case predictedPositive && correct:
		c.tp.Add(1)
	case predictedPositive:
		c.fp.Add(1)
	case correct:
		c.tn.Add(1)
	default:
		c.fn.Add(1)
	}
	c.addValue(value, withValue)
}

// addValue sums an outcome's business value.
func (c *variantCounters) addValue(value float64, withValue bool) {
	if withValue && value != 0 {
		for {
			old := c.valueBits.Load()
			if c.valueBits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+value)) {
				break
			}
		}
	}
}

// snapshot reads the counters into the shared stats type. Reads are not one
// atomic snapshot; under load the fields may differ by a request or two.
func (c *variantCounters) snapshot(variant string, version int) routing.VariantStats {
	s := routing.VariantStats{
		Variant: variant, Version: version,
		Requests: c.requests.Load(), Errors: c.errors.Load(), Rows: c.rows.Load(),
		Positives: c.positives.Load(),
		Feedback:  c.feedback.Load(), TP: c.tp.Load(), FP: c.fp.Load(), FN: c.fn.Load(), TN: c.tn.Load(),
		Value:    math.Float64frombits(c.valueBits.Load()),
		Compared: c.compared.Load(), Agreed: c.agreed.Load(),
	}
	for i := range s.Probabilities {
		s.Probabilities[i] = c.probs[i].Load()
	}
	counts := make([]int64, len(c.latency))
	for i := range c.latency {
		counts[i] = c.latency[i].Load()
	}
	s.P50 = quantile(counts, 0.50)
	s.P99 = quantile(counts, 0.99)
	if cc := c.classes.Load(); cc != nil {
		s.Classes = append([]string(nil), cc.names...)
		s.PerClass = make([]routing.ClassCounts, len(cc.names))
		for k := range cc.names {
			s.PerClass[k] = routing.ClassCounts{Predicted: cc.predicted[k].Load(), TP: cc.tp[k].Load(), FP: cc.fp[k].Load(), FN: cc.fn[k].Load()}
		}
	}
	return s
}

// quantile estimates the q-quantile of the histogram counts (over
// epochLatencyBounds) by linear interpolation inside the bucket holding it,
// as Prometheus's histogram_quantile does. Zero without observations.
func quantile(counts []int64, q float64) float64 {
	var total int64
	for _, n := range counts {
		total += n
	}
	if total == 0 {
		return 0
	}
	rank := q * float64(total)
	var cum int64
	for i, n := range counts {
		if n == 0 || float64(cum+n) < rank {
			cum += n
			continue
		}
		if i == len(epochLatencyBounds) {
			return epochLatencyBounds[len(epochLatencyBounds)-1] // overflow: the best lower bound known
		}
		lo := 0.0
		if i > 0 {
			lo = epochLatencyBounds[i-1]
		}
		hi := epochLatencyBounds[i]
		return lo + (hi-lo)*(rank-float64(cum))/float64(n)
	}
	return epochLatencyBounds[len(epochLatencyBounds)-1]
}
