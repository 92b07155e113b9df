// Package bundle defines the model artifact mlpipe trains, stores, registers
// and serves: one JSON document (format "mlpipe.model.v1") holding the
// fitted feature transform, the model's weights, the class labels and the
// metadata that says how it was made. The gateway loads it and predicts on
// raw rows; nothing else is needed.
package bundle

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/serving"
)

// Format names this layout; a loader refuses any other.
const Format = "mlpipe.model.v1"

// Bundle is a servable model.
type Bundle struct {
	Format string `json:"format"`
	Name   string `json:"name"`
	// Labels are the negative and positive class values, as in the data.
	Labels [2]string `json:"labels"`
	// Threshold is the probability from which the positive label is
	// predicted.
	Threshold float64             `json:"threshold"`
	Transform *features.Transform `json:"transform"`
	Model     *model.Model        `json:"model"`
	Metadata  Metadata            `json:"metadata"`
}

// Metadata says how a bundle was made.
type Metadata struct {
	Params      model.Config       `json:"params"`
	Metrics     map[string]float64 `json:"metrics,omitempty"`
	DataDigest  string             `json:"data_digest"`
	FeatureSet  string             `json:"feature_set"`
	WorkflowID  string             `json:"workflow_id"`
	CodeVersion string             `json:"code_version"`
	CreatedAt   time.Time          `json:"created_at"`
}

// Decode reads and checks a bundle.
func Decode(b []byte) (*Bundle, error) {
	var bu Bundle
	if err := json.Unmarshal(b, &bu); err != nil {
		return nil, fmt.Errorf("model bundle: %w", err)
	}
	switch {
	case bu.Format != Format:
		return nil, fmt.Errorf("model bundle: format %q, want %q", bu.Format, Format)
	case bu.Transform == nil || bu.Model == nil:
		return nil, fmt.Errorf("model bundle: transform or model missing")
	case bu.Transform.NumOutputs() != bu.Model.NumFeatures:
		return nil, fmt.Errorf("model bundle: transform gives %d features, model takes %d", bu.Transform.NumOutputs(), bu.Model.NumFeatures)
	}
	return &bu, nil
}

// PredictProba scores raw rows: the transform, then the model.
func (b *Bundle) PredictProba(rows []map[string]any) ([]float64, error) {
	X, err := b.Transform.ApplyRows(rows)
	if err != nil {
		return nil, err
	}
	return b.Model.PredictProba(X, b.Model.NumFeatures)
}

// Predict scores raw rows and labels them; it makes a Bundle a
// serving.Predictor.
func (b *Bundle) Predict(rows []map[string]any) ([]serving.Prediction, error) {
	p, err := b.PredictProba(rows)
	if err != nil {
		return nil, err
	}
	out := make([]serving.Prediction, len(p))
	for i, v := range p {
		label := b.Labels[0]
		if v > b.Threshold { // as metrics.Binary and scikit-learn count a positive
			label = b.Labels[1]
		}
		out[i] = serving.Prediction{Label: label, Probability: v}
	}
	return out, nil
}

// ClassLabels names the negative and positive classes, so the gateway
// counts positives by the bundle's own threshold and refuses feedback
// labels the model does not know.
func (b *Bundle) ClassLabels() [2]string { return b.Labels }
