package workflows

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mlpipe/mlpipe/internal/model"
)

func TestTrainingSummaryNamesWhatTheOptimizerUses(t *testing.T) {
	assert.Equal(t, "logistic, 40 epochs, lr 0.05, batch 128",
		trainSummary(model.Config{Kind: model.KindLogistic, Optimizer: model.OptimizerAdam, Epochs: 40, LearningRate: 0.05, BatchSize: 128}))
	// L-BFGS is full batch with no learning rate: its epochs cap the
	// iterations and tol may end it sooner.
	assert.Equal(t, "mlp, lbfgs, max 200 iterations, tol 1e-06",
		trainSummary(model.Config{Kind: model.KindMLP, Optimizer: model.OptimizerLBFGS, Epochs: 200, Tol: 1e-6, LearningRate: 0.05, BatchSize: 128}))
	assert.Equal(t, "logistic, lbfgs, max 100 iterations, tol 0.0001",
		trainSummary(model.Config{Optimizer: model.OptimizerLBFGS}), "scikit-learn's max_iter and tol by default")
}
