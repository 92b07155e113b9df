package artifact

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSweepTempsRemovesOnlyStaleTempFiles(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := NewFileStore(root)
	require.NoError(t, err)
	_, err = PutBytes(ctx, s, "datasets/d/raw.csv", []byte("a\n1\n"), "text/csv")
	require.NoError(t, err)
	old := time.Now().Add(-2 * StaleTempAge)
	write := func(rel string, mtime time.Time) string {
		p := filepath.Join(root, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("partial"), 0o644))
		require.NoError(t, os.Chtimes(p, mtime, mtime))
		return p
	}
	stale := []string{
		write("datasets/d/.mlpipe-tmp-123", old),
		write("inference/m/dt=2026-12-05/hour=10/.mlpipe-tmp-9", old),
	}
	fresh := write("datasets/d/.mlpipe-tmp-456", time.Now()) // a write in progress
	ours := write("datasets/d/old-but-not-a-temp.csv", old)

	n, err := SweepTemps(ctx, s, StaleTempAge)
	require.NoError(t, err)
	assert.Equal(t, len(stale), n)
	for _, p := range stale {
		assert.NoFileExists(t, p)
	}
	assert.FileExists(t, fresh, "a write in progress keeps its temp file")
	assert.FileExists(t, ours, "only temp files are removed")
	got, err := GetBytes(ctx, s, "datasets/d/raw.csv")
	require.NoError(t, err)
	assert.Equal(t, "a\n1\n", string(got))
}

func TestSweepTempsOfAnS3StoreLooksOnlyAtTheTempFolderItself(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	old := time.Now().Add(-2 * StaleTempAge)
	spool := filepath.Join(tmp, ".mlpipe-tmp-77")
	nested := filepath.Join(tmp, "other-program", ".mlpipe-tmp-88")
	for _, p := range []string{spool, nested} {
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
		require.NoError(t, os.Chtimes(p, old, old))
	}
	n, err := SweepTemps(context.Background(), &S3Store{}, StaleTempAge)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.NoFileExists(t, spool, "an upload's stale spool file is removed")
	assert.FileExists(t, nested, "other programs' folders are not walked")
}
