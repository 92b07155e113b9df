package rollout

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mlpipe/mlpipe/internal/routing"
)

// shadow agrees with production on 950 of 1000 compared rows (95%).
func shadow() routing.VariantStats {
	v := healthy(routing.VariantShadow)
	v.Compared, v.Agreed = 1000, 950
	return v
}

func TestGoodShadowPasses(t *testing.T) {
	a := AnalyzeShadow(stats(production(), shadow()), Criteria{})
	assert.Equal(t, VerdictPass, a.Verdict)
	assert.Equal(t, "pass (shadow v3 vs production v2): all 5 checks passed", a.Summary)
	for _, c := range a.Checks {
		assert.NotEqual(t, CheckP99Latency, c.Name, "the shadow's latency is nobody's wait")
	}
	assert.InDelta(t, 0.95, check(t, a, CheckAgreement).Canary, 1e-12)
}

func TestShadowAgreementAtBoundary(t *testing.T) {
	s := shadow()
	s.Agreed = 900 // exactly 90%
	got := check(t, AnalyzeShadow(stats(production(), s), Criteria{}), CheckAgreement)
	assert.True(t, got.Passed)
	assert.Equal(t, "agreement 90.0% of 1000 rows (limit 90.0% or more)", got.Detail)

	s.Agreed = 899
	a := AnalyzeShadow(stats(production(), s), Criteria{})
	assert.Equal(t, VerdictFail, a.Verdict)
	assert.Equal(t, []string{CheckAgreement}, a.Failed())
	assert.Equal(t, "fail (shadow v3 vs production v2): agreement failed: agreement 89.9% of 1000 rows (limit 90.0% or more)", a.Summary)
}

func TestShadowErrorsAndAccuracyFail(t *testing.T) {
	s := shadow()
	s.Errors = 50                           // 5% vs 1%
	s.TP, s.FP, s.FN, s.TN = 70, 20, 20, 90 // accuracy 80%; F1 140/180 = 0.778
	a := AnalyzeShadow(stats(production(), s), Criteria{})
	assert.Equal(t, VerdictFail, a.Verdict)
	assert.Equal(t, []string{CheckErrorRate, CheckAccuracy, CheckF1}, a.Failed())
	assert.Contains(t, a.Summary, "error_rate failed: error rate 5.0% vs 1.0% (limit +1.0 pt, noise margin 1.2 pt)")
}

func TestShadowTooFewComparedIsInconclusive(t *testing.T) {
	s := shadow()
	s.Compared, s.Agreed = 99, 0
	a := AnalyzeShadow(stats(production(), s), Criteria{})
	assert.Equal(t, VerdictInconclusive, a.Verdict)
	assert.Equal(t, []string{CheckAgreement}, a.InconclusiveChecks())
	assert.Equal(t, "inconclusive (shadow v3 vs production v2): agreement inconclusive: 99 rows compared, need 100", a.Summary)
}

func TestShadowIgnoresCanaryVariant(t *testing.T) {
	// A stale canary entry must not stand in for the shadow.
	bad := healthy(routing.VariantCanary)
	bad.Errors = 500
	a := AnalyzeShadow(stats(production(), bad, shadow()), Criteria{})
	assert.Equal(t, VerdictPass, a.Verdict, a.Summary)
}
