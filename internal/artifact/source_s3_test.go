package artifact_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/testenv"
)

// An s3:// source reports its Content-Length, ETag and Last-Modified.
func TestOpenSourceRecordsS3ObjectMetadata(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw")
	}
	srv := testenv.StartS3(t)
	ctx := context.Background()
	s, err := artifact.Open(ctx, srv.URI("sources"))
	require.NoError(t, err)
	ref, err := s.Put(ctx, "churn.csv", strings.NewReader("hello\n"), "text/csv")
	require.NoError(t, err)

	rc, info, err := artifact.OpenSource(ctx, ref.URI)
	require.NoError(t, err)
	assert.Equal(t, "hello\n", readString(t, rc))
	assert.Equal(t, ref.URI, info.URI)
	assert.Equal(t, int64(6), info.Size)
	assert.NotEmpty(t, info.ETag)
	assert.False(t, info.ModTime.IsZero())
}
