package inferlog

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// codecRecords are the records of a few requests of model, the last one
// multi-class, each with its own inputs.
func codecRecords(t *testing.T, model, variant string, n int) []requestRow {
	t.Helper()
	w := &Writer{opts: WriterOptions{Replica: "r-" + model}.withDefaults(), buffers: map[partition]*buffer{}}
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for i := range n {
		rows := []map[string]any{{"age": float64(i), "plan": fmt.Sprintf("plan-%d", i%3)}, {"age": nil, "plan": "é\"\n"}}
		raw := fmt.Appendf(nil, `[{"age": %d, "plan": "plan-%d"}, {"age": null, "plan": "\u00e9\"\n"}]`, i, i%3)
		w.add(item{preds: &Predictions{RequestID: fmt.Sprintf("req-%d", i), Time: t0.Add(time.Duration(i) * time.Second), Model: model,
			Version: 1 + i%2, Variant: variant, Rows: rows, Raw: raw, Answers: benchAnswers{"no", "yes"}, Latency: time.Millisecond}})
	}
	for _, b := range w.buffers {
		return b.preds
	}
	require.FailNow(t, "no records")
	return nil
}

// A file written by a writer reused from an earlier file, into reused
// bytes, is byte for byte the file a new writer writes: reuse changes
// nothing a reader sees.
func TestReusedEncoderWritesTheSameFile(t *testing.T) {
	var spare encoders
	for round, c := range []struct {
		model, variant string
		n              int
	}{{"churn", "production", 300}, {"plans", "canary", 5}, {"churn", "shadow", 2000}, {"x", "production", 1}} {
		recs := codecRecords(t, c.model, c.variant, c.n)
		var fresh bytes.Buffer
		require.NoError(t, encode(&fresh, recs))

		b := &buffer{}
		for i := 0; i < len(recs); i += encodeBatch {
			b.preds = append(b.preds[:0], recs[i:min(i+encodeBatch, len(recs))]...)
			require.NoError(t, b.encodePending(&spare))
		}
		body, err := b.seal(partition{kind: KindInference, model: c.model}, &spare)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(fresh.Bytes(), body), "round %d (%s): the reused encoder's file differs from a new one's", round, c.model)
		spare.recycle(body)
		if round > 0 {
			assert.Len(t, spare.writers, 1, "the writer is kept for the next file")
			assert.Len(t, spare.bodies, 1, "the bytes are kept for the next file")
		}
	}
}

// Raw becomes the stored inputs as it is; one that is not UTF-8 is
// encoded again from the rows.
func TestInputsAreRawWhenItIsUTF8(t *testing.T) {
	w := &Writer{opts: WriterOptions{Replica: "r"}.withDefaults(), buffers: map[partition]*buffer{}}
	raw := []byte(`[{"a": 1,  "b": "x"}]`)
	assert.Equal(t, `[{"a": 1,  "b": "x"}]`, w.inputs(&Predictions{Raw: raw, Rows: []map[string]any{{"a": 1.0, "b": "x"}}, Answers: benchAnswers{"no"}}))
	bad := []byte("[{\"b\": \"\xff\"}]")
	assert.Equal(t, `[{"b":"`+"\ufffd"+`"}]`, w.inputs(&Predictions{Raw: bad, Rows: []map[string]any{{"b": "\xff"}}, Answers: benchAnswers{"no"}}))
}
