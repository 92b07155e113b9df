package artifact_test

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
)

// bigCSV is larger than one read, so a test can act between two reads.
func bigCSV() []byte {
	var b strings.Builder
	b.WriteString("id,x\n")
	for i := 0; i < 20000; i++ {
		b.WriteString("row,12345\n")
	}
	return []byte(b.String())
}

func TestOpenSourceDescribesALocalFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "churn.csv")
	data := bigCSV()
	require.NoError(t, os.WriteFile(p, data, 0o644))
	mod := time.Date(2026, 11, 25, 19, 5, 33, 0, time.UTC)
	require.NoError(t, os.Chtimes(p, mod, mod))

	rc, info, err := artifact.OpenSource(context.Background(), "file://"+p)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err, "an unchanged file reads to its end")
	require.NoError(t, rc.Close())
	assert.Equal(t, data, got)
	assert.Equal(t, artifact.SourceInfo{URI: "file://" + p, Size: int64(len(data)), ModTime: mod}, info)
}

// A file appended to while it is read (a CSV still being written) fails at
// its end instead of passing off what was read as the whole file.
func TestOpenSourceRefusesAFileThatChangesWhileRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "growing.csv")
	data := bigCSV()
	require.NoError(t, os.WriteFile(p, data, 0o644))

	rc, info, err := artifact.OpenSource(context.Background(), p)
	require.NoError(t, err)
	defer rc.Close()
	buf := make([]byte, 4096)
	_, err = io.ReadFull(rc, buf)
	require.NoError(t, err)
	// The writer appends more rows between two of our reads.
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("late,1\nlater,2\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	_, err = io.ReadAll(rc)
	require.ErrorIs(t, err, artifact.ErrSourceChanged)
	assert.Contains(t, err.Error(), p+": the file changed while being read: its size went from")
	assert.Contains(t, err.Error(), "wait until it is completely written")
	assert.Equal(t, int64(len(data)), info.Size, "the size when opened is what the lineage records")
}

// A file replaced by rename (how careful writers publish) is read whole, as
// the version that was opened.
func TestOpenSourceReadsAReplacedFileAsOpened(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "data.csv")
	data := bigCSV()
	require.NoError(t, os.WriteFile(p, data, 0o644))
	rc, _, err := artifact.OpenSource(context.Background(), p)
	require.NoError(t, err)
	defer rc.Close()
	buf := make([]byte, 4096)
	_, err = io.ReadFull(rc, buf)
	require.NoError(t, err)
	next := filepath.Join(dir, "next.csv")
	require.NoError(t, os.WriteFile(next, []byte("id,x\n"), 0o644))
	require.NoError(t, os.Rename(next, p))

	rest, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Equal(t, data, append(buf, rest...))
}

func TestOpenSourceNamesWhatIsWrongWithThePath(t *testing.T) {
	dir := t.TempDir()
	_, _, err := artifact.OpenSource(context.Background(), dir)
	require.ErrorIs(t, err, artifact.ErrIsDirectory)
	assert.EqualError(t, err, "open "+dir+": is a directory, not a file")

	_, _, err = artifact.OpenSource(context.Background(), "file://"+filepath.Join(dir, "nope.csv"))
	require.ErrorIs(t, err, artifact.ErrNotFound)

	if os.Geteuid() != 0 { // root reads anything
		p := filepath.Join(dir, "locked.csv")
		require.NoError(t, os.WriteFile(p, []byte("a\n1\n"), 0o000))
		_, _, err = artifact.OpenSource(context.Background(), p)
		assert.ErrorIs(t, err, fs.ErrPermission)
	}
}

func TestOpenSourceRecordsHTTPHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"abc123"`)
		w.Header().Set("Last-Modified", "Wed, 25 Nov 2026 19:05:33 GMT")
		_, _ = w.Write([]byte("hello\n"))
	}))
	defer srv.Close()
	rc, info, err := artifact.OpenSource(context.Background(), srv.URL+"/churn.csv")
	require.NoError(t, err)
	assert.Equal(t, "hello\n", readString(t, rc))
	assert.Equal(t, artifact.SourceInfo{
		URI: srv.URL + "/churn.csv", Size: 6, ETag: `"abc123"`,
		ModTime: time.Date(2026, 11, 25, 19, 5, 33, 0, time.UTC),
	}, info)
	assert.Equal(t, srv.URL+`/churn.csv (6 bytes, modified 2026-11-25T19:05:33Z, etag "abc123")`, info.String())
}
