package tune

import (
	"fmt"
	"strings"

	"github.com/mlpipe/mlpipe/internal/model"
)

type valueKind int

const (
	kindInt valueKind = iota
	kindFloat
	kindString
	// kindDepth is max_depth: a whole number, or null (None) for unlimited.
	kindDepth
)

// field is one model.Config field a search may set, named as in YAML.
type field struct {
	name string
	kind valueKind
	set  func(c *model.Config, v any)
}

// fields lists the tunable model.Config fields, sorted by name. To make a
// new field tunable, add one line here with intField, floatField or
// stringField; Validate, Apply and the error messages pick it up.
var fields = []field{
	stringField("activation", func(c *model.Config) *string { return &c.Activation }),
	intField("batch_size", func(c *model.Config) *int { return &c.BatchSize }),
	stringField("class_weight", func(c *model.Config) *string { return &c.ClassWeight }),
	floatField("colsample_bytree", func(c *model.Config) *float64 { return &c.ColsampleByTree }),
	floatField("dropout", func(c *model.Config) *float64 { return &c.Dropout }),
	intField("early_stopping_rounds", func(c *model.Config) *int { return &c.EarlyStoppingRounds }),
	intField("epochs", func(c *model.Config) *int { return &c.Epochs }),
	intField("hidden_units", func(c *model.Config) *int { return hiddenUnits(c) }),
	stringField("kind", func(c *model.Config) *string { return &c.Kind }),
	floatField("l2", func(c *model.Config) *float64 { return &c.L2 }),
	floatField("learning_rate", func(c *model.Config) *float64 { return &c.LearningRate }),
	intField("max_bin", func(c *model.Config) *int { return &c.MaxBin }),
	{"max_depth", kindDepth, setDepth},
	floatField("min_child_weight", func(c *model.Config) *float64 { return fresh(&c.MinChildWeight) }),
	intField("n_estimators", func(c *model.Config) *int { return &c.NEstimators }),
	stringField("optimizer", func(c *model.Config) *string { return &c.Optimizer }),
	intField("patience", func(c *model.Config) *int { return &c.Patience }),
	floatField("reg_alpha", func(c *model.Config) *float64 { return &c.RegAlpha }),
	floatField("reg_lambda", func(c *model.Config) *float64 { return fresh(&c.RegLambda) }),
	floatField("subsample", func(c *model.Config) *float64 { return &c.Subsample }),
	floatField("tol", func(c *model.Config) *float64 { return &c.Tol }),
	floatField("validation_fraction", func(c *model.Config) *float64 { return &c.ValidationFraction }),
}

// hiddenUnits tunes the width of an MLP's single hidden layer.
// The layer list is copied first: a config copy shares it with the base.
func hiddenUnits(c *model.Config) *int {
	c.Hidden = append([]int(nil), c.Hidden...)
	if len(c.Hidden) == 0 {
		c.Hidden = []int{0}
	}
	return &c.Hidden[0]
}

// setDepth sets max_depth: null, or None as pasted from Python, is
// unlimited depth (so a null choice does not keep the base's depth, as it
// does for every other parameter).
func setDepth(c *model.Config, v any) {
	switch x := v.(type) {
	case float64:
		c.MaxDepth = model.Depth(int(x))
	default:
		c.MaxDepth = model.DepthUnlimited
	}
}

// fresh points *p at a new float, so a trial's config never writes
// through a pointer it shares with the base.
func fresh(p **float64) *float64 {
	*p = new(float64)
	return *p
}

func intField(name string, at func(*model.Config) *int) field {
	return field{name, kindInt, func(c *model.Config, v any) { *at(c) = int(v.(float64)) }}
}

func floatField(name string, at func(*model.Config) *float64) field {
	return field{name, kindFloat, func(c *model.Config, v any) { *at(c) = v.(float64) }}
}

func stringField(name string, at func(*model.Config) *string) field {
	return field{name, kindString, func(c *model.Config, v any) { *at(c) = v.(string) }}
}

// Tunable lists the parameter names Apply accepts, sorted.
func Tunable() []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return names
}

func lookup(name string) (field, error) {
	for _, f := range fields {
		if f.name == name {
			return f, nil
		}
	}
	if name == "hidden" {
		return field{}, fmt.Errorf("tune: %w", unknownParam(name))
	}
	return field{}, fmt.Errorf("tune: unknown parameter %q; tunable parameters are %s", name, strings.Join(Tunable(), ", "))
}

// unknownParam says, after the parameter's name, that it cannot be
// searched and what can. hidden, the
// list of an MLP's layer widths, is the likeliest mistake: its width is
// searched as hidden_units.
func unknownParam(name string) error {
	if name == "hidden" {
		return fmt.Errorf("hidden (the list of layer widths) cannot be searched; search hidden_units, the width of the mlp's hidden layer, " +
			"e.g. hidden_units: [16, 32, 64] with hyperparameters.kind: mlp")
	}
	return fmt.Errorf("unknown parameter; tunable parameters are %s", strings.Join(Tunable(), ", "))
}

// check reports whether v, a non-nil trial value, fits the field's type.
func (f field) check(v any) error {
	switch x := v.(type) {
	case nil:
		if f.kind != kindDepth {
			return fmt.Errorf("%s cannot be null; only max_depth can (unlimited depth)", f.name)
		}
	case string:
		if f.kind == kindDepth && model.DepthNone(x) {
			return nil
		}
		if f.kind != kindString {
			return fmt.Errorf("%s takes a number, not the string %q", f.name, x)
		}
	case float64:
		switch {
		case f.kind == kindString:
			return fmt.Errorf("%s takes a string, not the number %v (quote it if you meant the text)", f.name, x)
		case (f.kind == kindInt || f.kind == kindDepth) && !isWhole(x):
			return fmt.Errorf("%s takes a whole number, not %v", f.name, x)
		}
	default:
		return fmt.Errorf("%s: value %v has type %T; values must be strings or numbers", f.name, v, v)
	}
	return nil
}

// Apply returns base with every parameter of trial set. A nil value (null in
// a choice list) leaves base's value as it is. It fails on an unknown name or
// a value of the wrong type, and does not call model.Config.Validate: call
// Defaults and Validate on the result, as for any config.
func Apply(base model.Config, trial Trial) (model.Config, error) {
	c := base
	for _, p := range trial.Params {
		f, err := lookup(p.Name)
		if err != nil {
			return model.Config{}, fmt.Errorf("apply trial %d: %w", trial.ID, err)
		}
		if p.Value == nil && f.kind != kindDepth {
			continue
		}
		v := normalize(p.Value)
		if err := f.check(v); err != nil {
			return model.Config{}, fmt.Errorf("apply trial %d: %w", trial.ID, err)
		}
		f.set(&c, v)
	}
	return c, nil
}
