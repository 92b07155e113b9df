package rollout

import "github.com/mlpipe/mlpipe/internal/routing"

// AnalyzeCanary judges the canary against production on error rate, p99
// latency, feedback accuracy and F1, and prediction drift (PSI). Zero
// criteria take their defaults. Both variants answered real traffic since
// the routing epoch began, so every difference is the candidate's doing.
func AnalyzeCanary(s routing.Stats, c Criteria) Analysis {
	c = c.WithDefaults()
	p := pair{name: routing.VariantCanary, cand: s.Variant(routing.VariantCanary), base: s.Variant(routing.VariantProduction)}
	return newAnalysis(who(p), []Check{
		errorRateCheck(p, c),
		p99Check(p, c),
		accuracyCheck(p, c),
		f1Check(p, c),
		psiCheck(p, c),
	})
}
