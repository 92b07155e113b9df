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

// sameShardIDs returns n request IDs of model m that share one shard.
func sameShardIDs(l *predictionLog, m string, n int) []string {
	var ids []string
	target := l.shard(m, "id-0")
	for i := 0; len(ids) < n; i++ {
		id := fmt.Sprintf("id-%d", i)
		if l.shard(m, id) == target {
			ids = append(ids, id)
		}
	}
	return ids
}

func preds(labels ...string) []Prediction {
	out := make([]Prediction, len(labels))
	for i, l := range labels {
		out[i] = Prediction{Label: l, Probability: 0.5}
	}
	return out
}

func TestPredictionLogJoinsEveryRowOfABatchOnce(t *testing.T) {
	l := newPredictionLog(100_000)
	v := &scoring{number: 1}
	labels := make([]string, 32)
	for i := range labels {
		labels[i] = "no"
	}
	labels[31] = "yes"
	l.record("m", "r", v, nil, preds(labels...))
	accept := func(logEntry) error { return nil }

	e, res, err := l.join("m", "r", 31, accept)
	require.NoError(t, err)
	assert.Equal(t, joinOK, res, "the last row of a 32-row request joins")
	assert.Equal(t, "yes", e.label)
	assert.Same(t, v, e.v)
	_, res, _ = l.join("m", "r", 31, accept)
	assert.Equal(t, joinDuplicate, res, "feedback sent again counts once")
	_, res, _ = l.join("m", "r", 32, accept)
	assert.Equal(t, joinUnknown, res, "there is no row 32")
	_, res, _ = l.join("m", "r", -1, accept)
	assert.Equal(t, joinUnknown, res)
	e, res, _ = l.join("m", "r", 0, accept)
	assert.Equal(t, joinOK, res, "each row joins on its own")
	assert.Equal(t, "no", e.label)
}

func TestPredictionLogRefusedLabelLeavesTheRowUnjoined(t *testing.T) {
	l := newPredictionLog(100)
	l.record("m", "r", &scoring{number: 1}, nil, preds("yes", "no"))
	_, res, err := l.join("m", "r", 1, func(logEntry) error { return fmt.Errorf("not a class") })
	require.Error(t, err)
	assert.Equal(t, joinOK, res)
	_, res, err = l.join("m", "r", 1, func(logEntry) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, joinOK, res, "a refused label does not use up the row")
}

func TestPredictionLogForgetsWholeRequestsOldestFirst(t *testing.T) {
	l := newPredictionLog(3 * logShards) // three rows per shard
	ids := sameShardIDs(l, "m", 3)
	v := &scoring{number: 1}
	accept := func(logEntry) error { return nil }
	l.record("m", ids[0], v, nil, preds("a", "b"))
	l.record("m", ids[1], v, nil, preds("c"))
	// A fourth row does not fit: the oldest request goes, both its rows.
	l.record("m", ids[2], v, nil, preds("d"))
	for row := range 2 {
		_, res, _ := l.join("m", ids[0], row, accept)
		assert.Equal(t, joinUnknown, res, "row %d of the oldest request is forgotten with the rest of it", row)
	}
	e, res, _ := l.join("m", ids[1], 0, accept)
	assert.Equal(t, joinOK, res)
	assert.Equal(t, "c", e.label)
	e, res, _ = l.join("m", ids[2], 0, accept)
	assert.Equal(t, joinOK, res)
	assert.Equal(t, "d", e.label)
}

func TestPredictionLogKeepsTheLastRowsOfARequestLargerThanAShard(t *testing.T) {
	l := newPredictionLog(2 * logShards) // two rows per shard
	l.record("m", "big", &scoring{number: 1}, nil, preds("a", "b", "c"))
	accept := func(logEntry) error { return nil }
	_, res, _ := l.join("m", "big", 0, accept)
	assert.Equal(t, joinUnknown, res)
	for row, want := range map[int]string{1: "b", 2: "c"} {
		e, res, _ := l.join("m", "big", row, accept)
		assert.Equal(t, joinOK, res, "row %d", row)
		assert.Equal(t, want, e.label)
	}
}

func TestPredictionLogStaysBoundedOverManyRequests(t *testing.T) {
	l := newPredictionLog(64 * logShards)
	v := &scoring{number: 1}
	for i := range 20_000 {
		l.record("m", fmt.Sprintf("r%d", i), v, nil, preds("a", "b", "c"))
	}
	for i := range l.shards {
		sh := &l.shards[i]
		assert.LessOrEqual(t, sh.rows, 64, "shard %d holds at most its share of rows", i)
		assert.LessOrEqual(t, len(sh.index), len(sh.queue), "shard %d indexes at most what its queue holds", i)
		assert.LessOrEqual(t, len(sh.queue), 2*64+1, "shard %d keeps its queue compact", i)
	}
	_, res, _ := l.join("m", "r19999", 2, func(logEntry) error { return nil })
	assert.Equal(t, joinOK, res, "the newest request is held")
	_, res, _ = l.join("m", "r0", 0, func(logEntry) error { return nil })
	assert.Equal(t, joinUnknown, res, "the oldest is not")
}

func TestPredictionLogShadowAnswersAndReusedIDs(t *testing.T) {
	l := newPredictionLog(100)
	prod, cand := &scoring{number: 1}, &scoring{number: 2}
	accept := func(logEntry) error { return nil }
	l.record("m", "r", prod, cand, preds("yes", "no"))
	e, _, _ := l.join("m", "r", 0, func(e logEntry) error {
		assert.False(t, e.shadowDone, "the shadow has not answered yet")
		return fmt.Errorf("look only")
	})
	assert.Same(t, cand, e.shadow)
	l.shadowed("m", "r", cand, preds("no", "no"))
	e, res, _ := l.join("m", "r", 0, accept)
	assert.Equal(t, joinOK, res)
	assert.True(t, e.shadowDone)
	assert.Equal(t, "no", e.shadowLabel)
	assert.Equal(t, "yes", e.label)

	// The ID is reused by a request the shadow does not see: a late
	// shadow answer for the first one must not land on it.
	l.record("m", "r", prod, nil, preds("no"))
	l.shadowed("m", "r", cand, preds("yes"))
	e, res, _ = l.join("m", "r", 0, accept)
	assert.Equal(t, joinOK, res, "the later request replaced the earlier one")
	assert.False(t, e.shadowDone)
	_, res, _ = l.join("m", "r", 1, accept)
	assert.Equal(t, joinUnknown, res, "the later request has one row")
}

// BenchmarkPredictionLogRecord is the prediction log's cost per 32-row
// request, once the log is full and forgets as much as it adds.
func BenchmarkPredictionLogRecord(b *testing.B) {
	l := newPredictionLog(100_000)
	v := &scoring{number: 1}
	p := preds(make([]string, 32)...)
	ids := make([]string, 1<<16)
	for i := range ids {
		ids[i] = fmt.Sprintf("%032x", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.record("churn", ids[i%len(ids)], v, nil, p)
		i++
	}
}
