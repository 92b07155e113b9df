package rollout

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/routing"
)

// production: error rate 10/1000 = 1%, p99 0.2 s, accuracy 180/200 = 90%,
// F1 = 2·80/(2·80+10+10) = 160/180 = 0.889.
func production() routing.VariantStats {
	return routing.VariantStats{
		Variant: routing.VariantProduction, Version: 2,
		Requests: 1000, Errors: 10, Rows: 1000, P50: 0.05, P99: 0.2,
		Positives: 90, Probabilities: [routing.ProbabilityBins]int64{300, 200, 100, 100, 50, 50, 50, 50, 50, 50},
		Feedback: 200, TP: 80, FP: 10, FN: 10, TN: 100,
	}
}

// healthy is a canary that matches production.
func healthy(name string) routing.VariantStats {
	v := production()
	v.Variant, v.Version = name, 3
	return v
}

func stats(vs ...routing.VariantStats) routing.Stats {
	return routing.Stats{Model: "churn", Variants: vs}
}

func check(t *testing.T, a Analysis, name string) Check {
	t.Helper()
	for _, c := range a.Checks {
		if c.Name == name {
			return c
		}
	}
	require.Failf(t, "missing check", "%s not in %+v", name, a.Checks)
	return Check{}
}

func TestGoodCanaryPasses(t *testing.T) {
	a := AnalyzeCanary(stats(production(), healthy(routing.VariantCanary)), Criteria{})
	assert.Equal(t, VerdictPass, a.Verdict)
	assert.Equal(t, "pass (canary v3 vs production v2): all 5 checks passed", a.Summary)
	assert.Equal(t, []string{CheckErrorRate, CheckP99Latency, CheckAccuracy, CheckF1, CheckPSI},
		[]string{a.Checks[0].Name, a.Checks[1].Name, a.Checks[2].Name, a.Checks[3].Name, a.Checks[4].Name})
}

func TestBadCanaryFailsNamingChecks(t *testing.T) {
	c := healthy(routing.VariantCanary)
	c.Errors = 100                          // 10% vs 1%
	c.TP, c.FP, c.FN, c.TN = 60, 30, 30, 80 // accuracy 140/200 = 70%; F1 120/180 = 0.667
	a := AnalyzeCanary(stats(production(), c), Criteria{})
	assert.Equal(t, VerdictFail, a.Verdict)
	assert.Equal(t, []string{CheckErrorRate, CheckAccuracy, CheckF1}, a.Failed())
	assert.Equal(t, "fail (canary v3 vs production v2): "+
		"error_rate failed: error rate 10.0% vs 1.0% (limit +1.0 pt, noise margin 1.6 pt); "+
		"accuracy failed: accuracy 70.0% vs 90.0% (limit -2.0 pt, noise margin 6.4 pt); "+
		"f1 failed: F1 0.667 vs 0.889 (limit -0.020, noise margin 0.088)", a.Summary)
	er := check(t, a, CheckErrorRate)
	assert.InDelta(t, 0.10, er.Canary, 1e-12)
	assert.InDelta(t, 0.01, er.Baseline, 1e-12)
	assert.InDelta(t, 0.01, er.Limit, 1e-12)
}

func TestFailureOutranksInconclusive(t *testing.T) {
	c := healthy(routing.VariantCanary)
	c.Errors = 100
	c.Feedback = 10
	a := AnalyzeCanary(stats(production(), c), Criteria{})
	assert.Equal(t, VerdictFail, a.Verdict)
	assert.Equal(t, []string{CheckAccuracy, CheckF1}, a.InconclusiveChecks())
	assert.Contains(t, a.Summary, "error_rate failed: error rate 10.0% vs 1.0%")
	assert.Contains(t, a.Summary, "accuracy inconclusive: 10 canary feedback, need 50")
}

// psiMargin is the PSI noise allowance for two samples of 10,000 rows at
// 95%: n = 1/(1/10000+1/10000) = 5000; Wilson–Hilferty with k = 9,
// z = 1.644854: 9·(1 − 2/81 + 1.644854·sqrt(2/81))³ = 16.9016;
// 16.9016/5000 = 0.0033803.
const psiMargin = 0.0033803

func TestCanaryChecksAtTheirBoundaries(t *testing.T) {
	cases := []struct {
		name   string
		check  string
		c      Criteria
		mutate func(*routing.VariantStats)
		passed bool
		detail string
	}{
		// Confidence 0.5 is a zero noise margin: the limits themselves.
		// error rate: production 1%; limit +1 pt → 2% passes, 2.1% fails.
		{"error rate at limit", CheckErrorRate, Criteria{Confidence: 0.5}, func(v *routing.VariantStats) { v.Errors = 20 }, true,
			"error rate 2.0% vs 1.0% (limit +1.0 pt, noise margin 0.0 pt)"},
		{"error rate over limit", CheckErrorRate, Criteria{Confidence: 0.5}, func(v *routing.VariantStats) { v.Errors = 21 }, false,
			"error rate 2.1% vs 1.0% (limit +1.0 pt, noise margin 0.0 pt)"},
		// p99: production 0.2 s; limit 1.5x → 0.3 s passes, 0.31 s fails.
		{"p99 at limit", CheckP99Latency, Criteria{}, func(v *routing.VariantStats) { v.P99 = 0.3 }, true,
			"p99 0.300s vs 0.200s = 1.50x (limit 1.50x)"},
		{"p99 over limit", CheckP99Latency, Criteria{}, func(v *routing.VariantStats) { v.P99 = 0.31 }, false,
			"p99 0.310s vs 0.200s = 1.55x (limit 1.50x)"},
		// accuracy: production 90%; limit -2 pt → 176/200 = 88% passes,
		// 175/200 = 87.5% fails.
		{"accuracy at limit", CheckAccuracy, Criteria{Confidence: 0.5}, func(v *routing.VariantStats) { v.TN = 96 }, true,
			"accuracy 88.0% vs 90.0% (limit -2.0 pt, noise margin 0.0 pt)"},
		{"accuracy over limit", CheckAccuracy, Criteria{Confidence: 0.5}, func(v *routing.VariantStats) { v.TN = 95 }, false,
			"accuracy 87.5% vs 90.0% (limit -2.0 pt, noise margin 0.0 pt)"},
		// F1: production 160/180 = 0.8889. With limit 0.0889 (drop to
		// exactly 0.8) a canary at 2·40/(2·40+10+10) = 80/100 = 0.8 passes;
		// TP 39 gives 78/98 = 0.7959, which fails. (Fewer TP lowers
		// accuracy to 70%, so its limit is widened to keep it out of the way.)
		{"f1 at limit", CheckF1, Criteria{MaxF1Drop: 160.0/180 - 0.8, MaxAccuracyDrop: 0.5, Confidence: 0.5}, func(v *routing.VariantStats) { v.TP = 40 }, true,
			"F1 0.800 vs 0.889 (limit -0.089, noise margin 0.000)"},
		{"f1 over limit", CheckF1, Criteria{MaxF1Drop: 160.0/180 - 0.8, MaxAccuracyDrop: 0.5, Confidence: 0.5}, func(v *routing.VariantStats) { v.TP = 39 }, false,
			"F1 0.796 vs 0.889 (limit -0.089, noise margin 0.000)"},
		// PSI: see TestPSIHandWorked, .25·ln 3 = 0.2747.
		{"psi at limit", CheckPSI, Criteria{MaxPSI: 0.27465307216702745 - psiMargin}, func(v *routing.VariantStats) {
			v.Probabilities = [routing.ProbabilityBins]int64{2500, 7500}
		}, true, "PSI 0.275 (limit 0.271, noise margin 0.003)"},
		{"psi over limit", CheckPSI, Criteria{MaxPSI: 0.27 - psiMargin}, func(v *routing.VariantStats) {
			v.Probabilities = [routing.ProbabilityBins]int64{2500, 7500}
		}, false, "PSI 0.275 (limit 0.267, noise margin 0.003)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prod := production()
			if tc.check == CheckPSI {
				prod.Probabilities = [routing.ProbabilityBins]int64{5000, 5000}
			}
			c := healthy(routing.VariantCanary)
			tc.mutate(&c)
			a := AnalyzeCanary(stats(prod, c), tc.c)
			got := check(t, a, tc.check)
			assert.Equal(t, tc.passed, got.Passed)
			assert.False(t, got.Inconclusive)
			assert.Equal(t, tc.detail, got.Detail)
			if tc.passed {
				assert.Equal(t, VerdictPass, a.Verdict, a.Summary)
			} else {
				assert.Equal(t, VerdictFail, a.Verdict)
				assert.Contains(t, a.Summary, tc.check+" failed: "+tc.detail)
			}
		})
	}
}

func TestTooFewRequestsIsInconclusive(t *testing.T) {
	c := healthy(routing.VariantCanary)
	c.Requests, c.Errors = 99, 99 // every request failed, but 99 are too few to judge
	a := AnalyzeCanary(stats(production(), c), Criteria{})
	assert.Equal(t, VerdictInconclusive, a.Verdict)
	assert.Empty(t, a.Failed())
	assert.Len(t, a.InconclusiveChecks(), 5)
	assert.Equal(t, "99 canary requests, need 100", check(t, a, CheckErrorRate).Detail)
	assert.Contains(t, a.Summary, "inconclusive (canary v3 vs production v2): error_rate inconclusive: 99 canary requests, need 100;")

	// Production too is held to the minimum.
	p := production()
	p.Requests = 40
	a = AnalyzeCanary(stats(p, healthy(routing.VariantCanary)), Criteria{})
	assert.Equal(t, VerdictInconclusive, a.Verdict)
	assert.Equal(t, "40 production requests, need 100", check(t, a, CheckP99Latency).Detail)

	// 100 is enough.
	c = healthy(routing.VariantCanary)
	c.Requests = 100
	assert.False(t, check(t, AnalyzeCanary(stats(production(), c), Criteria{}), CheckErrorRate).Inconclusive)
}

func TestTooFewFeedbackIsInconclusive(t *testing.T) {
	c := healthy(routing.VariantCanary)
	c.Feedback, c.TP, c.FP, c.FN, c.TN = 49, 0, 20, 20, 9 // dreadful, but only 49 outcomes
	a := AnalyzeCanary(stats(production(), c), Criteria{})
	assert.Equal(t, VerdictInconclusive, a.Verdict)
	assert.Equal(t, []string{CheckAccuracy, CheckF1}, a.InconclusiveChecks())
	assert.Equal(t, "49 canary feedback, need 50", check(t, a, CheckAccuracy).Detail)
	assert.Equal(t, "inconclusive (canary v3 vs production v2): "+
		"accuracy inconclusive: 49 canary feedback, need 50; f1 inconclusive: 49 canary feedback, need 50", a.Summary)
}

func TestF1WithoutPositivesIsInconclusive(t *testing.T) {
	c := healthy(routing.VariantCanary)
	c.TP, c.FP, c.FN, c.TN = 0, 0, 0, 200
	got := check(t, AnalyzeCanary(stats(production(), c), Criteria{}), CheckF1)
	assert.True(t, got.Inconclusive)
	assert.Equal(t, "canary F1 undefined: no positive predicted or observed in 200 feedback", got.Detail)
}

func TestCheckNotJudgedWithoutData(t *testing.T) {
	p, c := production(), healthy(routing.VariantCanary)
	p.P99, c.P99 = 0, 5
	p.Probabilities, c.Probabilities = [routing.ProbabilityBins]int64{}, [routing.ProbabilityBins]int64{}
	a := AnalyzeCanary(stats(p, c), Criteria{})
	assert.Equal(t, VerdictPass, a.Verdict)
	assert.Equal(t, "not judged: production p99 is 0", check(t, a, CheckP99Latency).Detail)
	assert.Equal(t, "not judged: neither variant recorded probabilities", check(t, a, CheckPSI).Detail)

	// Probabilities on one side only fail: the output changed.
	c.Probabilities = production().Probabilities
	got := check(t, AnalyzeCanary(stats(p, c), Criteria{}), CheckPSI)
	assert.False(t, got.Passed)
	assert.False(t, got.Inconclusive)
	assert.Equal(t, "canary recorded 1000 probabilities, production 0", got.Detail)
}

func TestMissingCanaryIsInconclusiveAndJSONSafe(t *testing.T) {
	// No canary variant at all, and production without feedback: every
	// ratio would be NaN, which encoding/json (and so Temporal) rejects.
	p := production()
	p.Feedback, p.TP, p.FP, p.FN, p.TN = 0, 0, 0, 0, 0
	a := AnalyzeCanary(stats(p), Criteria{})
	assert.Equal(t, VerdictInconclusive, a.Verdict)
	assert.Contains(t, a.Summary, "inconclusive (canary vs production v2): error_rate inconclusive: 0 canary requests, need 100")
	b, err := json.Marshal(a)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, "inconclusive", back["verdict"])
	first := back["checks"].([]any)[0].(map[string]any)
	assert.Equal(t, true, first["inconclusive"])
	assert.Contains(t, first, "baseline")

	// A failing analysis with real numbers round-trips too.
	c := healthy(routing.VariantCanary)
	c.Errors = 100
	b, err = json.Marshal(AnalyzeCanary(stats(production(), c), Criteria{}))
	require.NoError(t, err)
	var typed Analysis
	require.NoError(t, json.Unmarshal(b, &typed))
	assert.Equal(t, VerdictFail, typed.Verdict)
}

// A drop beyond the limit fails only when it is beyond sampling noise too:
// a one-sided two-proportion test at the criteria's confidence.
func TestAccuracyDropMustBeBeyondNoise(t *testing.T) {
	// Production 900/1000 = 90%, canary 85%. Limit 2 pt. At 95%, z = 1.6449.
	// n = 1000 each: SE = sqrt(.85·.15/1000 + .9·.1/1000) = 0.014748,
	// margin = 0.024259; drop − limit = 0.03 > margin: fails.
	// n = 100 canary rows: SE = sqrt(.85·.15/100 + .9·.1/1000) = 0.036946,
	// margin = 0.060773; 0.03 < margin: passes, it may be noise.
	prod := routing.VariantStats{Variant: routing.VariantProduction, Version: 2, Requests: 1000, Rows: 1000, Feedback: 1000, TP: 300, TN: 600, FP: 50, FN: 50}
	big := routing.VariantStats{Variant: routing.VariantCanary, Version: 3, Requests: 1000, Rows: 1000, Feedback: 1000, TP: 300, TN: 550, FP: 100, FN: 50}
	small := routing.VariantStats{Variant: routing.VariantCanary, Version: 3, Requests: 100, Rows: 100, Feedback: 100, TP: 30, TN: 55, FP: 10, FN: 5}
	c := Criteria{MaxF1Drop: 0.5, MaxPSI: 10, MaxP99Ratio: 10}

	a := AnalyzeCanary(stats(prod, big), c)
	acc := check(t, a, CheckAccuracy)
	assert.False(t, acc.Passed)
	assert.Equal(t, "accuracy 85.0% vs 90.0% (limit -2.0 pt, noise margin 2.4 pt)", acc.Detail)

	a = AnalyzeCanary(stats(prod, small), c)
	acc = check(t, a, CheckAccuracy)
	assert.True(t, acc.Passed, acc.Detail)
	assert.Equal(t, "accuracy 85.0% vs 90.0% (limit -2.0 pt, noise margin 6.1 pt)", acc.Detail)
}

func TestPSIWaitsForEnoughRows(t *testing.T) {
	prod := production()
	prod.Probabilities = [routing.ProbabilityBins]int64{500, 500}
	c := healthy(routing.VariantCanary)
	c.Probabilities = [routing.ProbabilityBins]int64{5, 20}
	chk := check(t, AnalyzeCanary(stats(prod, c), Criteria{}), CheckPSI)
	assert.True(t, chk.Inconclusive, "25 rows in ten bins says little about a shift")
	assert.Equal(t, "25 canary rows scored, need 200 for PSI", chk.Detail)
}

func TestPSINoiseShrinksWithSampleSize(t *testing.T) {
	c := Criteria{}.WithDefaults()
	// 120 canary rows against 1,800: n = 1/(1/120+1/1800) = 112.5;
	// 16.9016/112.5 = 0.15024. A PSI of 0.207 on such samples (seen in a
	// demo of two identical models) is within limit + noise.
	assert.InDelta(t, 0.15024, c.psiNoise(120, 1800), 1e-4)
	assert.InDelta(t, 0.0033803, c.psiNoise(10000, 10000), 1e-6)
	assert.Zero(t, c.psiNoise(0, 10))
}
