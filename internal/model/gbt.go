package model

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/mlpipe/mlpipe/internal/gbt"
)

// Depth is gradient_boosting's max_depth: 0 when it is not given (the
// default, gbt.DefaultMaxDepth), a limit, or DepthUnlimited, which YAML
// and JSON spell null and which may also be written None, as
// scikit-learn's max_depth=None is pasted from Python.
type Depth int

// DepthUnlimited is max_depth null: trees grow without a depth limit. No
// written value decodes to it (a negative limit is refused by Validate).
const DepthUnlimited Depth = math.MinInt32

// DepthNone reports whether s spells an unlimited depth as text.
func DepthNone(s string) bool {
	switch s {
	case "None", "none", "null", "Null", "NULL", "~":
		return true
	}
	return false
}

// UnmarshalYAML reads a whole number or None. YAML's null never reaches an
// unmarshaler (the field is left zero), so the spec loader marks
// `max_depth: null` itself.
func (d *Depth) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && DepthNone(n.Value) {
		*d = DepthUnlimited
		return nil
	}
	var v int
	if err := n.Decode(&v); err != nil {
		return fmt.Errorf("max_depth %q: give a whole number >= 1, or null (None) for unlimited depth", n.Value)
	}
	*d = clampDepth(v)
	return nil
}

// MarshalYAML writes an unlimited depth as None, which reads back.
func (d Depth) MarshalYAML() (any, error) {
	if d == DepthUnlimited {
		return "None", nil
	}
	return int(d), nil
}

// UnmarshalJSON reads a whole number, or null (or "None") for unlimited.
func (d *Depth) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*d = DepthUnlimited
	case string:
		if !DepthNone(x) {
			return fmt.Errorf("max_depth %q: give a whole number >= 1, or null for unlimited depth", x)
		}
		*d = DepthUnlimited
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
			return fmt.Errorf("max_depth %v: give a whole number >= 1, or null for unlimited depth", x)
		}
		*d = clampDepth(int(x))
	default:
		return fmt.Errorf("max_depth %s: give a whole number >= 1, or null for unlimited depth", b)
	}
	return nil
}

// MarshalJSON writes an unlimited depth as null.
func (d Depth) MarshalJSON() ([]byte, error) {
	if d == DepthUnlimited {
		return []byte("null"), nil
	}
	return json.Marshal(int(d))
}

// String is the depth as the spec writes it.
func (d Depth) String() string {
	if d == DepthUnlimited {
		return "null"
	}
	return fmt.Sprint(int(d))
}

// clampDepth keeps a written value from reading as DepthUnlimited.
func clampDepth(v int) Depth {
	if v <= int(DepthUnlimited) {
		return DepthUnlimited + 1
	}
	return Depth(v)
}

// gbtOnly are the parameters only gradient_boosting has; mlpOrLogistic
// those it lacks, with what to use instead.
var (
	gbtOnly       = []string{"n_estimators", "max_depth", "min_child_weight", "subsample", "colsample_bytree", "reg_alpha", "reg_lambda", "max_bin", "early_stopping_rounds"}
	mlpOrLogistic = map[string]string{
		"epochs": "n_estimators", "batch_size": "", "l2": "reg_lambda", "optimizer": "", "tol": "",
		"hidden": "max_depth", "hidden_units": "max_depth", "activation": "", "dropout": "subsample", "patience": "early_stopping_rounds",
	}
)

// KindHas reports whether a model of kind has the parameter name (as the
// spec spells it), and if not, a sentence naming both and what to do.
// Parameters every kind has (seed, class_weight, ...) are always there.
func KindHas(kind, name string) (bool, string) {
	if kind == KindGradientBoosting {
		alt, foreign := mlpOrLogistic[name]
		if !foreign {
			return true, ""
		}
		msg := fmt.Sprintf("%s is not a parameter of kind %s", name, KindGradientBoosting)
		if alt != "" {
			msg += fmt.Sprintf(" (its nearest is %s)", alt)
		}
		switch name {
		case "hidden", "hidden_units", "activation", "dropout":
			return false, msg + "; remove it, or set kind: mlp"
		}
		return false, msg + "; remove it, or set kind: mlp (or logistic)"
	}
	if slices.Contains(gbtOnly, name) {
		return false, fmt.Sprintf("%s is a parameter of kind %s, not of kind %s; remove it, or set kind: %s", name, KindGradientBoosting, kindName(kind), KindGradientBoosting)
	}
	if kind != KindMLP && (name == "hidden_units" || name == "hidden" || name == "activation" || name == "dropout") {
		return false, fmt.Sprintf("%s is a parameter of kind %s, not of kind %s; remove it, or set kind: %s", name, KindMLP, kindName(kind), KindMLP)
	}
	return true, ""
}

func kindName(k string) string {
	if k == "" {
		return KindLogistic
	}
	return k
}

// setParams names the parameters c sets (non-zero), as the spec spells
// them, among those that belong to one kind only.
func (c Config) setParams() []string {
	var out []string
	add := func(name string, set bool) {
		if set {
			out = append(out, name)
		}
	}
	add("epochs", c.Epochs != 0)
	add("batch_size", c.BatchSize != 0)
	add("l2", c.L2 != 0)
	add("optimizer", c.Optimizer != "")
	add("tol", c.Tol != 0)
	add("hidden", len(c.Hidden) > 0)
	add("activation", c.Activation != "")
	add("dropout", c.Dropout != 0)
	add("patience", c.Patience != 0)
	add("n_estimators", c.NEstimators != 0)
	add("max_depth", c.MaxDepth != 0)
	add("min_child_weight", c.MinChildWeight != nil)
	add("subsample", c.Subsample != 0)
	add("colsample_bytree", c.ColsampleByTree != 0)
	add("reg_alpha", c.RegAlpha != 0)
	add("reg_lambda", c.RegLambda != nil)
	add("max_bin", c.MaxBin != 0)
	add("early_stopping_rounds", c.EarlyStoppingRounds != 0)
	return out
}

// foreignParams refuses a parameter c's kind does not have: it would be
// silently ignored, and the model trained would not be the one asked for.
func (c Config) foreignParams() error {
	for _, name := range c.setParams() {
		if c.Kind != KindGradientBoosting && !slices.Contains(gbtOnly, name) {
			continue // validateMLP says what is wrong with an mlp's own parameters
		}
		if ok, msg := KindHas(c.Kind, name); !ok {
			return fmt.Errorf("model config: %s", msg)
		}
	}
	return nil
}

// gbtDefaults fills gradient_boosting's unset parameters with XGBoost's
// defaults (gbt.DefaultParams) and leaves the other kinds' alone, so that
// Validate can refuse them.
func (c Config) gbtDefaults() Config {
	d := gbt.DefaultParams()
	if c.NEstimators == 0 {
		c.NEstimators = d.NEstimators
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = Depth(*d.MaxDepth)
	}
	if c.LearningRate == 0 {
		c.LearningRate = d.LearningRate
	}
	if c.MinChildWeight == nil {
		c.MinChildWeight = &d.MinChildWeight
	}
	if c.Subsample == 0 {
		c.Subsample = d.Subsample
	}
	if c.ColsampleByTree == 0 {
		c.ColsampleByTree = d.ColsampleByTree
	}
	if c.RegLambda == nil {
		c.RegLambda = &d.RegLambda
	}
	if c.MaxBin == 0 {
		c.MaxBin = d.MaxBin
	}
	return c
}

// validateGBT checks a gradient_boosting config: no parameter of another
// kind, and every value in gbt's ranges (its messages name the parameter
// and the kind).
func (c Config) validateGBT() error {
	if err := c.foreignParams(); err != nil {
		return err
	}
	if c.MaxDepth != DepthUnlimited && c.MaxDepth < 1 {
		return fmt.Errorf("model config: gradient_boosting: max_depth is %d; it must be an integer >= 1, or null (None) for unlimited depth", c.MaxDepth)
	}
	if err := c.GBT().Validate(); err != nil {
		return fmt.Errorf("model config: %w", err)
	}
	return nil
}

// GBT returns the booster parameters of a gradient_boosting config (after
// Defaults); nthread is left to the caller, since it is how a worker runs
// the training, not what it learns.
func (c Config) GBT() gbt.Params {
	p := gbt.DefaultParams()
	p.Classes = c.Classes
	p.NEstimators = c.NEstimators
	switch {
	case c.MaxDepth == DepthUnlimited:
		p.MaxDepth = nil
	case c.MaxDepth != 0:
		p.MaxDepth = gbt.Depth(int(c.MaxDepth))
	}
	p.LearningRate = c.LearningRate
	if c.MinChildWeight != nil {
		p.MinChildWeight = *c.MinChildWeight
	}
	p.Subsample, p.ColsampleByTree = c.Subsample, c.ColsampleByTree
	p.RegAlpha = c.RegAlpha
	if c.RegLambda != nil {
		p.RegLambda = *c.RegLambda
	}
	p.MaxBin = c.MaxBin
	p.ValidationFraction, p.EarlyStoppingRounds = c.ValidationFraction, c.EarlyStoppingRounds
	p.ClassWeight, p.Seed = c.ClassWeight, c.Seed
	return p
}

// WithBudget sets a successive-halving rung's budget: the epochs of a
// logistic or mlp model, the boosting rounds (n_estimators) of
// gradient_boosting, whose trees after n rounds are a model in their own
// right as an mlp after n epochs is.
func (c Config) WithBudget(n int) Config {
	if c.Kind == KindGradientBoosting {
		c.NEstimators = n
	} else {
		c.Epochs = n
	}
	return c
}
