package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/registry"
)

// ErrImportRefused is the failure type of a training stage whose `import:`
// names a version that cannot stand in for a trained model: it does not
// exist, is already production, does not load, or does not fit the
// feature set the pipeline built. Asking again gets the same answer.
const ErrImportRefused = "ImportRefused"

// ImportModelInput names the registered version a training stage takes
// instead of training, and the feature set it must fit.
type ImportModelInput struct {
	Model    string     `json:"model"`
	Version  int        `json:"version"`
	Stage    string     `json:"stage"`
	Features FeatureSet `json:"features"`
}

// ImportModelResult is the version as a trained model, for the
// evaluation and the gate, and what the stage's status says about it.
type ImportModelResult struct {
	Model TrainedModel `json:"model"`
	// Source and ImportedBy are the version's import lineage, when it has
	// one (`mlpipe models import` records them).
	Source     string `json:"source,omitempty"`
	ImportedBy string `json:"imported_by,omitempty"`
	Trees      int    `json:"trees,omitempty"`
	// OwnTransform is set when the version's transform was fitted on
	// other data than the feature set's: the test split was then encoded
	// through the version's own transform, as the gateway would serve it.
	OwnTransform bool  `json:"own_transform,omitempty"`
	Attempt      int32 `json:"attempt"`
}

// ImportModel checks that a registered version can be evaluated and
// gated as if this pipeline had trained it: it exists, is not already
// production, its bundle loads, and its transform takes the features the
// pipeline built, in the same order, with the same target and classes.
// It returns the version as a TrainedModel over the pipeline's feature
// set. Where the version's transform was fitted on other data, the test
// split's rows are encoded through it, so the evaluation scores what the
// gateway would serve.
func (a *Activities) ImportModel(ctx context.Context, in ImportModelInput) (ImportModelResult, error) {
	res := ImportModelResult{Attempt: activity.GetInfo(ctx).Attempt}
	setting := fmt.Sprintf("stages.%s.import.version %d", in.Stage, in.Version)
	v, err := a.Registry.Get(ctx, in.Model, in.Version)
	if errors.Is(err, registry.ErrNotFound) || errors.Is(err, registry.ErrInvalid) {
		return res, importRefused("%s: %s has no version %d; %s", setting, in.Model, in.Version, a.versionsHint(ctx, in.Model))
	}
	if err != nil {
		return res, fmt.Errorf("%s: read the registry: %w", setting, err)
	}
	// A version whose bundle already serves would be gated against
	// nothing: the evaluation skips a champion that is the model itself.
	prod, ok, err := a.Registry.Alias(ctx, in.Model, registry.AliasProduction)
	if err != nil {
		return res, registryErr(err, "read the production version of %s", in.Model)
	}
	switch {
	case ok && prod.Version == in.Version:
		return res, importRefused("%s: %s version %d is already production, so there is nothing to gate; import a candidate (mlpipe models ls %s)",
			setting, in.Model, in.Version, in.Model)
	case ok && v.Model.SHA256 != "" && prod.Model.SHA256 == v.Model.SHA256:
		return res, importRefused("%s: the bundle of %s version %d is already production, as version %d, so there is nothing to gate; import a new model (mlpipe models import)",
			setting, in.Model, in.Version, prod.Version)
	}
	raw, err := artifact.ReadAll(ctx, v.Model)
	if errors.Is(err, artifact.ErrNotFound) {
		return res, importRefused("%s: the bundle of %s version %d is gone from the artifact store (%s)", setting, in.Model, in.Version, v.Model.URI)
	}
	if err != nil {
		return res, fmt.Errorf("%s: read the bundle %s: %w", setting, v.Model.URI, err)
	}
	b, err := bundle.Decode(raw)
	if err == nil && b.Transform == nil {
		err = errors.New("it carries no feature transform")
	}
	if err != nil {
		return res, importRefused("%s: the bundle of %s version %d does not load: %v", setting, in.Model, in.Version, err)
	}
	var fsTr features.Transform
	if err := readJSON(ctx, in.Features.Transform, &fsTr); err != nil {
		return res, err
	}
	if why := transformMismatch(b, &fsTr); why != "" {
		return res, importRefused("%s: %s version %d does not fit feature set %s that this pipeline built: %s. Import a model trained on this feature set (its transform.json: mlpipe features show %s), or change features: to build the version's features",
			setting, in.Model, in.Version, in.Features.Version, why, in.Features.Version)
	}

	m := TrainedModel{Bundle: v.Model, Features: in.Features, Config: b.Metadata.Params, Imported: in.Version}
	if b.Trees != nil {
		res.Trees = b.Trees.Trees()
		m.Epochs = res.Trees / max(1, b.Trees.Outputs())
	}
	if !sameTransform(b.Transform, &fsTr) {
		res.OwnTransform = true
		if m.Features.Test, err = a.encodeTestSplit(ctx, in, b); err != nil {
			return res, err
		}
	}
	res.Model = m
	res.Source, _ = v.Params["source"].(string)
	res.ImportedBy, _ = v.Params["imported_by"].(string)
	return res, nil
}

// encodeTestSplit writes the feature set's test rows as encoded by the
// version's own transform. The key is the bundle's and the rows' digests,
// so a retry or a second pipeline reuses it.
func (a *Activities) encodeTestSplit(ctx context.Context, in ImportModelInput, b *bundle.Bundle) (artifact.Ref, error) {
	fs := in.Features
	if fs.TestRaw.URI == "" {
		// Evaluated on data.test_source, which the evaluation encodes
		// through the model's own transform: nothing to write here.
		if fs.TestRows == 0 {
			return fs.Test, nil
		}
		return artifact.Ref{}, importRefused("stages.%s.import.version %d: %s version %d was fitted on other data than feature set %s, whose raw test rows are not stored to encode through it; rebuild the feature set (change features: or the data) so its test rows are kept",
			in.Stage, in.Version, in.Model, in.Version, fs.Version)
	}
	rows, err := readFrame(ctx, fs.TestRaw)
	if err != nil {
		return artifact.Ref{}, err
	}
	X, y, err := b.Transform.Apply(rows)
	if err != nil {
		return artifact.Ref{}, importRefused("stages.%s.import.version %d: the test rows of feature set %s do not go through %s version %d's transform: %v",
			in.Stage, in.Version, fs.Version, in.Model, in.Version, err)
	}
	var buf bytes.Buffer
	if err := matrix.WriteBinary(&buf, matrix.Matrix{Names: b.Transform.OutputNames(), X: X, Y: y}); err != nil {
		return artifact.Ref{}, fmt.Errorf("encode the test split for %s version %d: %w", in.Model, in.Version, err)
	}
	key := fmt.Sprintf("imports/%s/%d/%s/test.matrix", in.Model, in.Version, digestJSON(fs.TestRaw.SHA256, b.Transform)[:16])
	ref, err := artifact.PutBytes(ctx, a.Store, key, buf.Bytes(), matrix.MediaType)
	if err != nil {
		return artifact.Ref{}, fmt.Errorf("store %s: %w", key, err)
	}
	return ref, nil
}

// versionsHint says which versions a model has, for a version it lacks.
func (a *Activities) versionsHint(ctx context.Context, model string) string {
	vs, err := a.Registry.List(ctx, model)
	if err != nil || len(vs) == 0 {
		return fmt.Sprintf("it has none to evaluate: register one with mlpipe models import %s --xgboost model.json --transform transform.json --as NAME", model)
	}
	nums := make([]string, len(vs))
	for i, v := range vs {
		nums[i] = strconv.Itoa(v.Version)
	}
	return fmt.Sprintf("its versions are %s (mlpipe models ls %s)", strings.Join(nums, ", "), model)
}

// transformMismatch says how the version's transform differs from the
// feature set's in what the model takes and gives: the target, the
// classes, and the features in order. "" when they agree.
func transformMismatch(b *bundle.Bundle, fs *features.Transform) string {
	if b.Transform.Target != fs.Target {
		return fmt.Sprintf("the version predicts %q but the pipeline's target is %q", b.Transform.Target, fs.Target)
	}
	if got, want := b.ClassList(), fs.ClassList(); !slices.Equal(got, want) {
		return fmt.Sprintf("the version's classes are %s but the feature set's are %s, in model order",
			strings.Join(got, ", "), strings.Join(want, ", "))
	}
	return featureMismatch(b.Transform.OutputNames(), fs.OutputNames())
}

// featureMismatch names the first feature the model and the feature set
// disagree on: one missing from either side, or one out of order.
func featureMismatch(model, set []string) string {
	for _, f := range set {
		if !slices.Contains(model, f) {
			return fmt.Sprintf("the feature set has feature %q, which the version does not take (the version takes %d features: %s)",
				f, len(model), strings.Join(model, ", "))
		}
	}
	for _, f := range model {
		if !slices.Contains(set, f) {
			return fmt.Sprintf("the version takes feature %q, which the feature set does not have (it has %d: %s)",
				f, len(set), strings.Join(set, ", "))
		}
	}
	if len(model) != len(set) {
		return fmt.Sprintf("the version takes %d features but the feature set has %d (%s)", len(model), len(set), strings.Join(set, ", "))
	}
	for i := range set {
		if model[i] != set[i] {
			return fmt.Sprintf("feature %d is %q in the version but %q in the feature set: the version takes them in another order", i+1, model[i], set[i])
		}
	}
	return ""
}

// sameTransform reports whether two transforms encode every row alike:
// the same fitted parameters, not only the same outputs.
func sameTransform(a, b *features.Transform) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(x, y)
}

// importRefused is a refusal of the stage's import: not retried.
func importRefused(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrImportRefused, nil)
}
