package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/workflows"
)

// The feature stage reads the ingested Parquet a column at a time. On the
// real stack, the version it stores (train and test matrices, the
// held-out raw rows, the transform) has the bytes the row-by-row reader
// gives for the same dataset and spec: the split, fit and encoding
// recomputed here from a row-by-row read of the stored dataset.
func TestFfsFeatureStageStoresTheRowReadersBytes(t *testing.T) {
	s := startStack(t)
	path := fxSpec(t, s, fxFeatures)
	id := "churn-ffs"
	out, code := s.mlpipe("run", "-f", path, "--id", id, "--detach")
	require.Equal(t, 0, code, out)
	st := s.waitForState(id, workflows.StateWaiting)
	require.Equal(t, "feature_engineering", st.Stages[2].Name)
	dir := filepath.Dir(strings.TrimPrefix(st.Stages[2].Artifacts[0].URI, "file://"))
	var fs activities.FeatureSet
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(mb, &fs))

	p, err := spec.Load(path)
	require.NoError(t, err)
	dataset := strings.TrimPrefix(st.Stages[0].Artifacts[0].URI, "file://")
	want := ffsRowReaderVersion(t, dataset, p.Features)
	for name, ref := range map[string]string{
		"train.matrix": fs.Train.SHA256, "test.matrix": fs.Test.SHA256,
		"test_raw.csv": fs.TestRaw.SHA256, "transform.json": fs.Transform.SHA256,
	} {
		assert.Equal(t, want[name], ref, name)
	}
}

// ffsRowReaderVersion computes a feature-store version's files from a
// row-by-row read of the dataset, as the feature stage did before it read
// by columns, and returns their sha256s.
func ffsRowReaderVersion(t *testing.T, dataset string, s features.Spec) map[string]string {
	t.Helper()
	ctx := context.Background()
	eng, err := dataplane.Open(dataplane.Options{})
	require.NoError(t, err)
	defer eng.Close()
	parts, err := eng.ReadFrameParts(ctx, dataset, nil, []dataplane.Keep{nil})
	require.NoError(t, err)
	whole := parts[0]
	require.NoError(t, s.Validate(whole))
	trainIdx, testIdx, err := features.Split(whole, s)
	require.NoError(t, err)
	train, test := whole.Take(trainIdx), whole.Take(testIdx)
	tr, err := features.Fit(train, s)
	require.NoError(t, err)
	sum := func(b []byte) string {
		h := sha256.Sum256(b)
		return hex.EncodeToString(h[:])
	}
	encode := func(f *frame.Frame) string {
		var buf bytes.Buffer
		mw, err := matrix.NewWriter(&buf, tr.OutputNames(), f.NumRows())
		require.NoError(t, err)
		require.NoError(t, tr.ApplyChunks(f, 1<<14, mw.Write))
		require.NoError(t, mw.Close())
		return sum(buf.Bytes())
	}
	var raw bytes.Buffer
	require.NoError(t, test.WriteCSV(&raw))
	transform, err := json.MarshalIndent(tr, "", "  ")
	require.NoError(t, err)
	return map[string]string{
		"train.matrix": encode(train), "test.matrix": encode(test),
		"test_raw.csv": sum(raw.Bytes()), "transform.json": sum(transform),
	}
}
