package model

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// Fits that build their first graphs at the same time, as a GPU worker's
// slots do, must not race on the nodes Gorgonia shares between graphs.
// The check needs a process whose first graphs are these, so the test
// runs concurrentFirstFits in fresh copies of the test binary; under -race
// (make test) a race fails that process. Whether the race detector sees a
// race depends on the interleaving, so several processes run.
func TestFitsBuildTheirFirstGraphsConcurrentlyWithoutARace(t *testing.T) {
	if os.Getenv("MLPIPE_CONCURRENT_FIRST_FITS") == "1" {
		concurrentFirstFits(t)
		return
	}
	for range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFitsBuildTheirFirstGraphsConcurrentlyWithoutARace$", "-test.count=1")
		cmd.Env = append(os.Environ(), "MLPIPE_CONCURRENT_FIRST_FITS=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("concurrent first fits failed (%v):\n%s", err, out)
		}
	}
}

func concurrentFirstFits(t *testing.T) {
	X, y, _ := synthetic(64, 4, 3)
	y3 := make([]float64, len(y)) // three classes: softmax graphs too
	for i := range y3 {
		y3[i] = float64(i % 3)
	}
	cfgs := []Config{
		{Epochs: 1, BatchSize: 16, Seed: 1},
		{Kind: KindMLP, Hidden: []int{4}, Epochs: 1, BatchSize: 16, Seed: 2},
		{Kind: KindMLP, Hidden: []int{4}, Activation: ActivationTanh, L2: 0.01, Epochs: 1, BatchSize: 16, Seed: 3},
		{Optimizer: OptimizerLBFGS, Epochs: 2, Seed: 4}, // reads X in place
		{Classes: 3, Epochs: 1, BatchSize: 16, Seed: 5},
		{Kind: KindMLP, Hidden: []int{4}, Classes: 3, Dropout: 0.2, Epochs: 1, BatchSize: 16, Seed: 6},
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 16 {
		cfg := cfgs[i%len(cfgs)].Defaults()
		labels := y
		if cfg.Classes == 3 {
			labels = y3
		}
		wg.Go(func() {
			<-start
			if i < 8 {
				// Straight to the graph, as the first mini-batch builds it:
				// the goroutines reach Gorgonia's shared nodes together.
				r := &run{m: newModel(cfg, 4), cols: 4, cfg: cfg}
				if _, err := r.newGraph(16, nil, cfg.L2); err != nil {
					t.Error(err)
				}
				return
			}
			if _, err := Train(context.Background(), X, labels, 4, cfg, nil, nil); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
}
