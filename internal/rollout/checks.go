package rollout

import (
	"fmt"
	"math"

	"github.com/mlpipe/mlpipe/internal/routing"
)

// Check names, stable for code, dashboards and alerts.
const (
	CheckErrorRate  = "error_rate"
	CheckP99Latency = "p99_latency"
	CheckAccuracy   = "accuracy"
	CheckF1         = "f1"
	CheckPSI        = "psi"
	CheckAgreement  = "agreement"
)

// slack lets a value sitting exactly on its limit pass despite float
// rounding (0.03 − 0.02 is 0.009999999999999998 or 0.010000000000000002
// depending on the operands); it is far below any meaningful difference.
const slack = 1e-9

// pair is the two variants a check compares.
type pair struct {
	name       string // the candidate variant's name, for details
	cand, base routing.VariantStats
}

// enoughRequests returns an inconclusive check when either variant has
// served fewer than c.MinRequests requests.
func (p pair) enoughRequests(check string, c Criteria) (Check, bool) {
	if p.cand.Requests < c.MinRequests {
		return inconclusive(check, fmt.Sprintf("%d %s requests, need %d", p.cand.Requests, p.name, c.MinRequests)), false
	}
	if p.base.Requests < c.MinRequests {
		return inconclusive(check, fmt.Sprintf("%d production requests, need %d", p.base.Requests, c.MinRequests)), false
	}
	return Check{}, true
}

// enoughFeedback is enoughRequests for joined ground truth.
func (p pair) enoughFeedback(check string, c Criteria) (Check, bool) {
	if chk, ok := p.enoughRequests(check, c); !ok {
		return chk, false
	}
	if p.cand.Feedback < c.MinFeedback {
		return inconclusive(check, fmt.Sprintf("%d %s feedback, need %d", p.cand.Feedback, p.name, c.MinFeedback)), false
	}
	if p.base.Feedback < c.MinFeedback {
		return inconclusive(check, fmt.Sprintf("%d production feedback, need %d", p.base.Feedback, c.MinFeedback)), false
	}
	return Check{}, true
}

func inconclusive(name, detail string) Check {
	return Check{Name: name, Inconclusive: true, Detail: detail}
}

func errorRateCheck(p pair, c Criteria) Check {
	if chk, ok := p.enoughRequests(CheckErrorRate, c); !ok {
		return chk
	}
	cr, br := p.cand.ErrorRate(), p.base.ErrorRate()
	worse, margin := c.worseBeyond(cr-br, c.MaxErrorRateIncrease, cr, p.cand.Requests, br, p.base.Requests)
	return Check{
		Name: CheckErrorRate, Passed: !worse,
		Canary: cr, Baseline: br, Limit: c.MaxErrorRateIncrease,
		Detail: fmt.Sprintf("error rate %s vs %s (limit +%.1f pt, noise margin %.1f pt)", pct(cr), pct(br), 100*c.MaxErrorRateIncrease, 100*margin),
	}
}

// p99Check compares tail latency. Canary and Baseline are seconds; Limit
// is the allowed ratio.
func p99Check(p pair, c Criteria) Check {
	if chk, ok := p.enoughRequests(CheckP99Latency, c); !ok {
		return chk
	}
	cp, bp := p.cand.P99, p.base.P99
	if bp <= 0 {
		// No production latency to scale by (the gateway has no histogram
		// yet); judging a ratio against zero would fail every candidate.
		return Check{Name: CheckP99Latency, Passed: true, Canary: cp, Limit: c.MaxP99Ratio,
			Detail: "not judged: production p99 is 0"}
	}
	r := cp / bp
	return Check{
		Name: CheckP99Latency, Passed: r <= c.MaxP99Ratio+slack,
		Canary: cp, Baseline: bp, Limit: c.MaxP99Ratio,
		Detail: fmt.Sprintf("p99 %.3fs vs %.3fs = %.2fx (limit %.2fx)", cp, bp, r, c.MaxP99Ratio),
	}
}

func accuracyCheck(p pair, c Criteria) Check {
	if chk, ok := p.enoughFeedback(CheckAccuracy, c); !ok {
		return chk
	}
	ca, ba := p.cand.Accuracy(), p.base.Accuracy()
	worse, margin := c.worseBeyond(ba-ca, c.MaxAccuracyDrop, ca, p.cand.Feedback, ba, p.base.Feedback)
	return Check{
		Name: CheckAccuracy, Passed: !worse,
		Canary: ca, Baseline: ba, Limit: c.MaxAccuracyDrop,
		Detail: fmt.Sprintf("accuracy %s vs %s (limit -%.1f pt, noise margin %.1f pt)", pct(ca), pct(ba), 100*c.MaxAccuracyDrop, 100*margin),
	}
}

func f1Check(p pair, c Criteria) Check {
	if chk, ok := p.enoughFeedback(CheckF1, c); !ok {
		return chk
	}
	if p.multiClass() {
		if why := p.classMismatch(); why != "" {
			return inconclusive(CheckF1, "macro F1 not comparable: "+why)
		}
	}
	cf, bf := p.cand.F1(), p.base.F1()
	// F1 is undefined without a single positive predicted or observed;
	// more feedback may bring one.
	if math.IsNaN(cf) {
		return inconclusive(CheckF1, fmt.Sprintf("%s F1 undefined: no positive predicted or observed in %d feedback", p.name, p.cand.Feedback))
	}
	if math.IsNaN(bf) {
		return inconclusive(CheckF1, fmt.Sprintf("production F1 undefined: no positive predicted or observed in %d feedback", p.base.Feedback))
	}
	// F1's spread is taken as a proportion's over the rows it is made of
	// (TP+FP+FN): an approximation, good enough to tell noise from harm.
	// For a multi-class model, over the joined feedback.
	worse, margin := c.worseBeyond(bf-cf, c.MaxF1Drop, cf, p.cand.F1Rows(), bf, p.base.F1Rows())
	what := "F1"
	if p.multiClass() {
		what = "macro F1"
	}
	return Check{
		Name: CheckF1, Passed: !worse,
		Canary: cf, Baseline: bf, Limit: c.MaxF1Drop,
		Detail: fmt.Sprintf("%s %.3f vs %.3f (limit -%.3f, noise margin %.3f)", what, cf, bf, c.MaxF1Drop, margin),
	}
}

// psiCheck compares the candidate's probability histogram (actual) with
// production's (expected).
// A multi-class pair is compared on the predicted-class mix instead.
func psiCheck(p pair, c Criteria) Check {
	if p.multiClass() {
		return classPSICheck(p, c)
	}
	if chk, ok := p.enoughRequests(CheckPSI, c); !ok {
		return chk
	}
	ct, bt := sum(p.cand.Probabilities[:]), sum(p.base.Probabilities[:])
	switch {
	case ct > 0 && ct < c.MinPSIRows:
		return inconclusive(CheckPSI, fmt.Sprintf("%d %s rows scored, need %d for PSI", ct, p.name, c.MinPSIRows))
	case bt > 0 && bt < c.MinPSIRows:
		return inconclusive(CheckPSI, fmt.Sprintf("%d production rows scored, need %d for PSI", bt, c.MinPSIRows))
	case ct == 0 && bt == 0:
		// Neither variant emits probabilities (e.g. a regressor): nothing
		// to compare, and blocking the rollout on it would help no one.
		return Check{Name: CheckPSI, Passed: true, Limit: c.MaxPSI, Detail: "not judged: neither variant recorded probabilities"}
	case ct == 0 || bt == 0:
		// One side emits probabilities and the other does not: the output
		// contract changed, which no PSI limit can allow.
		return Check{Name: CheckPSI, Limit: c.MaxPSI,
			Detail: fmt.Sprintf("%s recorded %d probabilities, production %d", p.name, ct, bt)}
	}
	v := PSI(p.base.Probabilities, p.cand.Probabilities)
	margin := c.psiNoise(ct, bt)
	return Check{
		Name: CheckPSI, Passed: v <= c.MaxPSI+margin+slack, Canary: v, Limit: c.MaxPSI,
		Detail: fmt.Sprintf("PSI %.3f (limit %.3f, noise margin %.3f)", v, c.MaxPSI, margin),
	}
}

// psiNoise is how much PSI two samples of one distribution show by chance:
// n·PSI is roughly chi-squared with bins−1 degrees of freedom, n being the
// harmonic combination of the two sample sizes. Its quantile at the
// criteria's confidence (Wilson–Hilferty) over n is the allowance.
func (c Criteria) psiNoise(nc, nb int64) float64 {
	return c.psiNoiseBins(nc, nb, routing.ProbabilityBins)
}

// psiNoiseBins is psiNoise over a histogram of bins bins.
func (c Criteria) psiNoiseBins(nc, nb int64, bins int) float64 {
	if nc <= 0 || nb <= 0 {
		return 0
	}
	n := 1 / (1/float64(nc) + 1/float64(nb))
	k := float64(bins - 1)
	q := k * math.Pow(1-2/(9*k)+c.z()*math.Sqrt(2/(9*k)), 3)
	return q / n
}

// agreementCheck judges how often the shadow's prediction matched
// production's on the same row.
func agreementCheck(p pair, c Criteria) Check {
	if chk, ok := p.enoughRequests(CheckAgreement, c); !ok {
		return chk
	}
	if p.cand.Compared < c.MinRequests {
		return inconclusive(CheckAgreement, fmt.Sprintf("%d rows compared, need %d", p.cand.Compared, c.MinRequests))
	}
	a := p.cand.Agreement()
	return Check{
		Name: CheckAgreement, Passed: a >= c.MinAgreement-slack, Canary: a, Limit: c.MinAgreement,
		Detail: fmt.Sprintf("agreement %s of %d rows (limit %s or more)", pct(a), p.cand.Compared, pct(c.MinAgreement)),
	}
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// who names a comparison for the summary, e.g. "canary v3 vs production v2".
func who(p pair) string {
	return version(p.name, p.cand.Version) + " vs " + version(routing.VariantProduction, p.base.Version)
}

func version(name string, v int) string {
	if v <= 0 {
		return name
	}
	return fmt.Sprintf("%s v%d", name, v)
}
