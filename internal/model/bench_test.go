package model

import (
	"context"
	"testing"
)

// BenchmarkTrain100kx20 is the workload compared with scikit-learn:
// 100,000 × 20 logistic regression, 5 epochs, batch 256, Adam.
func BenchmarkTrain100kx20(b *testing.B) {
	X, y, _ := synthetic(100_000, 20, 7)
	cfg := Config{Epochs: 5, BatchSize: 256, Seed: 1}
	b.ResetTimer()
	for range b.N {
		if _, err := Train(context.Background(), X, y, 20, cfg, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainMLP100kx20 is the MLP workload: one hidden layer
// of 32, relu, Adam lr 0.01, batch 256, 5 epochs on 100,000 × 20.
func BenchmarkTrainMLP100kx20(b *testing.B) {
	X, y, _ := synthetic(100_000, 20, 7)
	cfg := Config{Kind: KindMLP, Hidden: []int{32}, Epochs: 5, BatchSize: 256, LearningRate: 0.01, Seed: 1}
	b.ResetTimer()
	for range b.N {
		if _, err := Train(context.Background(), X, y, 20, cfg, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainLogisticLBFGS100kx20 is the logistic workload with
// lbfgs to convergence (tol 1e-4, l2 = 1/n as scikit-learn's C = 1).
func BenchmarkTrainLogisticLBFGS100kx20(b *testing.B) {
	X, y, _ := synthetic(100_000, 20, 7)
	cfg := Config{Optimizer: OptimizerLBFGS, L2: 1.0 / 100_000, Seed: 1}
	b.ResetTimer()
	for range b.N {
		if _, err := Train(context.Background(), X, y, 20, cfg, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainMLPSmall is one fit of the search benchmark's small
// problem: 400 × 30 (four folds of 500 rows), one hidden layer of 32,
// batch 128, 30 epochs. Fits this short show the fixed cost per
// mini-batch.
func BenchmarkTrainMLPSmall(b *testing.B) {
	X, y, _ := synthetic(400, 30, 7)
	cfg := Config{Kind: KindMLP, Hidden: []int{32}, Epochs: 30, BatchSize: 128, LearningRate: 0.01, Seed: 1}
	b.ResetTimer()
	for range b.N {
		if _, err := Train(context.Background(), X, y, 30, cfg, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}
