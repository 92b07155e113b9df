package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/matrix"
)

// EngineerFeatures splits the validated data (seeded, stratified), fits the
// transform on the training split only, and writes a feature-store
// version: train and test matrices, the transform, then a manifest. With a
// separate test source every row trains and nothing is held out. The
// version is the digest of the data and the feature spec; an existing one
// is reused instead of recomputed. Every file is encoded before the first
// is written, the manifest is written last, and a failed write removes what
// was written, so no version is left half-written.
func (a *Activities) EngineerFeatures(ctx context.Context, in EngineerFeaturesInput) (EngineerFeaturesResult, error) {
	attempt := activity.GetInfo(ctx).Attempt
	holdOut := in.TestSource == ""
	version := digestJSON("features.v2", in.Dataset.Ref.SHA256, in.Spec)[:16]
	if !holdOut {
		version = digestJSON("features.v2", in.Dataset.Ref.SHA256, in.Spec, "no-holdout")[:16]
	}
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
	trainIdx, testIdx := allRows(f.NumRows()), []int(nil)
	if holdOut {
		if trainIdx, testIdx, err = features.Split(f, in.Spec); err != nil {
			return EngineerFeaturesResult{}, invalid("features: split: %v", err)
		}
	}
	train, test := f.Take(trainIdx), f.Take(testIdx)
	tr, err := features.Fit(train, in.Spec)
	if err != nil {
		if !holdOut {
			return EngineerFeaturesResult{}, invalid("%v", err)
		}
		// The whole table passed Validate, so this is about the training
		// split alone (a rare class that fell wholly into the test rows).
		return EngineerFeaturesResult{}, invalid("%v (on the training split: %d of %d rows; features.split.stratify keeps every class in both parts)",
			err, len(trainIdx), f.NumRows())
	}
	fs := FeatureSet{
		Version: version, Features: tr.OutputNames(), TrainRows: len(trainIdx), TestRows: len(testIdx),
		DataDigest: in.Dataset.Ref.SHA256, Pipeline: in.Pipeline, Created: time.Now().UTC().Truncate(time.Second),
	}
	if tr.MultiClass() {
		fs.Classes = tr.ClassList()
	} else {
		fs.Labels = labels(f, in.Spec)
	}

	// Encode everything first: bad data then fails with nothing stored.
	files := []pendingFile{{key: "train.matrix", ref: &fs.Train, media: matrix.MediaType}}
	if files[0].body, err = matrixBody(tr, train); err != nil {
		return EngineerFeaturesResult{}, err
	}
	if holdOut {
		testBody, err := matrixBody(tr, test)
		if err != nil {
			return EngineerFeaturesResult{}, err
		}
		var raw bytes.Buffer
		if err := test.WriteCSV(&raw); err != nil {
			return EngineerFeaturesResult{}, fmt.Errorf("features: encode the test rows: %w", err)
		}
		files = append(files,
			pendingFile{key: "test.matrix", ref: &fs.Test, media: matrix.MediaType, body: testBody},
			pendingFile{key: "test_raw.csv", ref: &fs.TestRaw, media: "text/csv", body: raw.Bytes()})
	}
	transform, err := json.MarshalIndent(tr, "", "  ")
	if err != nil {
		return EngineerFeaturesResult{}, invalid("features: the fitted transform cannot be stored: %v", err)
	}
	files = append(files, pendingFile{key: "transform.json", ref: &fs.Transform, media: "application/json", body: transform})
	if err := a.writeVersion(ctx, prefix, files, &fs); err != nil {
		return EngineerFeaturesResult{}, err
	}
	return EngineerFeaturesResult{Features: fs, Attempt: attempt}, nil
}

// pendingFile is one encoded file of a feature-store version.
type pendingFile struct {
	key   string
	ref   *artifact.Ref
	media string
	body  []byte
}

// writeVersion writes the files, then the manifest. If any write fails, it
// removes the files it wrote, so the version is whole or absent.
func (a *Activities) writeVersion(ctx context.Context, prefix string, files []pendingFile, fs *FeatureSet) (err error) {
	var written []string
	defer func() {
		if err == nil {
			return
		}
		// The activity's context may be what failed; clean up regardless.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		// Another run of the same inputs may have completed the version
		// meanwhile; its files are these files, so leave them. If that
		// cannot be told, remove ours: a version without its manifest is
		// never read.
		if _, done, serr := a.Store.Stat(cctx, prefix+"manifest.json"); serr == nil && done {
			return
		}
		for _, key := range written {
			if derr := a.Store.Delete(cctx, key); derr != nil {
				err = errors.Join(err, fmt.Errorf("remove the partial feature set: %w", derr))
			}
		}
	}()
	for _, f := range files {
		key := prefix + f.key
		ref, err := artifact.PutBytes(ctx, a.Store, key, f.body, f.media)
		if err != nil {
			return fmt.Errorf("store %s: %w", key, err)
		}
		written = append(written, key)
		*f.ref = ref
	}
	manifest, err := json.MarshalIndent(fs, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the manifest: %w", err)
	}
	if _, err := artifact.PutBytes(ctx, a.Store, prefix+"manifest.json", manifest, "application/json"); err != nil {
		return fmt.Errorf("store %s: %w", prefix+"manifest.json", err)
	}
	return nil
}

func allRows(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}

// matrixBody encodes the engineered rows of f as a feature matrix in the
// binary format: exact float64 bits, a fraction of CSV's size and time.
func matrixBody(tr *features.Transform, f *frame.Frame) ([]byte, error) {
	X, y, err := tr.Apply(f)
	if err != nil {
		return nil, invalid("%v", err) // already reads "features: apply: ..."
	}
	var buf bytes.Buffer
	if err := matrix.WriteBinary(&buf, matrix.Matrix{Names: tr.OutputNames(), X: X, Y: y}); err != nil {
		return nil, invalid("features: %v", err)
	}
	return buf.Bytes(), nil
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

// readMatrix loads a stored feature matrix, checking its digest: the
// binary format, or the CSV of feature stores written before it.
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
