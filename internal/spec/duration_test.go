package spec_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/spec"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"72h":   72 * time.Hour,
		"90m":   90 * time.Minute,
		"3d":    72 * time.Hour,
		"1d12h": 36 * time.Hour,
		"":      0,
	} {
		d, err := spec.ParseDuration(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, d.D(), in)
	}
}

func TestParseDurationRefusesBadText(t *testing.T) {
	for _, in := range []string{"soon", "1.5d", "3days", "72"} {
		_, err := spec.ParseDuration(in)
		require.Error(t, err, in)
		assert.Equal(t, `duration "`+in+`": want a form like 72h, 90m or 3d`, err.Error(), "the message quotes what was written")
	}
}

func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(spec.Duration(36 * time.Hour))
	require.NoError(t, err)
	assert.Equal(t, `"36h0m0s"`, string(b))

	var d spec.Duration
	require.NoError(t, json.Unmarshal([]byte(`"3d"`), &d))
	assert.Equal(t, 72*time.Hour, d.D())
	require.NoError(t, json.Unmarshal([]byte(`60000000000`), &d), "nanoseconds are accepted too")
	assert.Equal(t, time.Minute, d.D())
	assert.Error(t, json.Unmarshal([]byte(`true`), &d))
}
