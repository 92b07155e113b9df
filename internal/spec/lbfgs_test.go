package spec_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/spec"
)

func TestSpecAcceptsLBFGSWithTol(t *testing.T) {
	path := copyExample(t, "params: [hyperparameters.yaml]", "params: [lbfgs.yaml]")
	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(path), "lbfgs.yaml"),
		[]byte("kind: logistic\noptimizer: lbfgs\ntol: 1e-6\nl2: 0.0001\n"), 0o644))
	p, err := spec.Load(path)
	require.NoError(t, err)
	hp := p.Hyperparameters
	assert.Equal(t, "lbfgs", hp.Optimizer)
	assert.Equal(t, 1e-6, hp.Tol)
	assert.Equal(t, 100, hp.Epochs, "lbfgs's default iteration cap")

	q := minimal()
	q.Hyperparameters.Tol = 1e-6 // the default optimizer is adam
	err = q.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `hyperparameters: model config: tol is set but optimizer is "adam"`)
}
