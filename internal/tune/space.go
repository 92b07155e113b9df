package tune

import (
	"fmt"
	"math"
	"strings"
)

// Param is one named hyperparameter and how to draw it.
type Param struct {
	Name string
	Dist Distribution
}

// Space is the ordered list of parameters to search, param_distributions in
// a spec. Order matters: Sample draws parameters in this order, so the same
// space in the same order and the same seed give the same trials. YAML keeps
// the mapping's order; JSON is an object whose keys are kept in the order
// written (see MarshalJSON).
type Space []Param

// Get returns the distribution of the parameter called name.
func (s Space) Get(name string) (Distribution, bool) {
	for _, p := range s {
		if p.Name == name {
			return p.Dist, true
		}
	}
	return Distribution{}, false
}

// Validate reports the first parameter that cannot be searched: an unknown
// name, a repeated name, a malformed distribution, or a distribution that
// cannot produce values of the parameter's type (a float range for
// batch_size, numbers for optimizer).
func (s Space) Validate() error {
	if len(s) == 0 {
		return fmt.Errorf("tune: param_distributions is empty; name at least one parameter to search, e.g. learning_rate: {log_uniform: [0.001, 0.3]}")
	}
	for i, p := range s {
		for _, q := range s[:i] {
			if q.Name == p.Name {
				return fmt.Errorf("tune: param_distributions.%s appears twice; keep one", p.Name)
			}
		}
		if err := p.check(); err != nil {
			return fmt.Errorf("tune: param_distributions.%s: %w", p.Name, err)
		}
	}
	return nil
}

// check validates one parameter on its own: a tunable name and a
// well-formed distribution whose values fit it.
func (p Param) check() error {
	f, err := lookup(p.Name)
	if err != nil {
		return unknownParam(p.Name)
	}
	if err := p.Dist.validate(); err != nil {
		return err
	}
	return f.accepts(p.Dist)
}

// accepts says whether every value d can produce fits field f.
func (f field) accepts(d Distribution) error {
	switch d.Kind {
	case DistChoice:
		for i, v := range d.Choices {
			if v == nil {
				continue
			}
			if err := f.check(v); err != nil {
				return fmt.Errorf("value %d: %w", i+1, err)
			}
		}
		return nil
	case DistIntUniform:
		if f.kind == kindString {
			return fmt.Errorf("%s takes a string; give a list of values instead of %s", f.name, d.Kind)
		}
		return nil
	default:
		switch f.kind {
		case kindString:
			return fmt.Errorf("%s takes a string; give a list of values instead of %s", f.name, d.Kind)
		case kindInt, kindDepth:
			return fmt.Errorf("%s takes a whole number; use int_uniform or a list of whole numbers instead of %s", f.name, d.Kind)
		}
		return nil
	}
}

// isWhole reports whether x is a whole number a float64 holds exactly.
func isWhole(x float64) bool {
	return x == math.Trunc(x) && math.Abs(x) <= maxExactInt
}

// String describes the space in one line, parameter by parameter:
// "batch_size [64 128 256], learning_rate log_uniform [0.001, 0.1]".
func (s Space) String() string {
	parts := make([]string, 0, len(s))
	for _, p := range s {
		if p.Dist.Kind == DistChoice {
			parts = append(parts, fmt.Sprintf("%s %v", p.Name, p.Dist.Choices))
		} else {
			parts = append(parts, fmt.Sprintf("%s %s [%g, %g]", p.Name, p.Dist.Kind, p.Dist.Low, p.Dist.High))
		}
	}
	return strings.Join(parts, ", ")
}
