package artifact_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
)

func TestOpenURILocalFiles(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "churn.csv")
	require.NoError(t, os.WriteFile(p, []byte("a,b\n1,2\n"), 0o644))

	for _, uri := range []string{p, "file://" + p} {
		rc, err := artifact.OpenURI(ctx, uri)
		require.NoError(t, err, uri)
		assert.Equal(t, "a,b\n1,2\n", readString(t, rc), uri)
	}

	missing := filepath.Join(t.TempDir(), "nope.csv")
	_, err := artifact.OpenURI(ctx, "file://"+missing)
	require.ErrorIs(t, err, artifact.ErrNotFound)
	assert.ErrorContains(t, err, missing)
	assert.ErrorContains(t, err, "does not exist")

	_, err = artifact.OpenURI(ctx, "ftp://host/x.csv")
	assert.ErrorContains(t, err, `unsupported scheme "ftp"`)
}

func TestOpenURIHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/data/churn.csv" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("hello\n"))
	}))
	defer srv.Close()
	ctx := context.Background()

	rc, err := artifact.OpenURI(ctx, srv.URL+"/data/churn.csv")
	require.NoError(t, err)
	assert.Equal(t, "hello\n", readString(t, rc))

	// A Ref can point at an external source too, and is verified the same way.
	data, err := artifact.ReadAll(ctx, artifact.Ref{URI: srv.URL + "/data/churn.csv", SHA256: helloSHA, Size: 6})
	require.NoError(t, err)
	assert.Equal(t, "hello\n", string(data))

	_, err = artifact.OpenURI(ctx, srv.URL+"/data/missing.csv")
	require.Error(t, err)
	assert.ErrorContains(t, err, srv.URL+"/data/missing.csv")
	assert.ErrorContains(t, err, "404")
}
