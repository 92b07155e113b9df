package activities

import (
	"context"
	"fmt"
	"math"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/metrics"
)

// EvaluationReport is the stored JSON report of model_evaluation.
type EvaluationReport struct {
	Model      string         `json:"model"`
	Bundle     artifact.Ref   `json:"bundle"`
	FeatureSet string         `json:"feature_set"`
	TestData   string         `json:"test_data"`
	Rows       int            `json:"rows"`
	Metrics    metrics.Report `json:"metrics"`
	CreatedAt  time.Time      `json:"created_at"`
}

// EvaluateModel scores the model on the test data: the feature set's
// held-out split, or an external raw CSV passed through the model's own
// transform. It stores the report and returns the headline metrics.
func (a *Activities) EvaluateModel(ctx context.Context, in EvaluateModelInput) (EvaluateModelResult, error) {
	attempt := activity.GetInfo(ctx).Attempt
	b, err := loadBundle(ctx, in.Model.Bundle)
	if err != nil {
		return EvaluateModelResult{}, err
	}
	var test matrix.Matrix
	testName := in.Model.Features.Test.URI
	if in.TestSource != "" {
		testName = in.TestSource
		if test, err = rawTestMatrix(ctx, in.TestSource, b); err != nil {
			return EvaluateModelResult{}, err
		}
	} else if test, err = readMatrix(ctx, in.Model.Features.Test); err != nil {
		return EvaluateModelResult{}, err
	}
	proba, err := b.Model.PredictProba(test.X, test.Cols())
	if err != nil {
		return EvaluateModelResult{}, invalid("evaluate %s: %v", testName, err)
	}
	threshold := in.Threshold
	if threshold == 0 {
		threshold = b.Threshold
	}
	rep, err := metrics.Binary(test.Y, proba, threshold)
	if err != nil {
		return EvaluateModelResult{}, invalid("evaluate %s: %v", testName, err)
	}
	doc := EvaluationReport{
		Model: b.Name, Bundle: in.Model.Bundle, FeatureSet: in.Model.Features.Version,
		TestData: testName, Rows: test.Rows(), Metrics: rep, CreatedAt: time.Now().UTC(),
	}
	key := fmt.Sprintf("reports/evaluation/%s/%s.json", in.Model.Bundle.SHA256[:16], digestJSON(testName, threshold)[:16])
	ref, err := a.putJSON(ctx, key, doc)
	if err != nil {
		return EvaluateModelResult{}, err
	}
	ev := Evaluation{Report: ref, Metrics: map[string]float64{}, Confusion: rep.Confusion, TestRows: test.Rows()}
	for _, name := range metrics.Names() {
		if v, ok := rep.Get(name); ok && !math.IsNaN(v) {
			ev.Metrics[name] = v
		}
	}
	return EvaluateModelResult{Evaluation: ev, Attempt: attempt}, nil
}

// rawTestMatrix reads an external test CSV and applies the model's fitted
// transform to it, as serving would.
func rawTestMatrix(ctx context.Context, uri string, b *bundle.Bundle) (matrix.Matrix, error) {
	rc, err := artifact.OpenURI(ctx, uri)
	if err != nil {
		return matrix.Matrix{}, invalid("test data %s: %v", uri, err)
	}
	defer rc.Close()
	f, err := frame.ReadCSV(rc, frame.ReadOptions{Source: uri})
	if err != nil {
		return matrix.Matrix{}, invalid("test data: %v", err)
	}
	if _, ok := f.Col(b.Transform.Target); !ok {
		return matrix.Matrix{}, invalid("test data %s: target column %q does not exist", uri, b.Transform.Target)
	}
	X, y, err := b.Transform.Apply(f)
	if err != nil {
		return matrix.Matrix{}, invalid("test data %s: %v", uri, err)
	}
	return matrix.Matrix{Names: b.Transform.OutputNames(), X: X, Y: y}, nil
}
