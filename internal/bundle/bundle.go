// Package bundle defines the model artifact mlpipe trains, stores, registers
// and serves: one JSON document (format "mlpipe.model.v1") holding the
// fitted feature transform, the model's weights, the class labels and the
// metadata that says how it was made. The gateway loads it and predicts on
// raw rows; nothing else is needed. A binary model predicts its positive
// label above Threshold; a multi-class model (softmax over three or more
// Classes) predicts its most probable class.
package bundle

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/serving"
)

// Format names this layout; a loader refuses any other. Classes was added
// within v1: a bundle written before it is binary and loads as before.
const Format = "mlpipe.model.v1"

// Bundle is a servable model.
type Bundle struct {
	Format string `json:"format"`
	Name   string `json:"name"`
	// Labels are a binary model's negative and positive class values, as
	// in the data; unused (and not written) for a multi-class model.
	Labels [2]string `json:"labels"`
	// Classes are every class in model order: output k of the model is
	// Classes[k]. A binary model's are Labels. Written by every encoder
	// (see MarshalJSON) and filled in by Decode for bundles that predate
	// it; ClassList derives it when left empty in memory.
	Classes []string `json:"classes,omitempty"`
	// Threshold is the probability from which a binary model predicts the
	// positive label.
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
	if len(bu.Classes) == 0 {
		bu.Classes = bu.ClassList()
	}
	if err := bu.checkClasses(); err != nil {
		return nil, fmt.Errorf("model bundle: %w", err)
	}
	return &bu, nil
}

// checkClasses makes sure the class list, the model's outputs and the
// transform's label encoding agree, so no prediction is ever named after
// the wrong class.
func (b *Bundle) checkClasses() error {
	k, out := len(b.Classes), b.Model.Classes
	switch {
	case out >= 3 && k != out:
		return fmt.Errorf("the model has %d class outputs but classes lists %d (%s)", out, k, strings.Join(b.Classes, ", "))
	case out < 3 && k != 2:
		return fmt.Errorf("the model is binary but classes lists %d (%s)", k, strings.Join(b.Classes, ", "))
	case b.Transform.MultiClass() && !slices.Equal(b.Transform.Classes, b.Classes):
		return fmt.Errorf("classes (%s) differ from the transform's (%s)", strings.Join(b.Classes, ", "), strings.Join(b.Transform.Classes, ", "))
	}
	return nil
}

// MultiClass reports whether the model predicts one of three or more classes.
func (b *Bundle) MultiClass() bool { return b.Model != nil && b.Model.Classes >= 3 }

// ClassList names every class in model order: Classes, or, for a bundle
// built in memory without them, the transform's multi-class encoding or
// the binary Labels.
func (b *Bundle) ClassList() []string {
	switch {
	case len(b.Classes) > 0:
		return b.Classes
	case b.Transform != nil && b.Transform.MultiClass():
		return b.Transform.ClassList()
	}
	return []string{b.Labels[0], b.Labels[1]}
}

// bundleJSON is the encoded layout: classes always written, a binary
// model's labels and threshold only for a binary model.
type bundleJSON struct {
	Format    string              `json:"format"`
	Name      string              `json:"name"`
	Labels    *[2]string          `json:"labels,omitempty"`
	Classes   []string            `json:"classes"`
	Threshold *float64            `json:"threshold,omitempty"`
	Transform *features.Transform `json:"transform"`
	Model     *model.Model        `json:"model"`
	Metadata  Metadata            `json:"metadata"`
}

// MarshalJSON writes the bundle with its full class list, whoever built it.
func (b Bundle) MarshalJSON() ([]byte, error) {
	out := bundleJSON{Format: b.Format, Name: b.Name, Classes: b.ClassList(), Transform: b.Transform, Model: b.Model, Metadata: b.Metadata}
	if !b.MultiClass() {
		out.Labels, out.Threshold = &b.Labels, &b.Threshold
	}
	return json.Marshal(out)
}

// PredictProba scores raw rows with a binary model: the transform, then the
// model, giving P(positive) per row.
func (b *Bundle) PredictProba(rows []map[string]any) ([]float64, error) {
	X, err := b.Transform.ApplyRows(rows)
	if err != nil {
		return nil, err
	}
	return b.Model.PredictProba(X, b.Model.NumFeatures)
}

// PredictClassProba scores raw rows with any model: one row of class
// probabilities per row, in ClassList order.
func (b *Bundle) PredictClassProba(rows []map[string]any) ([][]float64, error) {
	X, err := b.Transform.ApplyRows(rows)
	if err != nil {
		return nil, err
	}
	return b.Model.PredictClassProba(X, b.Model.NumFeatures)
}

// Predict scores raw rows and labels them; it makes a Bundle a
// serving.Predictor. A binary prediction's Probability is P(positive); a
// multi-class one's is the predicted class's, and Probabilities has every
// class's.
func (b *Bundle) Predict(rows []map[string]any) ([]serving.Prediction, error) {
	if b.MultiClass() {
		return b.predictClasses(rows)
	}
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

func (b *Bundle) predictClasses(rows []map[string]any) ([]serving.Prediction, error) {
	probs, err := b.PredictClassProba(rows)
	if err != nil {
		return nil, err
	}
	classes := b.ClassList()
	out := make([]serving.Prediction, len(probs))
	for i, row := range probs {
		k := metrics.Argmax(row) // the class metrics.MultiClass counts as predicted
		all := make(map[string]float64, len(classes))
		for c, name := range classes {
			all[name] = row[c]
		}
		out[i] = serving.Prediction{Label: classes[k], Probability: row[k], Probabilities: all}
	}
	return out, nil
}

// ClassLabels names the negative and positive classes, so the gateway
// counts positives by the bundle's own threshold and refuses feedback
// labels the model does not know.
func (b *Bundle) ClassLabels() [2]string { return b.Labels }
