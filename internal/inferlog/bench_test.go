package inferlog

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

type benchAnswers []string

func (a benchAnswers) Len() int { return len(a) }
func (a benchAnswers) At(i int) (string, float64, map[string]float64) {
	return a[i], 0.25, nil
}

func benchRows(n int) []map[string]any {
	rows := make([]map[string]any, n)
	for i := range rows {
		rows[i] = map[string]any{"age": 41.0 + float64(i), "status": "active", "plan": "premium", "tenure_months": 12.0,
			"monthly_charges": 70.35, "support_calls": 2.0, "last_activity": "2026-11-24T00:00:00Z"}
	}
	return rows
}

// BenchmarkEncodeRow is the log's CPU cost per predicted row: the row's
// JSON, its record, and its share of the Parquet batch.
func BenchmarkEncodeRow(b *testing.B) {
	w := &Writer{opts: WriterOptions{Replica: "bench"}.withDefaults(), buffers: map[partition]*buffer{}}
	rows := benchRows(32)
	ans := make(benchAnswers, 32)
	for i := range ans {
		ans[i] = "no"
	}
	raw, err := json.Marshal(rows)
	if err != nil {
		b.Fatal(err)
	}
	// As /v1 hands them over: the rows' bytes as the client sent them.
	p := &Predictions{RequestID: "0123456789abcdef0123456789abcdef", Time: time.Now(), Model: "churn", Version: 1, Variant: "production", Rows: rows, Raw: raw, Answers: ans}
	var out bytes.Buffer
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 32 {
		w.add(item{preds: p})
		if w.buffered >= 10_000 {
			for _, buf := range w.buffers {
				out.Reset()
				if err := encode(&out, buf.preds); err != nil {
					b.Fatal(err)
				}
			}
			w.buffers, w.buffered = map[partition]*buffer{}, 0
		}
	}
}

func BenchmarkAppendRow(b *testing.B) {
	row := benchRows(1)[0]
	var buf []byte
	var keys []string
	b.ReportAllocs()
	for b.Loop() {
		buf, keys = appendObject(buf[:0], row, keys)
	}
}

func BenchmarkEncodeParquet(b *testing.B) {
	w := &Writer{opts: WriterOptions{Replica: "bench"}.withDefaults(), buffers: map[partition]*buffer{}}
	ans := make(benchAnswers, 32)
	for i := range ans {
		ans[i] = "no"
	}
	p := &Predictions{RequestID: "0123456789abcdef0123456789abcdef", Time: time.Now(), Model: "churn", Version: 1, Variant: "production", Rows: benchRows(32), Answers: ans}
	for range 10_000 / 32 {
		w.add(item{preds: p})
	}
	var rows []requestRow
	for _, buf := range w.buffers {
		rows = buf.preds
	}
	var out bytes.Buffer
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 32 * len(rows) {
		out.Reset()
		if err := encode(&out, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(out.Len())/float64(32*len(rows)), "bytes/row")
}
