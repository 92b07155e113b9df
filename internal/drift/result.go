package drift

// Result is one column's drift in one window.
type Result struct {
	Column string `json:"column"`
	// Kind is "numeric" or "categorical".
	Kind string `json:"kind"`
	// Count is the current non-null values measured; Nulls the nulls (NaN
	// counts as null); NonFinite the ±Inf values left out.
	Count     int64 `json:"count"`
	Nulls     int64 `json:"nulls"`
	NonFinite int64 `json:"non_finite,omitempty"`
	// ReferenceCount is the reference's non-null values, the m of the
	// two-sample tests.
	ReferenceCount int64 `json:"reference_count"`

	// Drifted is the verdict; Reason says in one sentence why.
	Drifted bool   `json:"drifted"`
	Reason  string `json:"reason"`
	// Skipped says why nothing was measured (no values in the window, a
	// reference without the needed summary); the verdict is then false.
	Skipped string `json:"skipped,omitempty"`

	// Test names the significance test ("ks" or "chi2") and PValue is its
	// p-value; Effect names the effect size ("wasserstein_norm": W1 less
	// its sampling noise, over the reference's std; or "max_share_change")
	// and EffectSize is its value. The verdict is PValue < Alpha and
	// EffectSize ≥ the kind's floor.
	Test       string  `json:"test"`
	PValue     float64 `json:"p_value"`
	Effect     string  `json:"effect"`
	EffectSize float64 `json:"effect_size"`

	Numeric     *NumericStats     `json:"numeric,omitempty"`
	Categorical *CategoricalStats `json:"categorical,omitempty"`
	// Histogram is the reference and the current window on the same bins,
	// for a report to plot side by side.
	Histogram *Histogram `json:"histogram,omitempty"`
}

// NumericStats are the statistics of a numeric column.
type NumericStats struct {
	PSI      float64 `json:"psi"`
	PSILevel string  `json:"psi_level"` // none, moderate or major
	// KS is the Kolmogorov–Smirnov statistic D.
	KS float64 `json:"ks"`
	// Wasserstein is W1 in the column's unit; WassersteinNorm is W1 over
	// the reference's standard deviation.
	Wasserstein     float64 `json:"wasserstein"`
	WassersteinNorm float64 `json:"wasserstein_norm"`
	// WassersteinNoise is the W1 a clean window of this size shows from
	// sampling alone (reference and window); the verdict's effect is
	// (W1 − WassersteinNoise)/std, so that small windows are not judged on
	// noise.
	WassersteinNoise float64 `json:"wasserstein_noise"`
	// CurrentQuantiles are the window's quantiles at the reference's
	// probabilities (profile.QuantileProbs of them).
	CurrentQuantiles []float64 `json:"current_quantiles"`
}

// CategoricalStats are the statistics of a string column.
type CategoricalStats struct {
	ChiSquare float64 `json:"chi_square"`
	DF        int     `json:"df"`
	// JensenShannon is the Jensen–Shannon distance in base 2, in [0, 1].
	JensenShannon float64 `json:"jensen_shannon"`
	// MaxShareChange is the largest |current share − reference share|, and
	// MaxShareCategory the category it belongs to.
	MaxShareChange   float64 `json:"max_share_change"`
	MaxShareCategory string  `json:"max_share_category"`
	// Unseen counts current values outside the reference's categories when
	// the reference listed all of its values; UnseenValues are up to
	// MaxUnseenValues of them, the first met, sorted.
	Unseen       int64    `json:"unseen"`
	UnseenValues []string `json:"unseen_values,omitempty"`
}

// MaxUnseenValues is how many unseen values a result names.
const MaxUnseenValues = 10

// Bin labels of the categories that are not the reference's own.
const (
	// OtherLabel is the reference's OtherCount and the current values not
	// in its top list, when the reference has an OtherCount.
	OtherLabel = "(other)"
	// UnseenLabel is current values the reference never had.
	UnseenLabel = "(unseen)"
)

// Histogram holds counts of the reference and the window on the same bins:
// numeric bins [Edges[i], Edges[i+1]) (the last closed, values outside the
// reference range in the outer bins), or one bin per Labels entry.
type Histogram struct {
	Edges     []float64 `json:"edges,omitempty"`
	Labels    []string  `json:"labels,omitempty"`
	Reference []int64   `json:"reference"`
	Current   []int64   `json:"current"`
}
