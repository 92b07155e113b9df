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
