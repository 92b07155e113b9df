package artifact_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
)

func TestFileStorePutComputesDigestAndReadsBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := artifact.NewFileStore(dir)
	require.NoError(t, err)

	ref, err := s.Put(ctx, "datasets/churn/raw.csv", strings.NewReader("hello\n"), "text/csv")
	require.NoError(t, err)
	assert.Equal(t, artifact.Ref{
		URI:       "file://" + dir + "/datasets/churn/raw.csv",
		SHA256:    helloSHA,
		Size:      6,
		MediaType: "text/csv",
	}, ref)

	data, err := artifact.ReadAll(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, "hello\n", string(data))

	got, ok, err := s.Stat(ctx, "datasets/churn/raw.csv")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, helloSHA, got.SHA256)
	assert.Equal(t, int64(6), got.Size)
	assert.Equal(t, ref.URI, got.URI)
	assert.True(t, strings.HasPrefix(got.MediaType, "text/csv"), got.MediaType)

	_, ok, err = s.Stat(ctx, "datasets/churn/other.csv")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestFileStoreFailedWriteLeavesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := artifact.NewFileStore(dir)
	require.NoError(t, err)

	_, err = s.Put(ctx, "models/m.bin", &failingReader{}, "")
	require.ErrorContains(t, err, "connection reset")
	_, ok, err := s.Stat(ctx, "models/m.bin")
	require.NoError(t, err)
	assert.False(t, ok, "a failed write must not publish an object")
	assert.Empty(t, allFiles(t, dir), "no temp file may be left behind")

	// A failed overwrite keeps the previous object whole.
	_, err = artifact.PutBytes(ctx, s, "models/m.bin", []byte("v1"), "")
	require.NoError(t, err)
	_, err = s.Put(ctx, "models/m.bin", &failingReader{}, "")
	require.Error(t, err)
	data, err := artifact.GetBytes(ctx, s, "models/m.bin")
	require.NoError(t, err)
	assert.Equal(t, "v1", string(data))
	assert.Equal(t, []string{"models/m.bin"}, allFiles(t, dir))
}

func TestFileStoreCancelledWriteLeavesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	s, err := artifact.NewFileStore(dir)
	require.NoError(t, err)
	_, err = s.Put(ctx, "a.txt", strings.NewReader("x"), "")
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, allFiles(t, dir))
}

func TestFileStoreCreateIsCreateOnly(t *testing.T) {
	ctx := context.Background()
	s, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)

	_, err = s.Create(ctx, "registry/m/versions/1.json", strings.NewReader("first"), "application/json")
	require.NoError(t, err)
	_, err = s.Create(ctx, "registry/m/versions/1.json", strings.NewReader("second"), "application/json")
	require.ErrorIs(t, err, artifact.ErrExists)
	data, err := artifact.GetBytes(ctx, s, "registry/m/versions/1.json")
	require.NoError(t, err)
	assert.Equal(t, "first", string(data))
}

func TestFileStoreConcurrentCreateHasOneWinner(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := artifact.NewFileStore(dir)
	require.NoError(t, err)

	var wg sync.WaitGroup
	results := make([]error, 10)
	for i := range results {
		wg.Go(func() {
			_, results[i] = s.Create(ctx, "lock.json", strings.NewReader("x"), "")
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range results {
		if err == nil {
			wins++
		} else {
			assert.ErrorIs(t, err, artifact.ErrExists)
		}
	}
	assert.Equal(t, 1, wins)
	assert.Equal(t, []string{"lock.json"}, allFiles(t, dir))
}

func TestFileStoreList(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := artifact.NewFileStore(dir)
	require.NoError(t, err)
	for _, k := range []string{"registry/churn/versions/2.json", "registry/churn/versions/1.json", "registry/churner/versions/1.json", "datasets/x.csv"} {
		_, err := artifact.PutBytes(ctx, s, k, []byte("{}"), "")
		require.NoError(t, err)
	}
	// An in-flight write of another process must not show up.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "registry/churn/versions/.mlpipe-tmp-123"), nil, 0o644))

	keys, err := s.List(ctx, "registry/churn/")
	require.NoError(t, err)
	assert.Equal(t, []string{"registry/churn/versions/1.json", "registry/churn/versions/2.json"}, keys)

	keys, err = s.List(ctx, "registry/churn")
	require.NoError(t, err)
	assert.Len(t, keys, 3, "a prefix without a trailing slash also matches registry/churner")

	keys, err = s.List(ctx, "nothing/here/")
	require.NoError(t, err)
	assert.Empty(t, keys)

	keys, err = s.List(ctx, "")
	require.NoError(t, err)
	assert.Len(t, keys, 4)
}

func TestFileStoreRejectsKeysThatEscapeTheRoot(t *testing.T) {
	s, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	for _, k := range []string{"", "../x", "a/../../x", "/abs", "a//b", "a/"} {
		_, err := artifact.PutBytes(context.Background(), s, k, []byte("x"), "")
		assert.Error(t, err, "key %q", k)
	}
}

func TestReadAllDetectsChangedArtifact(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := artifact.NewFileStore(dir)
	require.NoError(t, err)
	ref, err := artifact.PutBytes(ctx, s, "m.bin", []byte("hello\n"), "")
	require.NoError(t, err)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "m.bin"), []byte("jello\n"), 0o644))
	_, err = artifact.ReadAll(ctx, ref)
	require.ErrorIs(t, err, artifact.ErrDigestMismatch)
	assert.ErrorContains(t, err, helloSHA)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "m.bin"), []byte("hell"), 0o644))
	_, err = artifact.ReadAll(ctx, ref)
	require.ErrorIs(t, err, artifact.ErrDigestMismatch)
	assert.ErrorContains(t, err, "is 4 bytes, the reference says 6")
}

func TestOpenDefaultsToAbsoluteLocalDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := artifact.Open(context.Background(), "")
	require.NoError(t, err)
	fs, ok := s.(*artifact.FileStore)
	require.True(t, ok)
	wd, err := os.Getwd()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(wd, ".mlpipe", "artifacts"), fs.Root())
	assert.DirExists(t, fs.Root())

	dir := t.TempDir()
	s, err = artifact.Open(context.Background(), "file://"+dir)
	require.NoError(t, err)
	assert.Equal(t, "file://"+dir+"/k", s.URI("k"))

	_, err = artifact.Open(context.Background(), "gs://bucket")
	assert.ErrorContains(t, err, `unsupported scheme "gs"`)
}
