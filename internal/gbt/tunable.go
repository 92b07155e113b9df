package gbt

import (
	"fmt"
	"math"
	"strings"
)

// setter sets one Params field from a number or string.
type setter struct {
	name string
	// whole says the value must be a whole number; text that it is a string.
	whole, text bool
	set         func(p *Params, f float64, s string)
}

// setters are the parameters a search may set, sorted by name.
var setters = []setter{
	{name: "class_weight", text: true, set: func(p *Params, _ float64, s string) { p.ClassWeight = s }},
	{name: "colsample_bytree", set: func(p *Params, f float64, _ string) { p.ColsampleByTree = f }},
	{name: "early_stopping_rounds", whole: true, set: func(p *Params, f float64, _ string) { p.EarlyStoppingRounds = int(f) }},
	{name: "learning_rate", set: func(p *Params, f float64, _ string) { p.LearningRate = f }},
	{name: "max_bin", whole: true, set: func(p *Params, f float64, _ string) { p.MaxBin = int(f) }},
	{name: "max_depth", whole: true, set: func(p *Params, f float64, _ string) { p.MaxDepth = Depth(int(f)) }},
	{name: "min_child_weight", set: func(p *Params, f float64, _ string) { p.MinChildWeight = f }},
	{name: "n_estimators", whole: true, set: func(p *Params, f float64, _ string) { p.NEstimators = int(f) }},
	{name: "reg_alpha", set: func(p *Params, f float64, _ string) { p.RegAlpha = f }},
	{name: "reg_lambda", set: func(p *Params, f float64, _ string) { p.RegLambda = f }},
	{name: "subsample", set: func(p *Params, f float64, _ string) { p.Subsample = f }},
	{name: "validation_fraction", set: func(p *Params, f float64, _ string) { p.ValidationFraction = f }},
}

// Tunable lists the parameters Set accepts, sorted: what a search over
// gradient_boosting may name.
func Tunable() []string {
	names := make([]string, len(setters))
	for i, s := range setters {
		names[i] = s.name
	}
	return names
}

// Set sets the parameter name (as the spec spells it) to v, a value as
// YAML or JSON decode it: a number (float64 or a Go integer), a string, or
// nil, which only max_depth takes (unlimited depth, the seed's None). It
// checks the name and the value's type, not its range: call Validate.
func (p *Params) Set(name string, v any) error {
	var s *setter
	for i := range setters {
		if setters[i].name == name {
			s = &setters[i]
		}
	}
	if s == nil {
		return fmt.Errorf("gradient_boosting has no parameter %q; its tunable parameters are %s", name, strings.Join(Tunable(), ", "))
	}
	var f float64
	switch x := v.(type) {
	case nil:
		if name != "max_depth" {
			return fmt.Errorf("gradient_boosting: %s cannot be null; only max_depth can (unlimited depth)", name)
		}
		p.MaxDepth = nil
		return nil
	case string:
		if !s.text {
			return fmt.Errorf("gradient_boosting: %s takes a number, not the string %q", name, x)
		}
		s.set(p, 0, x)
		return nil
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	default:
		return fmt.Errorf("gradient_boosting: %s: value %v has type %T; values must be numbers or strings", name, v, v)
	}
	switch {
	case s.text:
		return fmt.Errorf("gradient_boosting: %s takes a string, not the number %v", name, f)
	case s.whole && f != math.Trunc(f):
		return fmt.Errorf("gradient_boosting: %s takes a whole number, not %v", name, f)
	}
	s.set(p, f, "")
	return nil
}
