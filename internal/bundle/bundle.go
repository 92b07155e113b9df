// Package bundle defines the model artifact mlpipe trains, stores, registers
// and serves: one JSON document (format "mlpipe.model.v1") holding the
// fitted feature transform, the model's weights, the class labels and the
// metadata that says how it was made. The gateway loads it and predicts on
// raw rows; nothing else is needed. A binary model predicts its positive
// label above Threshold; a multi-class model (softmax over three or more
// Classes) predicts its most probable class.
//
// The model is one of two: "model", the weights of a logistic regression
// or MLP (package model), or "trees", a gradient-boosted tree ensemble in
// XGBoost's JSON model format, stored verbatim as XGBoost's save_model
// writes it (see package treeeval for the members read and how a row is
// scored). Trees are scored in plain Go, with the same transform in
// front, so serving them needs no cgo; XGBoost and the tools that read its
// models can load the "trees" member as it is.
package bundle

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/serving"
	"github.com/mlpipe/mlpipe/internal/treeeval"
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
	// Model is a logistic regression or MLP; nil when Trees is set.
	Model *model.Model `json:"model"`
	// Trees is a gradient-boosted ensemble (XGBoost's JSON model); nil
	// when Model is set.
	Trees    *treeeval.Model `json:"trees,omitempty"`
	Metadata Metadata        `json:"metadata"`
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
	case bu.Transform == nil || (bu.Model == nil && bu.Trees == nil):
		return nil, fmt.Errorf("model bundle: transform or model missing")
	case bu.Model != nil && bu.Trees != nil:
		return nil, fmt.Errorf("model bundle: both model and trees are set; a bundle holds one model")
	case bu.Transform.NumOutputs() != bu.features():
		return nil, fmt.Errorf("model bundle: transform gives %d features, model takes %d", bu.Transform.NumOutputs(), bu.features())
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
	k, out := len(b.Classes), b.outputs()
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
func (b *Bundle) MultiClass() bool { return b.outputs() >= 3 }

// outputs is the model's classes for a multi-class model, else below 3.
func (b *Bundle) outputs() int {
	switch {
	case b.Trees != nil:
		return b.Trees.Classes()
	case b.Model != nil:
		return b.Model.Classes
	}
	return 0
}

// features is the number of feature columns the model reads.
func (b *Bundle) features() int {
	if b.Trees != nil {
		return b.Trees.Features()
	}
	return b.Model.NumFeatures
}

// ScoreProba gives a binary model's P(positive) for rows already through
// the transform (row-major, cols columns): the evaluation's call.
func (b *Bundle) ScoreProba(X []float64, cols int) ([]float64, error) {
	if b.Trees != nil {
		return b.Trees.PredictProba(X, cols)
	}
	return b.Model.PredictProba(X, cols)
}

// ScoreClassProba gives every class's probability, in ClassList order, for
// rows already through the transform.
func (b *Bundle) ScoreClassProba(X []float64, cols int) ([][]float64, error) {
	if b.Trees != nil {
		return b.Trees.PredictClassProba(X, cols)
	}
	return b.Model.PredictClassProba(X, cols)
}

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
	Model     *model.Model        `json:"model,omitempty"`
	Trees     *treeeval.Model     `json:"trees,omitempty"`
	Metadata  Metadata            `json:"metadata"`
}

// MarshalJSON writes the bundle with its full class list, whoever built it.
func (b Bundle) MarshalJSON() ([]byte, error) {
	out := bundleJSON{Format: b.Format, Name: b.Name, Classes: b.ClassList(), Transform: b.Transform, Model: b.Model, Trees: b.Trees, Metadata: b.Metadata}
	if !b.MultiClass() {
		out.Labels, out.Threshold = &b.Labels, &b.Threshold
	}
	return json.Marshal(out)
}

// PredictProba scores raw rows with a binary model: the transform, then the
// model, giving P(positive) per row.
func (b *Bundle) PredictProba(rows []map[string]any) ([]float64, error) {
	X, err := b.encode(rows)
	if err != nil {
		return nil, err
	}
	p, err := b.ScoreProba(X, b.features())
	if err != nil {
		return nil, err
	}
	for i, v := range p {
		if math.IsNaN(v) {
			return nil, nanOutput(i)
		}
	}
	return p, nil
}

// PredictClassProba scores raw rows with any model: one row of class
// probabilities per row, in ClassList order.
func (b *Bundle) PredictClassProba(rows []map[string]any) ([][]float64, error) {
	X, err := b.encode(rows)
	if err != nil {
		return nil, err
	}
	probs, err := b.ScoreClassProba(X, b.features())
	if err != nil {
		return nil, err
	}
	for i, row := range probs {
		if slices.ContainsFunc(row, math.IsNaN) {
			return nil, nanOutput(i)
		}
	}
	return probs, nil
}

// encode applies the transform and refuses a row whose features are not
// finite (a huge number that overflows once scaled), naming the column:
// the model would otherwise answer with a confident label for a value it
// never saw the like of, or with NaN.
func (b *Bundle) encode(rows []map[string]any) ([]float64, error) {
	X, err := b.Transform.ApplyRows(rows)
	if err != nil {
		return nil, err
	}
	w := b.Transform.NumOutputs()
	for k, v := range X {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, b.notFinite(rows, k/w, k%w)
		}
	}
	return X, nil
}

// notFinite describes the input behind output feature j of row i.
func (b *Bundle) notFinite(rows []map[string]any, i, j int) error {
	for _, c := range b.Transform.Columns {
		if j >= len(c.Outputs) {
			j -= len(c.Outputs)
			continue
		}
		return &serving.RowError{Row: i, Column: c.Column, Reason: fmt.Sprintf(
			"%v is not finite once scaled as in training ((value − %g) / %g); send a value within the range the model was trained on, or null for a value you do not know",
			rows[i][c.Column], c.Offset, c.Divisor)}
	}
	return &serving.RowError{Row: i, Reason: "a feature is not finite"}
}

func nanOutput(i int) error {
	return &serving.RowError{Row: i, Reason: "the model's output is not a number for these values (some are too large once scaled); send values within the range the model was trained on"}
}

// InputColumns names the raw columns the transform reads, in model order,
// with their kinds; it makes the gateway refuse requests that leave one
// out or misspell one.
func (b *Bundle) InputColumns() []serving.Input {
	out := make([]serving.Input, len(b.Transform.Columns))
	for i, c := range b.Transform.Columns {
		t := serving.InputNumber
		switch c.Kind {
		case frame.String:
			t = serving.InputString
		case frame.Time:
			t = serving.InputTime
		}
		out[i] = serving.Input{Name: c.Column, Type: t}
	}
	return out
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
