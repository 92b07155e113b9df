package rollout

import (
	"fmt"
	"math"
)

// Criteria are the limits a candidate must stay within. A zero field takes
// its default (see WithDefaults), so a spec only names what it changes.
type Criteria struct {
	// MinRequests each variant must have served before any check is judged.
	MinRequests int64 `json:"min_requests,omitempty" yaml:"min_requests"`
	// MinFeedback each variant must have joined before accuracy and F1 are
	// judged.
	MinFeedback int64 `json:"min_feedback,omitempty" yaml:"min_feedback"`
	// MaxErrorRateIncrease is the largest allowed candidate − production
	// error rate, as a fraction (0.01 = one percentage point).
	MaxErrorRateIncrease float64 `json:"max_error_rate_increase,omitempty" yaml:"max_error_rate_increase"`
	// MaxP99Ratio is the largest allowed candidate p99 / production p99.
	MaxP99Ratio float64 `json:"max_p99_ratio,omitempty" yaml:"max_p99_ratio"`
	// MaxAccuracyDrop and MaxF1Drop are the largest allowed production −
	// candidate values, as fractions.
	MaxAccuracyDrop float64 `json:"max_accuracy_drop,omitempty" yaml:"max_accuracy_drop"`
	MaxF1Drop       float64 `json:"max_f1_drop,omitempty" yaml:"max_f1_drop"`
	// MaxPSI is the largest allowed population stability index between the
	// production and candidate probability histograms.
	MaxPSI float64 `json:"max_psi,omitempty" yaml:"max_psi"`
	// MinPSIRows is how many scored rows each variant needs before PSI is
	// judged: PSI over a few dozen rows in ten bins is mostly noise (about
	// 20 rows a bin is the usual rule).
	MinPSIRows int64 `json:"min_psi_rows,omitempty" yaml:"min_psi_rows"`
	// MinAgreement is the shadow's smallest allowed agreement with
	// production, as a fraction of compared rows.
	MinAgreement float64 `json:"min_agreement,omitempty" yaml:"min_agreement"`
	// Confidence is how sure an analysis must be that the candidate is
	// worse than a limit allows before it fails a comparison (error rate,
	// accuracy, F1): a one-sided test at this level, so a few
	// unlucky requests early in a 5% canary do not roll back a good model.
	Confidence float64 `json:"confidence,omitempty" yaml:"confidence"`
}

// Defaults used by WithDefaults.
const (
	DefaultMinRequests          = 100
	DefaultMinFeedback          = 50
	DefaultMaxErrorRateIncrease = 0.01
	DefaultMaxP99Ratio          = 1.5
	DefaultMaxAccuracyDrop      = 0.02
	DefaultMaxF1Drop            = 0.02
	// DefaultMaxPSI is the usual "significant shift" line: below 0.1 is
	// stable, 0.1–0.2 a moderate shift.
	DefaultMaxPSI       = 0.2
	DefaultMinPSIRows   = 200
	DefaultMinAgreement = 0.9
	DefaultConfidence   = 0.95
)

// WithDefaults returns c with every zero field set to its default.
func (c Criteria) WithDefaults() Criteria {
	if c.MinRequests == 0 {
		c.MinRequests = DefaultMinRequests
	}
	if c.MinFeedback == 0 {
		c.MinFeedback = DefaultMinFeedback
	}
	if c.MaxErrorRateIncrease == 0 {
		c.MaxErrorRateIncrease = DefaultMaxErrorRateIncrease
	}
	if c.MaxP99Ratio == 0 {
		c.MaxP99Ratio = DefaultMaxP99Ratio
	}
	if c.MaxAccuracyDrop == 0 {
		c.MaxAccuracyDrop = DefaultMaxAccuracyDrop
	}
	if c.MaxF1Drop == 0 {
		c.MaxF1Drop = DefaultMaxF1Drop
	}
	if c.MaxPSI == 0 {
		c.MaxPSI = DefaultMaxPSI
	}
	if c.MinPSIRows == 0 {
		c.MinPSIRows = DefaultMinPSIRows
	}
	if c.MinAgreement == 0 {
		c.MinAgreement = DefaultMinAgreement
	}
	if c.Confidence == 0 {
		c.Confidence = DefaultConfidence
	}
	return c
}

// Validate says which field of a rollout's criteria to fix. Call it on the
// spec's criteria before the rollout starts, so a typo fails at submission
// rather than a day into the canary.
func (c Criteria) Validate() error {
	counts := []struct {
		field string
		v     int64
	}{{"min_requests", c.MinRequests}, {"min_feedback", c.MinFeedback}, {"min_psi_rows", c.MinPSIRows}}
	for _, f := range counts {
		if f.v < 0 {
			return fmt.Errorf("rollout criteria: %s is %d; use 0 for the default or a positive count", f.field, f.v)
		}
	}
	limits := []struct {
		field string
		v     float64
	}{
		{"max_error_rate_increase", c.MaxErrorRateIncrease},
		{"max_p99_ratio", c.MaxP99Ratio},
		{"max_accuracy_drop", c.MaxAccuracyDrop},
		{"max_f1_drop", c.MaxF1Drop},
		{"max_psi", c.MaxPSI},
		{"min_agreement", c.MinAgreement},
	}
	for _, f := range limits {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("rollout criteria: %s is %v; use 0 for the default or a positive number", f.field, f.v)
		}
	}
	fractions := []struct {
		field string
		v     float64
	}{
		{"max_error_rate_increase", c.MaxErrorRateIncrease},
		{"max_accuracy_drop", c.MaxAccuracyDrop},
		{"max_f1_drop", c.MaxF1Drop},
		{"min_agreement", c.MinAgreement},
	}
	for _, f := range fractions {
		if f.v > 1 {
			return fmt.Errorf("rollout criteria: %s is %v but is a fraction; write e.g. 0.02 for 2 points", f.field, f.v)
		}
	}
	if c.Confidence != 0 && (c.Confidence < 0.5 || c.Confidence >= 1 || math.IsNaN(c.Confidence)) {
		return fmt.Errorf("rollout criteria: confidence is %v; use a level between 0.5 and 1, e.g. 0.95", c.Confidence)
	}
	return nil
}

// z is the one-sided normal quantile of the confidence level.
func (c Criteria) z() float64 {
	conf := c.Confidence
	if conf == 0 {
		conf = DefaultConfidence
	}
	return math.Sqrt2 * math.Erfinv(2*conf-1)
}

// worseBeyond reports whether a candidate rate is worse than the baseline
// by more than limit with the criteria's confidence: a one-sided test of
// the difference of two proportions (normal approximation). drop is
// baseline − candidate for rates where higher is better (accuracy), and
// candidate − baseline for rates where lower is better (errors). It also
// returns the margin the test allowed on top of the limit.
func (c Criteria) worseBeyond(drop, limit, pc float64, nc int64, pb float64, nb int64) (bool, float64) {
	se := math.Sqrt(pc*(1-pc)/float64(max(nc, 1)) + pb*(1-pb)/float64(max(nb, 1)))
	margin := c.z() * se
	return drop-limit > margin+slack, margin
}
