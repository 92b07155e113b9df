package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/drift"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/perfest"
)

// squashed draws n customers of a model whose probabilities are squashed
// towards 0.5 (its logits divided by 4): the served probability, and a
// label drawn from the true one.
func squashed(rng *rand.Rand, n int) ([]float64, []bool) {
	p, y := make([]float64, n), make([]bool, n)
	for i := range n {
		z := rng.NormFloat64()*2.5 - 0.5
		p[i] = 1 / (1 + math.Exp(-z/4))
		y[i] = rng.Float64() < 1/(1+math.Exp(-z))
	}
	return p, y
}

// labelledWindow loads served probabilities and their labels as the
// inference log's tables.
func labelledWindow(t *testing.T, db *sql.DB, p []float64, y []bool) Traffic {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`CREATE OR REPLACE TABLE predictions (request_id VARCHAR, "row" INTEGER, "time" TIMESTAMPTZ, model VARCHAR, version INTEGER, variant VARCHAR, input VARCHAR, prediction VARCHAR, probability DOUBLE, latency_ms DOUBLE)`,
		`CREATE OR REPLACE TABLE feedback (request_id VARCHAR, "row" INTEGER, label VARCHAR, value DOUBLE)`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	var pv, fv []string
	for i := range p {
		pred, label := "no", "no"
		if p[i] > threshold {
			pred = "yes"
		}
		if y[i] {
			label = "yes"
		}
		pv = append(pv, fmt.Sprintf("('r%d', 0, TIMESTAMPTZ '2026-12-05 09:50:00+00', 'churn', 1, 'production', '{}', '%s', %v, 3)", i, pred, p[i]))
		fv = append(fv, fmt.Sprintf("('r%d', 0, '%s', 1)", i, label))
	}
	for _, q := range []string{
		"INSERT INTO predictions VALUES " + strings.Join(pv, ","),
		"INSERT INTO feedback VALUES " + strings.Join(fv, ","),
		`CREATE OR REPLACE VIEW labelled AS SELECT p.*, f.label, f.value FROM predictions p JOIN feedback f USING (request_id, "row")`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	return Traffic{Predictions: int64(len(p)), Feedback: int64(len(p)), Joined: int64(len(p))}
}

func estimated(t *testing.T, s *Snapshot, name string) Metric {
	t.Helper()
	for _, m := range s.Performance.Estimated {
		if m.Name == name {
			return m
		}
	}
	require.Failf(t, "no estimate", "%s not estimated: %+v", name, s.Performance)
	return Metric{}
}

func realised(t *testing.T, s *Snapshot, name string) Metric {
	t.Helper()
	for _, m := range s.Performance.Realised {
		if m.Name == name {
			return m
		}
	}
	require.Failf(t, "no realised metric", "%s not measured: %+v", name, s.Performance)
	return Metric{}
}

// A model whose probabilities are squashed towards 0.5 looks far less sure
// of itself than it is: raw CBPE underestimates its F1 by far more than
// 0.03. The isotonic map fitted on its test split repairs the estimate.
func TestCalibratedCBPEMatchesRealisedF1OfAMiscalibratedModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	refP, refY := squashed(rng, 4000) // the evaluation's test split
	cal, err := perfest.FitIsotonic(refP, refY)
	require.NoError(t, err)
	p, y := squashed(rng, 20000)

	run := func(cal *perfest.Calibrator, note string) *Snapshot {
		eng, err := dataplane.Open(dataplane.Options{})
		require.NoError(t, err)
		defer eng.Close()
		s := &Snapshot{Traffic: labelledWindow(t, eng.DB(), p, y)}
		in := Input{Model: "churn", ModelVersion: 1, From: testNow.Add(-15 * time.Minute), To: testNow,
			Target: "churned", Positive: "yes", Drift: drift.DefaultConfig(), Calibration: cal, CalibrationNote: note}
		require.NoError(t, Analyze(context.Background(), eng.DB(), in, s))
		return s
	}

	raw := run(nil, "version 1 recorded no calibration")
	assert.Equal(t, "uncalibrated: version 1 recorded no calibration", raw.Performance.Calibration)
	realF1 := realised(t, raw, metrics.F1).Value
	rawF1 := estimated(t, raw, metrics.F1)
	assert.Contains(t, rawF1.Method, "assumes the model's probabilities are calibrated")
	assert.Greater(t, math.Abs(rawF1.Value-realF1), 0.1, "raw estimate %.3f, realised %.3f", rawF1.Value, realF1)

	calibrated := run(cal, "the evaluation's test split, file:///reports/x.calibration.json")
	assert.Equal(t, "isotonic, fitted on 4000 labelled test rows (the evaluation's test split, file:///reports/x.calibration.json)", calibrated.Performance.Calibration)
	f1 := estimated(t, calibrated, metrics.F1)
	acc := estimated(t, calibrated, metrics.Accuracy)
	assert.Contains(t, f1.Method, "isotonic calibration")
	assert.InDelta(t, realF1, f1.Value, 0.03, "calibrated estimate %.3f, realised %.3f", f1.Value, realF1)
	assert.InDelta(t, realised(t, calibrated, metrics.Accuracy).Value, acc.Value, 0.03)
	t.Logf("realised F1 %.4f; raw CBPE %.4f; calibrated CBPE %.4f [%.4f, %.4f]", realF1, rawF1.Value, f1.Value, f1.Low, f1.High)
}
