package serving

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPredictionLogForgetsOldestRowsOfAShard(t *testing.T) {
	l := newPredictionLog(2 * logShards) // two rows per shard
	// Three request IDs that land in one shard.
	var ids []string
	target := l.shard("m", "id-0")
	for i := 0; len(ids) < 3; i++ {
		id := fmt.Sprintf("id-%d", i)
		if l.shard("m", id) == target {
			ids = append(ids, id)
		}
	}
	v := &scoring{number: 1}
	for _, id := range ids {
		l.record("m", id, v, nil, []Prediction{{Label: "yes", Probability: 0.9}})
	}
	accept := func(logEntry) error { return nil }
	_, res, _ := l.join("m", ids[0], 0, accept)
	assert.Equal(t, joinUnknown, res, "the oldest row was replaced")
	for _, id := range ids[1:] {
		e, res, err := l.join("m", id, 0, accept)
		require.NoError(t, err)
		assert.Equal(t, joinOK, res)
		assert.Equal(t, "yes", e.label)
		assert.True(t, e.positive)
	}
	_, res, _ = l.join("other-model", ids[2], 0, accept)
	assert.Equal(t, joinUnknown, res, "request IDs are per model")
}
