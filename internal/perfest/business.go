package perfest

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

var errNoPredictions = errors.New("perfest: no predictions to estimate from")

// Outcome is one feedback record: the variant that served the prediction,
// whether it converted (its label is the positive one), and its business
// value.
type Outcome struct {
	Variant   string  `json:"variant"`
	Converted bool    `json:"converted"`
	Value     float64 `json:"value"`
}

// VariantBusiness is the business outcome of one variant.
type VariantBusiness struct {
	Variant string `json:"variant"`
	// Predictions served, Labelled the ones with feedback, Conversions
	// those that converted.
	Predictions int64 `json:"predictions"`
	Labelled    int64 `json:"labelled"`
	Conversions int64 `json:"conversions"`
	// ConversionRate is Conversions/Labelled.
	ConversionRate Metric `json:"conversion_rate"`
	// TotalValue sums the feedback's values; ValuePerPrediction spreads it
	// over every prediction served (one without feedback is worth 0).
	TotalValue         float64 `json:"total_value"`
	ValuePerPrediction Metric  `json:"value_per_prediction"`
}

// Business sums outcomes per variant. predictions counts the predictions
// each variant served in the window; a variant with feedback but fewer
// counted predictions (feedback for predictions of an earlier window) is
// spread over its labelled rows instead. Variants come out sorted by name.
func Business(predictions map[string]int64, outcomes []Outcome) ([]VariantBusiness, error) {
	type acc struct {
		VariantBusiness
		sumSq float64
	}
	by := map[string]*acc{}
	get := func(v string) *acc {
		a, ok := by[v]
		if !ok {
			a = &acc{VariantBusiness: VariantBusiness{Variant: v}}
			by[v] = a
		}
		return a
	}
	for v, n := range predictions {
		if n < 0 {
			return nil, fmt.Errorf("perfest: variant %q served %d predictions; a count cannot be negative", v, n)
		}
		get(v).Predictions = n
	}
	for i, o := range outcomes {
		if math.IsNaN(o.Value) || math.IsInf(o.Value, 0) {
			return nil, fmt.Errorf("perfest: feedback %d (variant %q) has value %v; a value must be a finite number", i, o.Variant, o.Value)
		}
		a := get(o.Variant)
		a.Labelled++
		if o.Converted {
			a.Conversions++
		}
		a.TotalValue += o.Value
		a.sumSq += o.Value * o.Value
	}
	out := make([]VariantBusiness, 0, len(by))
	for _, a := range by {
		a.ConversionRate = wilson(a.Conversions, a.Labelled)
		if n := float64(max(a.Predictions, a.Labelled)); n > 0 {
			mean := a.TotalValue / n
			se := 0.0
			if n > 1 {
				se = math.Sqrt(max(a.sumSq/n-mean*mean, 0) * n / (n - 1) / n)
			}
			a.ValuePerPrediction = normal(mean, se, math.Inf(-1), math.Inf(1), "normal")
		}
		// A variant name comes from the logs; what crosses Temporal is
		// valid UTF-8.
		a.Variant = strings.ToValidUTF8(a.Variant, "\uFFFD")
		out = append(out, a.VariantBusiness)
	}
	slices.SortFunc(out, func(a, b VariantBusiness) int { return cmp.Compare(a.Variant, b.Variant) })
	return out, nil
}
