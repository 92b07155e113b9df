package tune

import (
	"fmt"
	"math"
)

// Distribution kinds, as written in a spec.
const (
	// DistChoice picks one of a list of values with equal probability.
	DistChoice = "choice"
	// DistUniform draws a float uniformly from [Low, High].
	DistUniform = "uniform"
	// DistLogUniform draws a float whose logarithm is uniform on
	// [log Low, log High]; use it for learning rates and penalties that span
	// orders of magnitude.
	DistLogUniform = "log_uniform"
	// DistIntUniform draws a whole number uniformly from Low..High, both
	// included.
	DistIntUniform = "int_uniform"
)

// maxExactInt is the largest whole number a float64 holds exactly (2^53).
const maxExactInt = 1 << 53

// Distribution says how one hyperparameter is drawn.
type Distribution struct {
	// Kind is one of DistChoice, DistUniform, DistLogUniform, DistIntUniform.
	Kind string
	// Low and High bound the range kinds; unused by DistChoice.
	Low, High float64
	// Choices holds DistChoice's values: each a string, a float64, or nil
	// (null in a spec, as in the seed's max_depth [5, 10, None]), which
	// keeps the base config's value.
	Choices []any
}

// Choice returns a DistChoice over values. Go integers are stored as float64
// so a space built in code equals one decoded from JSON or YAML.
func Choice(values ...any) Distribution {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = normalize(v)
	}
	return Distribution{Kind: DistChoice, Choices: out}
}

// Uniform returns a DistUniform on [low, high].
func Uniform(low, high float64) Distribution {
	return Distribution{Kind: DistUniform, Low: low, High: high}
}

// LogUniform returns a DistLogUniform on [low, high].
func LogUniform(low, high float64) Distribution {
	return Distribution{Kind: DistLogUniform, Low: low, High: high}
}

// IntUniform returns a DistIntUniform on low..high inclusive.
func IntUniform(low, high int) Distribution {
	return Distribution{Kind: DistIntUniform, Low: float64(low), High: float64(high)}
}

// normalize turns Go integer types into float64 and leaves anything else
// as it is for validate to judge.
func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float32:
		return float64(x)
	}
	return v
}

// validate checks the distribution's own shape; it does not know which
// parameter it is for (see Space.Validate).
func (d Distribution) validate() error {
	switch d.Kind {
	case DistChoice:
		if len(d.Choices) == 0 {
			return fmt.Errorf("the list of values is empty; give at least one value, e.g. [64, 128]")
		}
		for i, v := range d.Choices {
			switch x := v.(type) {
			case nil, string:
			case float64:
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return fmt.Errorf("value %d is %v; numbers must be finite", i+1, x)
				}
			default:
				return fmt.Errorf("value %d is %v (%T); values must be strings, numbers or null", i+1, v, v)
			}
		}
		return nil
	case DistUniform, DistLogUniform, DistIntUniform:
	case "":
		return fmt.Errorf("no distribution given; use a list of values or one of {uniform|log_uniform|int_uniform: [low, high]}")
	default:
		return fmt.Errorf("distribution %q is not supported; use a list of values or one of uniform, log_uniform, int_uniform", d.Kind)
	}
	lo, hi := d.Low, d.High
	bounds := fmt.Sprintf("%s: [%v, %v]", d.Kind, lo, hi)
	switch {
	case math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0):
		return fmt.Errorf("%s: bounds must be finite numbers", bounds)
	case d.Kind == DistIntUniform && (lo != math.Trunc(lo) || hi != math.Trunc(hi)):
		return fmt.Errorf("%s: bounds must be whole numbers", bounds)
	case d.Kind == DistIntUniform && (math.Abs(lo) > maxExactInt || math.Abs(hi) > maxExactInt):
		return fmt.Errorf("%s: bounds must be within ±2^53", bounds)
	case d.Kind == DistIntUniform && lo > hi:
		return fmt.Errorf("%s: low must not exceed high", bounds)
	case d.Kind != DistIntUniform && !(lo < hi):
		return fmt.Errorf("%s: low must be less than high (for a fixed value use a one-item list, e.g. [%v])", bounds, lo)
	case d.Kind == DistLogUniform && !(lo > 0):
		return fmt.Errorf("%s: low must be > 0, since the log of 0 or less is undefined", bounds)
	}
	return nil
}
