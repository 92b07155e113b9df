package gen

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/model"
)

func generatePlans(t *testing.T, rows int, seed int64) *frame.Frame {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Plans(&buf, rows, seed))
	f, err := frame.ReadCSV(&buf, frame.ReadOptions{Source: "plans.csv"})
	require.NoError(t, err)
	return f
}

func TestPlansDeterministicWithThreeBalancedClasses(t *testing.T) {
	var a, b, c bytes.Buffer
	require.NoError(t, Plans(&a, 300, 42))
	require.NoError(t, Plans(&b, 300, 42))
	require.NoError(t, Plans(&c, 300, 43))
	assert.Equal(t, a.String(), b.String())
	assert.NotEqual(t, a.String(), c.String())

	f := generatePlans(t, 5000, 1)
	assert.Equal(t, PlanColumns, f.Names())
	plan, _ := f.Col("plan")
	counts := map[string]int{}
	for _, s := range plan.Strings {
		counts[s]++
	}
	require.Len(t, counts, 3)
	for _, c := range PlanClasses {
		share := float64(counts[c]) / 5000
		t.Logf("%s %.3f", c, share)
		assert.Greater(t, share, 0.2, "every plan is common enough to learn: %s", c)
	}
}

// TestPlansAreLearnable checks the plan carries the intended signal: a
// softmax regression on the example's features beats always guessing the
// commonest plan by a wide margin, but is far from perfect.
func TestPlansAreLearnable(t *testing.T) {
	f := generatePlans(t, 3000, 7)
	spec := features.Spec{Target: "plan", NumClasses: 3, Columns: []features.ColumnSpec{
		{Column: "age", Impute: "median"}, {Column: "income"}, {Column: "household"}, {Column: "usage_gb"}, {Column: "region"},
	}, Split: features.SplitSpec{Seed: 1}}
	Xtr, ytr, Xte, yte, tr := engineer(t, f, spec)
	m, err := model.Train(t.Context(), Xtr, ytr, tr.NumOutputs(), model.Config{Classes: 3, Epochs: 30, LearningRate: 0.05, BatchSize: 64, Seed: 1}, nil, nil)
	require.NoError(t, err)
	p, err := m.PredictClassProba(Xte, tr.NumOutputs())
	require.NoError(t, err)
	r, err := metrics.MultiClass(yte, p, tr.ClassList())
	require.NoError(t, err)
	t.Logf("test accuracy %.3f, macro F1 %.3f", r.Accuracy, r.F1Macro)
	assert.GreaterOrEqual(t, r.Accuracy, 0.65)
	assert.LessOrEqual(t, r.Accuracy, 0.85)
	assert.GreaterOrEqual(t, r.F1Macro, 0.65)
}
