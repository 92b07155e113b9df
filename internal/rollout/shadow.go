package rollout

import "github.com/mlpipe/mlpipe/internal/routing"

// AnalyzeShadow judges the shadow against production on agreement, error
// rate on mirrored requests, feedback accuracy and F1, and prediction drift
// (PSI). Latency is not judged: the shadow answers asynchronously and no
// caller waits for it. Zero criteria take their defaults.
func AnalyzeShadow(s routing.Stats, c Criteria) Analysis {
	c = c.WithDefaults()
	p := pair{name: routing.VariantShadow, cand: s.Variant(routing.VariantShadow), base: s.Variant(routing.VariantProduction)}
	return newAnalysis(who(p), []Check{
		agreementCheck(p, c),
		errorRateCheck(p, c),
		accuracyCheck(p, c),
		f1Check(p, c),
		psiCheck(p, c),
	})
}
