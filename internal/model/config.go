package model

import (
	"fmt"
	"math"
)

// Model kinds accepted by Config.Kind.
const (
	KindLogistic = "logistic"
	KindMLP      = "mlp"
	// KindGradientBoosting is a gradient-boosted tree ensemble trained
	// with XGBoost (package gbt); its parameters are in gbt.go.
	KindGradientBoosting = "gradient_boosting"
)

// Activations accepted by Config.Activation for the mlp's hidden layers.
const (
	ActivationReLU = "relu"
	ActivationTanh = "tanh"
)

// Optimizer names accepted by Config.Optimizer.
const (
	OptimizerSGD      = "sgd"
	OptimizerMomentum = "momentum"
	OptimizerAdam     = "adam"
	// OptimizerLBFGS is full-batch L-BFGS (see lbfgs.go): one epoch is one
	// iteration, learning_rate and batch_size are ignored, and training
	// stops early once Config.Tol says it has converged.
	OptimizerLBFGS = "lbfgs"
)

// DefaultTol is Config.Tol's default with lbfgs, scikit-learn's tol.
const DefaultTol = 1e-4

// defaultLBFGSEpochs is the iteration cap lbfgs gets by default,
// scikit-learn's max_iter for LogisticRegression.
const defaultLBFGSEpochs = 100

// ClassWeightBalanced weights each class by n / (k * n_class) for k classes, as
// scikit-learn's class_weight="balanced" does.
const ClassWeightBalanced = "balanced"

// Config holds the training hyperparameters. Zero values mean "use the
// default"; call Defaults before Validate.
type Config struct {
	Kind string `yaml:"kind" json:"kind"`
	// Epochs is the number of passes over the training rows; with lbfgs, the
	// most iterations (each one full-batch step with its line search).
	Epochs int `yaml:"epochs" json:"epochs"`
	// LearningRate is the step size of sgd, momentum and adam; lbfgs
	// ignores it (its line search picks each step).
	LearningRate float64 `yaml:"learning_rate" json:"learning_rate"`
	// BatchSize is the mini-batch size; lbfgs ignores it and always uses
	// every training row.
	BatchSize int `yaml:"batch_size" json:"batch_size"`
	// L2 adds L2/2 * ||weights||² to the mean log-loss (the bias is not penalised).
	L2          float64 `yaml:"l2" json:"l2"`
	Optimizer   string  `yaml:"optimizer" json:"optimizer"`
	Seed        int64   `yaml:"seed" json:"seed"`
	ClassWeight string  `yaml:"class_weight" json:"class_weight"`
	// Tol is lbfgs's convergence tolerance: training stops once the largest
	// gradient component is at most Tol, or once an iteration lowers the
	// objective by at most 2.2e-9 of max(|objective|, 1): scipy's L-BFGS-B
	// rules, with scikit-learn's tol as pgtol and scipy's default factr.
	// The objective is a mean, so Tol does not scale with the rows. lbfgs only.
	Tol float64 `yaml:"tol,omitempty" json:"tol,omitempty"`

	// Hidden lists the mlp's hidden layer widths, input side first; mlp only.
	Hidden []int `yaml:"hidden,omitempty" json:"hidden,omitempty"`
	// Activation is the mlp's hidden-layer nonlinearity: relu or tanh.
	Activation string `yaml:"activation,omitempty" json:"activation,omitempty"`
	// Dropout is the fraction of hidden units zeroed in each training batch
	// (inverted dropout: survivors are scaled by 1/(1-dropout)); mlp only.
	Dropout float64 `yaml:"dropout,omitempty" json:"dropout,omitempty"`
	// Classes is the number of classes: 0 or 2 means binary (sigmoid), 3 or
	// more means softmax with labels 0..classes-1.
	Classes int `yaml:"classes,omitempty" json:"classes,omitempty"`
	// ValidationFraction holds out this share of the training rows
	// (stratified, drawn from Seed) to report EpochStats.ValidationLoss.
	ValidationFraction float64 `yaml:"validation_fraction,omitempty" json:"validation_fraction,omitempty"`
	// Patience stops training after this many epochs without a lower
	// validation loss and returns the best epoch's weights; 0 never stops early.
	Patience int `yaml:"patience,omitempty" json:"patience,omitempty"`

	// The gradient_boosting parameters (see GBT in gbt.go); a zero or nil
	// one takes XGBoost's default. Seed, ClassWeight, Classes,
	// LearningRate and ValidationFraction are shared with the other kinds.
	NEstimators         int      `yaml:"n_estimators,omitempty" json:"n_estimators,omitempty"`
	MaxDepth            Depth    `yaml:"max_depth,omitempty" json:"max_depth,omitempty"`
	MinChildWeight      *float64 `yaml:"min_child_weight,omitempty" json:"min_child_weight,omitempty"`
	Subsample           float64  `yaml:"subsample,omitempty" json:"subsample,omitempty"`
	ColsampleByTree     float64  `yaml:"colsample_bytree,omitempty" json:"colsample_bytree,omitempty"`
	RegAlpha            float64  `yaml:"reg_alpha,omitempty" json:"reg_alpha,omitempty"`
	RegLambda           *float64 `yaml:"reg_lambda,omitempty" json:"reg_lambda,omitempty"`
	MaxBin              int      `yaml:"max_bin,omitempty" json:"max_bin,omitempty"`
	EarlyStoppingRounds int      `yaml:"early_stopping_rounds,omitempty" json:"early_stopping_rounds,omitempty"`
}

// Defaults returns a copy of c with zero fields filled in: kind logistic,
// 30 epochs, learning rate 0.05, batch size 256, optimizer adam; for an mlp
// also one hidden layer of 32 and relu; with lbfgs 100 epochs (iterations)
// and tol 1e-4, scikit-learn's max_iter and tol.
func (c Config) Defaults() Config {
	if c.Kind == KindGradientBoosting {
		return c.gbtDefaults()
	}
	if c.Kind == KindMLP {
		if len(c.Hidden) == 0 {
			c.Hidden = []int{32}
		}
		if c.Activation == "" {
			c.Activation = ActivationReLU
		}
	}
	if c.Kind == "" {
		c.Kind = KindLogistic
	}
	if c.Epochs == 0 {
		c.Epochs = 30
		if c.Optimizer == OptimizerLBFGS {
			c.Epochs = defaultLBFGSEpochs
		}
	}
	if c.LearningRate == 0 {
		c.LearningRate = 0.05
	}
	if c.BatchSize == 0 {
		c.BatchSize = 256
	}
	if c.Optimizer == "" {
		c.Optimizer = OptimizerAdam
	}
	if c.Optimizer == OptimizerLBFGS && c.Tol == 0 {
		c.Tol = DefaultTol
	}
	return c
}

// Validate reports the first field that is out of range, naming the field
// as it is spelled in YAML and the values it accepts.
func (c Config) Validate() error {
	switch {
	case c.Kind == KindGradientBoosting:
		return c.validateGBT()
	case c.Kind != KindLogistic && c.Kind != KindMLP:
		return fmt.Errorf("model config: kind %q is not supported; use %q, %q or %q", c.Kind, KindLogistic, KindMLP, KindGradientBoosting)
	}
	if err := c.foreignParams(); err != nil {
		return err
	}
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("model config: epochs is %d; it must be an integer >= 1", c.Epochs)
	case !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0):
		return fmt.Errorf("model config: learning_rate is %v; it must be a finite number > 0 (try 0.001 to 0.1)", c.LearningRate)
	case c.BatchSize < 1:
		return fmt.Errorf("model config: batch_size is %d; it must be an integer >= 1", c.BatchSize)
	case !(c.L2 >= 0) || math.IsInf(c.L2, 0):
		return fmt.Errorf("model config: l2 is %v; it must be a finite number >= 0", c.L2)
	case c.Optimizer != OptimizerSGD && c.Optimizer != OptimizerMomentum && c.Optimizer != OptimizerAdam && c.Optimizer != OptimizerLBFGS:
		return fmt.Errorf("model config: optimizer %q is not supported; use one of %q, %q, %q, %q",
			c.Optimizer, OptimizerSGD, OptimizerMomentum, OptimizerAdam, OptimizerLBFGS)
	case !(c.Tol >= 0) || math.IsInf(c.Tol, 0):
		return fmt.Errorf("model config: tol is %v; it must be a finite number >= 0 (e.g. 1e-4)", c.Tol)
	case c.Tol != 0 && c.Optimizer != OptimizerLBFGS:
		return fmt.Errorf("model config: tol is set but optimizer is %q; tol applies to optimizer: %s only, remove it", c.Optimizer, OptimizerLBFGS)
	case c.Optimizer == OptimizerLBFGS && c.Dropout != 0:
		return fmt.Errorf("model config: dropout is %v but optimizer is %s, whose line search needs the same objective at every step; set dropout: 0 or use adam", c.Dropout, OptimizerLBFGS)
	case c.ClassWeight != "" && c.ClassWeight != ClassWeightBalanced:
		return fmt.Errorf("model config: class_weight %q is not supported; use %q or leave it empty", c.ClassWeight, ClassWeightBalanced)
	case c.Classes < 0 || c.Classes == 1:
		return fmt.Errorf("model config: classes is %d; use 0 or 2 for binary, or the number of classes (>= 3)", c.Classes)
	case !(c.ValidationFraction >= 0 && c.ValidationFraction < 1):
		return fmt.Errorf("model config: validation_fraction is %v; it must be >= 0 and < 1 (e.g. 0.1)", c.ValidationFraction)
	case c.Patience < 0:
		return fmt.Errorf("model config: patience is %d; it must be an integer >= 0", c.Patience)
	case c.Patience > 0 && c.ValidationFraction == 0:
		return fmt.Errorf("model config: patience is %d but validation_fraction is 0; set validation_fraction (e.g. 0.1) to stop early", c.Patience)
	}
	return c.validateMLP()
}

// validateMLP checks the fields that only an mlp may set.
func (c Config) validateMLP() error {
	if c.Kind != KindMLP {
		switch {
		case len(c.Hidden) > 0:
			return fmt.Errorf("model config: hidden is set but kind is %q; set kind: %s or remove hidden", c.Kind, KindMLP)
		case c.Activation != "":
			return fmt.Errorf("model config: activation is set but kind is %q; set kind: %s or remove activation", c.Kind, KindMLP)
		case c.Dropout != 0:
			return fmt.Errorf("model config: dropout is set but kind is %q; set kind: %s or remove dropout", c.Kind, KindMLP)
		}
		return nil
	}
	if len(c.Hidden) == 0 {
		return fmt.Errorf("model config: hidden is empty; list the hidden layer widths, e.g. [32] or [64, 32]")
	}
	for i, h := range c.Hidden {
		if h < 1 {
			return fmt.Errorf("model config: hidden[%d] is %d; every layer width must be >= 1", i, h)
		}
	}
	switch {
	case c.Activation != ActivationReLU && c.Activation != ActivationTanh:
		return fmt.Errorf("model config: activation %q is not supported; use %q or %q", c.Activation, ActivationReLU, ActivationTanh)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return fmt.Errorf("model config: dropout is %v; it must be >= 0 and < 1", c.Dropout)
	}
	return nil
}

// outputs is the width of the last layer: one logit for binary, else one per class.
func (c Config) outputs() int {
	if c.Classes >= 3 {
		return c.Classes
	}
	return 1
}
