package frame

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordsLeaveNullsOut(t *testing.T) {
	f, err := ReadCSV(strings.NewReader("age,plan,seen\n41,basic,2026-01-02T03:04:05Z\n,premium,\n"), ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, []map[string]any{
		{"age": 41.0, "plan": "basic", "seen": "2026-01-02T03:04:05Z"},
		{"plan": "premium"},
	}, f.Records(-1))
	assert.Len(t, f.Records(1), 1)
	assert.Len(t, f.Records(10), 2)
}
