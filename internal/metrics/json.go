package metrics

import "math"

// JSON has no NaN or infinity, and encoding/json refuses them, so every
// result type writes an undefined or infinite value as null and reads null
// back as the value it stands for (NaN, or +Inf for a curve's end points).

// finite returns a pointer to f, or nil when f is NaN or infinite.
func finite(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// orElse returns *p, or def when p is nil (a JSON null).
func orElse(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}
