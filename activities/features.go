package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"go.temporal.io/sdk/activity"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/matrix"
)

// EngineerFeatures splits the validated data (seeded, stratified), fits the
// transform on the training split only, and writes a feature-store
// version: train and test matrices, the transform, then a manifest. The
// version is the digest of the data and the feature spec; an existing one
// is reused instead of recomputed. The manifest is written last, so a
// version without one is incomplete and never read.
func (a *Activities) EngineerFeatures(ctx context.Context, in EngineerFeaturesInput) (EngineerFeaturesResult, error) {
	attempt := activity.GetInfo(ctx).Attempt
	version := digestJSON("features.v2", in.Dataset.Ref.SHA256, in.Spec)[:16]
	prefix := fmt.Sprintf("features/%s/%s/", in.Pipeline, version)
	if b, err := artifact.GetBytes(ctx, a.Store, prefix+"manifest.json"); err == nil {
		var fs FeatureSet
		if err := json.Unmarshal(b, &fs); err == nil {
			fs.Reused = true
			return EngineerFeaturesResult{Features: fs, Attempt: attempt}, nil
		}
	} else if !errors.Is(err, artifact.ErrNotFound) {
		return EngineerFeaturesResult{}, fmt.Errorf("feature store %s: %w", prefix, err)
	}

	f, err := readFrame(ctx, in.Dataset.Ref)
	if err != nil {
		return EngineerFeaturesResult{}, err
	}
	if err := in.Spec.Validate(f); err != nil {
		return EngineerFeaturesResult{}, invalid("%v", err) // already reads "features: ..."
	}
	trainIdx, testIdx, err := features.Split(f, in.Spec)
	if err != nil {
		return EngineerFeaturesResult{}, invalid("features: split: %v", err)
	}
	train, test := f.Take(trainIdx), f.Take(testIdx)
	tr, err := features.Fit(train, in.Spec)
	if err != nil {
		// The whole table passed Validate, so this is about the training
		// split alone (a rare class that fell wholly into the test rows).
		return EngineerFeaturesResult{}, invalid("%v (on the training split: %d of %d rows; features.split.stratify keeps every class in both parts)",
			err, len(trainIdx), f.NumRows())
	}
	fs := FeatureSet{
		Version: version, Features: tr.OutputNames(), TrainRows: len(trainIdx), TestRows: len(testIdx),
		DataDigest: in.Dataset.Ref.SHA256,
	}
	if tr.MultiClass() {
		fs.Classes = tr.ClassList()
	} else {
		fs.Labels = labels(f, in.Spec)
	}
	if fs.Train, err = a.putMatrix(ctx, tr, train, prefix+"train.csv"); err != nil {
		return EngineerFeaturesResult{}, err
	}
	if fs.Test, err = a.putMatrix(ctx, tr, test, prefix+"test.csv"); err != nil {
		return EngineerFeaturesResult{}, err
	}
	if fs.TestRaw, err = a.putFrame(ctx, test, prefix+"test_raw.csv"); err != nil {
		return EngineerFeaturesResult{}, err
	}
	if fs.Transform, err = a.putJSON(ctx, prefix+"transform.json", tr); err != nil {
		return EngineerFeaturesResult{}, err
	}
	if _, err := a.putJSON(ctx, prefix+"manifest.json", fs); err != nil {
		return EngineerFeaturesResult{}, err
	}
	return EngineerFeaturesResult{Features: fs, Attempt: attempt}, nil
}

func (a *Activities) putMatrix(ctx context.Context, tr *features.Transform, f *frame.Frame, key string) (artifact.Ref, error) {
	X, y, err := tr.Apply(f)
	if err != nil {
		return artifact.Ref{}, invalid("%v", err) // already reads "features: apply: ..."
	}
	var buf bytes.Buffer
	if err := matrix.Write(&buf, matrix.Matrix{Names: tr.OutputNames(), X: X, Y: y}); err != nil {
		return artifact.Ref{}, err
	}
	ref, err := a.Store.Put(ctx, key, &buf, "text/csv")
	if err != nil {
		return artifact.Ref{}, fmt.Errorf("store %s: %w", key, err)
	}
	return ref, nil
}

func (a *Activities) putFrame(ctx context.Context, f *frame.Frame, key string) (artifact.Ref, error) {
	var buf bytes.Buffer
	if err := f.WriteCSV(&buf); err != nil {
		return artifact.Ref{}, err
	}
	ref, err := a.Store.Put(ctx, key, &buf, "text/csv")
	if err != nil {
		return artifact.Ref{}, fmt.Errorf("store %s: %w", key, err)
	}
	return ref, nil
}

func (a *Activities) putJSON(ctx context.Context, key string, v any) (artifact.Ref, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return artifact.Ref{}, err
	}
	ref, err := artifact.PutBytes(ctx, a.Store, key, b, "application/json")
	if err != nil {
		return artifact.Ref{}, fmt.Errorf("store %s: %w", key, err)
	}
	return ref, nil
}

// labels names the negative and positive classes as the data spells them.
func labels(f *frame.Frame, s features.Spec) [2]string {
	neg := "not " + s.Positive
	if c, ok := f.Col(s.Target); ok && c.Kind == frame.String {
		var others []string
		for i, v := range c.Strings {
			if !c.Null[i] && v != s.Positive && !slices.Contains(others, v) {
				others = append(others, v)
			}
		}
		if len(others) == 1 {
			neg = others[0]
		}
	}
	return [2]string{neg, s.Positive}
}

// readMatrix loads a stored feature matrix, checking its digest.
func readMatrix(ctx context.Context, ref artifact.Ref) (matrix.Matrix, error) {
	rc, err := artifact.OpenRef(ctx, ref)
	if err != nil {
		return matrix.Matrix{}, fmt.Errorf("open %s: %w", ref.URI, err)
	}
	defer rc.Close()
	return matrix.Read(rc, ref.URI)
}

// readJSON loads a stored JSON artifact, checking its digest.
func readJSON(ctx context.Context, ref artifact.Ref, v any) error {
	b, err := artifact.ReadAll(ctx, ref)
	if err != nil {
		return fmt.Errorf("read %s: %w", ref.URI, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", ref.URI, err)
	}
	return nil
}
