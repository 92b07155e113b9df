package activities

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

// A file the worker may not read is bad input that says so (tests run as
// root cannot make one, so the classification is checked directly).
func TestSourceErrorSaysPermissionDenied(t *testing.T) {
	err := sourceError("/data/churn.csv", &fs.PathError{Op: "open", Path: "/data/churn.csv", Err: fs.ErrPermission})
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae))
	assert.True(t, ae.NonRetryable())
	assert.Equal(t, ErrInvalidInput, ae.Type())
	assert.Contains(t, ae.Message(), "ingest /data/churn.csv: permission denied: the worker (uid ")
	assert.Contains(t, ae.Message(), "may not read it; give it read access")

	err = sourceError("https://example.com/churn.csv", errors.New("server answered 503 Service Unavailable"))
	assert.False(t, errors.As(err, &ae), "a server error may heal: retryable")
}
