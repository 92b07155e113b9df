package artifact_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/testenv"
)

// deleteCases is what Delete promises on every store: the object goes, its
// neighbours stay, deleting again is not an error, and a key that would
// escape the store is refused.
func deleteCases(t *testing.T, s artifact.Store) {
	ctx := context.Background()
	for _, k := range []string{"checkpoints/m/wf/1/epoch-0005.json", "checkpoints/m/wf/1/epoch-0010.json"} {
		_, err := artifact.PutBytes(ctx, s, k, []byte(`{"epoch":1}`), "application/json")
		require.NoError(t, err)
	}
	require.NoError(t, s.Delete(ctx, "checkpoints/m/wf/1/epoch-0005.json"))
	keys, err := s.List(ctx, "checkpoints/m/wf/1/")
	require.NoError(t, err)
	assert.Equal(t, []string{"checkpoints/m/wf/1/epoch-0010.json"}, keys)
	_, err = s.Get(ctx, "checkpoints/m/wf/1/epoch-0005.json")
	assert.ErrorIs(t, err, artifact.ErrNotFound)

	assert.NoError(t, s.Delete(ctx, "checkpoints/m/wf/1/epoch-0005.json"), "deleting twice is not an error")
	assert.ErrorContains(t, s.Delete(ctx, "../outside.json"), `must not contain ".." segments`)
}

func TestFileStoreDelete(t *testing.T) {
	dir := t.TempDir()
	s, err := artifact.NewFileStore(dir)
	require.NoError(t, err)
	deleteCases(t, s)
	assert.Equal(t, []string{"checkpoints/m/wf/1/epoch-0010.json"}, allFiles(t, dir))
	assert.ErrorContains(t, s.Delete(context.Background(), "checkpoints/m/wf/1"), "is a directory")
}

func TestS3StoreDelete(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw")
	}
	srv := testenv.StartS3(t)
	s, err := artifact.Open(context.Background(), srv.URI(t.Name()))
	require.NoError(t, err)
	deleteCases(t, s)
}
