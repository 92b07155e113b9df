package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
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
	// A killed worker is noticed within the stage's heartbeat timeout,
	// not only at its 30-minute timeout.
	defer startHeartbeat(ctx, TrialHeartbeatInterval, nil).stop()
	attempt := activity.GetInfo(ctx).Attempt
	holdOut := in.TestSource == ""
	version := digestJSON("features.v2", in.Dataset.Ref.SHA256, in.Spec)[:16]
	if !holdOut {
		version = digestJSON("features.v2", in.Dataset.Ref.SHA256, in.Spec, "no-holdout")[:16]
	}
	prefix := fmt.Sprintf("features/%s/%s/", in.Pipeline, version)
	// The version names the data and the spec; the stage cache's key adds
	// the code version, so another build's fit is not taken as this one's.
	key, err := cacheKey(cacheFeatures, in.Pipeline, version, in.Dataset.Ref.SHA256, in.Spec, holdOut)
	if err != nil {
		return EngineerFeaturesResult{}, err
	}
	var rec FeatureSet
	if from, ok := a.cached(ctx, in.Cache, cacheFeatures, key, &rec); ok {
		rec.Reused = true
		return EngineerFeaturesResult{Features: rec, Attempt: attempt, Cached: from}, nil
	}

	d, err := openFeatureData(ctx, in.Dataset.Ref, in.Spec, holdOut)
	if err != nil {
		return EngineerFeaturesResult{}, err
	}
	defer d.close()
	// The training rows, then the held-out ones: one part in memory at a
	// time.
	train, err := d.part(ctx, 0)
	if err != nil {
		return EngineerFeaturesResult{}, err
	}
	tr, err := features.Fit(train, in.Spec)
	if err != nil {
		if !holdOut {
			return EngineerFeaturesResult{}, invalid("%v", err)
		}
		// The whole table passed Validate, so this is about the training
		// split alone (a rare class that fell wholly into the test rows).
		return EngineerFeaturesResult{}, invalid("%v (on the training split: %d of %d rows; features.split.stratify keeps every class in both parts)",
			err, train.NumRows(), d.rows)
	}
	fs := FeatureSet{
		Version: version, Features: tr.OutputNames(), TrainRows: train.NumRows(),
		DataDigest: in.Dataset.Ref.SHA256, Pipeline: in.Pipeline, Created: time.Now().UTC().Truncate(time.Second),
	}
	if tr.MultiClass() {
		fs.Classes = tr.ClassList()
	} else {
		fs.Labels = d.labels
	}

	// Encode everything first, to local files: bad data then fails with
	// nothing stored, and no matrix is ever whole in memory.
	dir, err := os.MkdirTemp("", "mlpipe-features-*")
	if err != nil {
		return EngineerFeaturesResult{}, fmt.Errorf("features: %w", err)
	}
	defer os.RemoveAll(dir)
	files := []pendingFile{{key: "train.matrix", ref: &fs.Train, media: matrix.MediaType, path: filepath.Join(dir, "train.matrix")}}
	if err := writeMatrix(tr, train, files[0].path); err != nil {
		return EngineerFeaturesResult{}, err
	}
	if holdOut {
		train = nil // not needed again: its memory serves the test rows
		test, err := d.part(ctx, 1)
		if err != nil {
			return EngineerFeaturesResult{}, err
		}
		fs.TestRows = test.NumRows()
		testFile := pendingFile{key: "test.matrix", ref: &fs.Test, media: matrix.MediaType, path: filepath.Join(dir, "test.matrix")}
		if err := writeMatrix(tr, test, testFile.path); err != nil {
			return EngineerFeaturesResult{}, err
		}
		raw := pendingFile{key: "test_raw.csv", ref: &fs.TestRaw, media: "text/csv", path: filepath.Join(dir, "test_raw.csv")}
		if err := writeLocal(raw.path, test.WriteCSV); err != nil {
			return EngineerFeaturesResult{}, fmt.Errorf("features: encode the test rows: %w", err)
		}
		files = append(files, testFile, raw)
	}
	transform, err := json.MarshalIndent(tr, "", "  ")
	if err != nil {
		return EngineerFeaturesResult{}, invalid("features: the fitted transform cannot be stored: %v", err)
	}
	files = append(files, pendingFile{key: "transform.json", ref: &fs.Transform, media: "application/json", body: transform})
	if err := a.writeVersion(ctx, prefix, files, &fs); err != nil {
		return EngineerFeaturesResult{}, err
	}
	a.record(ctx, cacheFeatures, key, []artifact.Ref{fs.Train, fs.Test, fs.TestRaw, fs.Transform}, fs)
	return EngineerFeaturesResult{Features: fs, Attempt: attempt}, nil
}

// pendingFile is one encoded file of a feature-store version.
type pendingFile struct {
	key   string
	ref   *artifact.Ref
	media string
	body  []byte
	// path, when set, is a local file holding the body.
	path string
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
		var ref artifact.Ref
		var err error
		if f.path != "" {
			ref, err = putFile(ctx, a.Store, key, f.path, f.media)
		} else {
			ref, err = artifact.PutBytes(ctx, a.Store, key, f.body, f.media)
		}
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

// matrixChunk is how many rows are encoded at a time: a few MB of float64.
const matrixChunk = 1 << 14

// writeMatrix encodes the engineered rows of f as a feature matrix in the
// binary format (exact float64 bits, a fraction of CSV's size and time) to
// a local file, a block of rows at a time.
func writeMatrix(tr *features.Transform, f *frame.Frame, path string) error {
	return writeLocal(path, func(w io.Writer) error {
		mw, err := matrix.NewWriter(w, tr.OutputNames(), f.NumRows())
		if err != nil {
			return fmt.Errorf("features: write the matrix: %w", err)
		}
		var writeErr error // the file's, as opposed to the data's
		err = tr.ApplyChunks(f, matrixChunk, func(X, y []float64) error {
			if y == nil {
				return invalid("features: apply: the target column %q is missing", tr.Target)
			}
			if err := mw.Write(X, y); errors.Is(err, matrix.ErrNotFinite) {
				return invalid("features: %v", err)
			} else if err != nil {
				writeErr = fmt.Errorf("features: write the matrix: %w", err)
				return writeErr
			}
			return nil
		})
		var ae *temporal.ApplicationError
		switch {
		case err == nil:
		case errors.As(err, &ae), err == writeErr:
			return err
		default:
			return invalid("%v", err) // already reads "features: apply: ..."
		}
		if err := mw.Close(); err != nil {
			return fmt.Errorf("features: write the matrix: %w", err)
		}
		return nil
	})
}

// writeLocal creates path and writes it with write.
func writeLocal(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
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

// readParts reads a Parquet dataset's parts column by column; tests swap
// in the row reader to show both give the same bytes.
var readParts = (*dataplane.Engine).ReadColumnParts

// featureData is a stored dataset split for the feature stage: part 0
// holds the training rows (only the columns the spec uses hold values),
// part 1 the held-out rows (every column, for test_raw.csv).
type featureData struct {
	rows   int
	labels [2]string
	// frames holds both parts of a raw CSV dataset, read whole.
	frames [2]*frame.Frame
	// For a Parquet dataset: the engine, the file, and each row's part.
	eng     *dataplane.Engine
	local   string
	partOf  []int8
	keep    [2]dataplane.Keep
	cleanup func()
}

// openFeatureData checks the spec against a stored dataset and splits its
// rows. A Parquet dataset is never whole in memory: the target (and the
// listed columns) decide the split, and each part is read when asked for.
func openFeatureData(ctx context.Context, ref artifact.Ref, s features.Spec, holdOut bool) (*featureData, error) {
	if !isParquet(ref) {
		f, err := readFrame(ctx, ref)
		if err != nil {
			return nil, err
		}
		trainIdx, testIdx, err := splitRows(f, s, holdOut)
		if err != nil {
			return nil, err
		}
		return &featureData{rows: f.NumRows(), labels: labels(f, s), frames: [2]*frame.Frame{f.Take(trainIdx), f.Take(testIdx)}, cleanup: func() {}}, nil
	}
	local, cleanup, err := dataplane.Fetch(ctx, ref)
	if err != nil {
		return nil, dataError("read dataset", err)
	}
	eng, err := dataplane.Open(dataplane.Options{})
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("read dataset %s: %w", ref.URI, err)
	}
	d := &featureData{eng: eng, local: local, keep: [2]dataplane.Keep{s.Reads, nil}, cleanup: func() { _ = eng.Close(); cleanup() }}
	if err := d.split(ctx, s, holdOut); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// split reads what the split needs of the Parquet file (the target and
// the listed columns), checks the spec against it and records which part
// each row goes to.
func (d *featureData) split(ctx context.Context, s features.Spec, holdOut bool) error {
	checked := func(name string, _ frame.Kind) bool {
		return name == s.Target || slices.ContainsFunc(s.Columns, func(c features.ColumnSpec) bool { return c.Column == name })
	}
	parts, err := readParts(d.eng, ctx, d.local, nil, []dataplane.Keep{checked})
	if err != nil {
		return dataError("read dataset", err)
	}
	f := parts[0]
	_, testIdx, err := splitRows(f, s, holdOut)
	if err != nil {
		return err
	}
	d.rows, d.labels = f.NumRows(), labels(f, s)
	d.partOf = make([]int8, d.rows)
	for _, i := range testIdx {
		d.partOf[i] = 1
	}
	return nil
}

// part reads part p (0: train, 1: test) of the dataset.
func (d *featureData) part(ctx context.Context, p int) (*frame.Frame, error) {
	if d.eng == nil {
		f := d.frames[p]
		d.frames[p] = nil
		return f, nil
	}
	// Rows of the other part are skipped; the -1 leaves them out.
	part := make([]int8, len(d.partOf))
	for i, q := range d.partOf {
		part[i] = -1
		if int(q) == p {
			part[i] = 0
		}
	}
	parts, err := readParts(d.eng, ctx, d.local, part, []dataplane.Keep{d.keep[p]})
	if err != nil {
		return nil, dataError("read dataset", err)
	}
	return parts[0], nil
}

func (d *featureData) close() { d.cleanup() }

// splitRows checks the spec against f and splits its rows (seeded,
// stratified); without a hold-out every row trains.
func splitRows(f *frame.Frame, s features.Spec, holdOut bool) (train, test []int, err error) {
	if err := s.Validate(f); err != nil {
		return nil, nil, invalid("%v", err) // already reads "features: ..."
	}
	if !holdOut {
		train = make([]int, f.NumRows())
		for i := range train {
			train[i] = i
		}
		return train, nil, nil
	}
	if train, test, err = features.Split(f, s); err != nil {
		return nil, nil, invalid("features: split: %v", err)
	}
	return train, test, nil
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
