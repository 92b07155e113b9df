package model

import (
	"fmt"
	"math"
)

// Model kinds accepted by Config.Kind.
const (
	KindLogistic = "logistic"
)

// Optimizer names accepted by Config.Optimizer.
const (
	OptimizerSGD      = "sgd"
	OptimizerMomentum = "momentum"
	OptimizerAdam     = "adam"
)

// ClassWeightBalanced weights each class by n / (2 * n_class), as
// scikit-learn's class_weight="balanced" does.
const ClassWeightBalanced = "balanced"

// Config holds the training hyperparameters. Zero values mean "use the
// default"; call Defaults before Validate.
type Config struct {
	Kind         string  `yaml:"kind" json:"kind"`
	Epochs       int     `yaml:"epochs" json:"epochs"`
	LearningRate float64 `yaml:"learning_rate" json:"learning_rate"`
	BatchSize    int     `yaml:"batch_size" json:"batch_size"`
	// L2 adds L2/2 * ||weights||² to the mean log-loss (the bias is not penalised).
	L2          float64 `yaml:"l2" json:"l2"`
	Optimizer   string  `yaml:"optimizer" json:"optimizer"`
	Seed        int64   `yaml:"seed" json:"seed"`
	ClassWeight string  `yaml:"class_weight" json:"class_weight"`
}

// Defaults returns a copy of c with zero fields filled in: kind logistic,
// 30 epochs, learning rate 0.05, batch size 256, optimizer adam.
func (c Config) Defaults() Config {
	if c.Kind == "" {
		c.Kind = KindLogistic
	}
	if c.Epochs == 0 {
		c.Epochs = 30
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
	return c
}

// Validate reports the first field that is out of range, naming the field
// as it is spelled in YAML and the values it accepts.
func (c Config) Validate() error {
	switch {
	case c.Kind != KindLogistic:
		return fmt.Errorf("model config: kind %q is not supported; use %q", c.Kind, KindLogistic)
	case c.Epochs < 1:
		return fmt.Errorf("model config: epochs is %d; it must be an integer >= 1", c.Epochs)
	case !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0):
		return fmt.Errorf("model config: learning_rate is %v; it must be a finite number > 0 (try 0.001 to 0.1)", c.LearningRate)
	case c.BatchSize < 1:
		return fmt.Errorf("model config: batch_size is %d; it must be an integer >= 1", c.BatchSize)
	case !(c.L2 >= 0) || math.IsInf(c.L2, 0):
		return fmt.Errorf("model config: l2 is %v; it must be a finite number >= 0", c.L2)
	case c.Optimizer != OptimizerSGD && c.Optimizer != OptimizerMomentum && c.Optimizer != OptimizerAdam:
		return fmt.Errorf("model config: optimizer %q is not supported; use one of %q, %q, %q",
			c.Optimizer, OptimizerSGD, OptimizerMomentum, OptimizerAdam)
	case c.ClassWeight != "" && c.ClassWeight != ClassWeightBalanced:
		return fmt.Errorf("model config: class_weight %q is not supported; use %q or leave it empty", c.ClassWeight, ClassWeightBalanced)
	}
	return nil
}
