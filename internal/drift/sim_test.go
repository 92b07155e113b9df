package drift

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mlpipe/mlpipe/internal/profile"
	"github.com/stretchr/testify/assert"
	"gonum.org/v1/gonum/stat/distuv"
)

// The simulated dataset: a reference of simRefRows rows profiled like the
// training data, and windows drawn from the same distribution (clean) or a
// shifted one. Windows are drawn exactly but cheaply: a continuous
// feature's sorted sample comes from exponential spacings (sorted uniform
// order statistics) through the inverse CDF, a discrete or categorical
// feature's sample from multinomial counts.
const simRefRows = 20_000

var (
	planCats   = []string{"basic", "standard", "premium"}
	planProbs  = []float64{0.45, 0.35, 0.20}
	statusCats = []string{"active", "inactive"}
	statusProb = []float64{0.78, 0.22}
	callsMean  = 1.5
	callsMax   = 20 // P(calls > 20) is below 1e-15
)

type dsSim struct {
	seed         uint64
	rng          *rand.Rand
	wait, calls  profile.Column
	plan, status profile.Column
	callsProbs   []float64
	buf          []float64
	counts       []int
	cfg          Config
}

func dsNewSim(seed uint64) *dsSim {
	s := &dsSim{seed: seed, rng: rand.New(rand.NewPCG(seed, 0x6472696674)), cfg: DefaultConfig()}
	s.callsProbs = poissonProbs(callsMean)
	wait := make([]float64, simRefRows)
	calls := make([]float64, simRefRows)
	plan := make([]string, simRefRows)
	status := make([]string, simRefRows)
	for i := range simRefRows {
		wait[i] = s.rng.ExpFloat64()
		calls[i] = float64(dsDraw(s.rng, s.callsProbs))
		plan[i] = planCats[dsDraw(s.rng, planProbs)]
		status[i] = statusCats[dsDraw(s.rng, statusProb)]
	}
	s.wait = ProfileNumeric("wait", wait, 0)
	s.calls = ProfileNumeric("calls", calls, 0)
	s.plan = ProfileCategorical("plan", plan, 0)
	s.status = ProfileCategorical("status", status, 0)
	return s
}

// poissonProbs are P(X = k) for k up to callsMax, the tail in the last.
func poissonProbs(mean float64) []float64 {
	out := make([]float64, callsMax+1)
	p, sum := math.Exp(-mean), 0.0
	for k := range callsMax {
		out[k] = p
		sum += p
		p *= mean / float64(k+1)
	}
	out[callsMax] = 1 - sum
	return out
}

func dsDraw(rng *rand.Rand, probs []float64) int {
	u := rng.Float64()
	for k, p := range probs {
		if u < p {
			return k
		}
		u -= p
	}
	return len(probs) - 1
}

// multinomial draws n trials over probs as sequential binomials.
func (s *dsSim) multinomial(n int, probs []float64) []int {
	s.counts = s.counts[:0]
	left, rest := n, 1.0
	for k, p := range probs {
		c := left
		if k < len(probs)-1 && left > 0 && p < rest {
			c = int(distuv.Binomial{N: float64(left), P: min(1, p/rest), Src: s.rng}.Rand())
		}
		s.counts = append(s.counts, c)
		left -= c
		rest -= p
	}
	return s.counts
}

// exponential returns a sorted window of n standard exponential values
// (a skewed, unbounded feature: a waiting time) shifted by shift. Rényi's
// representation gives the order statistics directly: the i-th spacing is
// an exponential over the n−i values left.
func (s *dsSim) exponential(n int, shift float64) []float64 {
	buf := s.window(n)
	x := shift
	for i := range buf {
		x += s.rng.ExpFloat64() / float64(n-i)
		buf[i] = x
	}
	return buf
}

// poisson returns a sorted window of n Poisson counts whose mean is
// raised by shift: a count keeps its support when its rate changes.
func (s *dsSim) poisson(n int, shift float64) []float64 {
	probs := s.callsProbs
	if shift != 0 {
		probs = poissonProbs(callsMean + shift)
	}
	buf := s.window(n)[:0]
	for k, c := range s.multinomial(n, probs) {
		for range c {
			buf = append(buf, float64(k))
		}
	}
	return buf
}

func (s *dsSim) window(n int) []float64 {
	if cap(s.buf) < n {
		s.buf = make([]float64, n)
	}
	return s.buf[:n]
}

// categorical measures a window of n values drawn with probs against ref,
// whose categories are cats (counted on ref's bins directly: the strings
// would only be counted back).
func (s *dsSim) categorical(ref *profile.Column, cats []string, probs []float64, n int) Result {
	labels, refCounts, _ := categoricalBins(ref)
	cur := make([]int64, len(labels))
	for k, c := range s.multinomial(n, probs) {
		for i, l := range labels {
			if l == cats[k] {
				cur[i] += int64(c)
			}
		}
	}
	r := Result{Column: ref.Name, Kind: "categorical", Test: "chi2", Effect: "max_share_change", PValue: 1, Count: int64(n)}
	return categoricalCounts(r, labels, refCounts, cur, &CategoricalStats{}, s.cfg)
}

// dsShift is a change to the clean distribution.
type dsShift struct {
	wait, calls float64   // mean shifts in reference standard deviations
	plan        []float64 // plan probabilities, nil for the clean ones
	status      []float64
}

// window measures every feature of one window and the dataset.
func (s *dsSim) measure(n int, sh dsShift) (results []Result, ds DatasetResult) {
	plan, status := planProbs, statusProb
	if sh.plan != nil {
		plan = sh.plan
	}
	if sh.status != nil {
		status = sh.status
	}
	results = []Result{
		Numeric(&s.wait, s.exponential(n, sh.wait), 0, s.cfg), // the standard exponential's σ is 1
		Numeric(&s.calls, s.poisson(n, sh.calls*math.Sqrt(callsMean)), 0, s.cfg),
		s.categorical(&s.plan, planCats, plan, n),
		s.categorical(&s.status, statusCats, status, n),
	}
	return results, Dataset(results, s.cfg)
}

// dsRates runs windows of n rows and returns the share flagged per
// feature, of windows with any feature flagged, and of dataset drift.
// Window w draws from its own seeded stream, so the result does not depend
// on how many workers share the windows.
func dsRates(s *dsSim, n, windows int, sh dsShift) (perFeature map[string]float64, anyFeature, dataset float64) {
	var mu sync.Mutex
	perFeature = map[string]float64{}
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			own := *s
			own.buf, own.counts = nil, nil
			for {
				w := int(next.Add(1)) - 1
				if w >= windows {
					return
				}
				own.rng = rand.New(rand.NewPCG(s.seed, uint64(n)<<20|uint64(w)))
				rs, ds := own.measure(n, sh)
				mu.Lock()
				flagged := false
				for _, r := range rs {
					if r.Drifted {
						perFeature[r.Column] += 1 / float64(windows)
						flagged = true
					}
				}
				if flagged {
					anyFeature += 1 / float64(windows)
				}
				if ds.Drifted {
					dataset += 1 / float64(windows)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return perFeature, anyFeature, dataset
}

// TestFalseAlarmRate: at most 1% of clean windows flag drift, for every
// feature, for any feature, and for the dataset, at every n from 1,000 to
// 1,000,000 (500 seeded windows per n).
func TestFalseAlarmRate(t *testing.T) {
	skipUnderRace(t)
	s := dsNewSim(1)
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		windows := 500
		if testing.Short() && n == 1_000_000 {
			windows = 100
		}
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			per, anyF, ds := dsRates(s, n, windows, dsShift{})
			t.Logf("n=%d windows=%d: per feature %v, any feature %.3f, dataset %.3f", n, windows, per, anyF, ds)
			for col, rate := range per {
				assert.LessOrEqual(t, rate, 0.01, "%s flagged in %.1f%% of clean windows", col, 100*rate)
			}
			assert.LessOrEqual(t, anyF, 0.01, "some feature flagged in %.1f%% of clean windows", 100*anyF)
			assert.LessOrEqual(t, ds, 0.01)
		})
	}
}

// TestPower: a 0.2σ mean shift in one numeric feature, or a +5 point
// shift of one category, is flagged in at least 95% of windows at
// n ≥ 10,000, and only that feature is.
func TestPower(t *testing.T) {
	skipUnderRace(t)
	s := dsNewSim(2)
	cases := []struct {
		name string
		col  string
		sh   dsShift
	}{
		{"0.2 sigma shift, continuous", "wait", dsShift{wait: 0.2}},
		{"0.2 sigma shift, discrete", "calls", dsShift{calls: 0.2}},
		{"+5 points premium", "plan", dsShift{plan: []float64{0.40, 0.35, 0.25}}},
		{"+5 points inactive", "status", dsShift{status: []float64{0.73, 0.27}}},
	}
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		windows := map[int]int{10_000: 200, 100_000: 100, 1_000_000: 20}[n]
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/%d", c.name, n), func(t *testing.T) {
				per, _, _ := dsRates(s, n, windows, c.sh)
				t.Logf("%v", per)
				assert.GreaterOrEqual(t, per[c.col], 0.95, "%s flagged in %.1f%% of shifted windows", c.col, 100*per[c.col])
				for col, rate := range per {
					if col != c.col {
						assert.LessOrEqual(t, rate, 0.01, "%s did not change but was flagged", col)
					}
				}
			})
		}
	}
}

// TestVerdictDoesNotFlipWithN: shifts below the floors (0.05σ, +1 point)
// become significant as n grows but are not flagged for it: rarely at
// n = 1,000, where sampling noise can lift an effect over its floor, and
// never from n = 10,000 on.
func TestVerdictDoesNotFlipWithN(t *testing.T) {
	skipUnderRace(t)
	s := dsNewSim(3)
	sh := dsShift{wait: 0.05, calls: 0.05, plan: []float64{0.44, 0.35, 0.21}, status: []float64{0.77, 0.23}}
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		windows := map[int]int{1_000: 200, 10_000: 200, 100_000: 50, 1_000_000: 20}[n]
		per, _, _ := dsRates(s, n, windows, sh)
		t.Logf("n=%d: %v", n, per)
		limit := 0.0
		if n < 10_000 {
			limit = 0.02
		}
		for col, rate := range per {
			assert.LessOrEqual(t, rate, limit, "n=%d: a sub-floor shift of %s was flagged in %.1f%% of windows", n, col, 100*rate)
		}
	}
	// At n = 1,000,000 the numeric shifts are significant: only the floor
	// keeps the verdict.
	rs, _ := s.measure(1_000_000, sh)
	for _, r := range rs[:2] {
		assert.Less(t, r.PValue, s.cfg.Alpha, r.Reason)
	}
	for _, r := range rs {
		assert.False(t, r.Drifted, "%s: %s", r.Column, r.Reason)
	}
}

// skipUnderRace leaves the simulations to the run without the race
// detector (make test runs them so): they are arithmetic on independent
// windows, whose workers share only a mutex-guarded tally, and are ten
// times slower under it.
func skipUnderRace(t *testing.T) {
	t.Helper()
	if raceDetector {
		t.Skip("the seeded simulation runs without -race: go test -run 'TestFalseAlarmRate|TestPower|TestVerdictDoesNotFlipWithN' ./internal/drift")
	}
}
