package activities

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

// A data.test_source that cannot heal (no such file, a directory, bad rows)
// is refused at once with the setting to fix; none of it is retried.
func TestTestSourceErrorsThatCannotHealAreNotRetried(t *testing.T) {
	dir := t.TempDir()
	ragged := filepath.Join(dir, "ragged.csv")
	require.NoError(t, os.WriteFile(ragged, []byte("a,b\n1,2\n3\n"), 0o644))
	for name, uri := range map[string]string{
		"missing":   filepath.Join(dir, "nope.csv"),
		"directory": dir,
		"ragged":    ragged,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readRawCSV(context.Background(), uri)
			require.Error(t, err)
			var ae *temporal.ApplicationError
			require.True(t, errors.As(err, &ae), "want an application error, got %T: %v", err, err)
			assert.True(t, ae.NonRetryable(), "%v", err)
			assert.Contains(t, err.Error(), "test data")
		})
	}
}
