package inferlog

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// BenchmarkEncodeRow is the log's CPU cost per predicted row as the
// writer spends it: the request's record, its share of the Parquet
// encoding in batches of encodeBatch records, and of sealing (compressing)
// a file every 10,000 rows. Requests are of 1 and of 32 rows, each row
// different, as the client sent them (Raw). It reports the file's bytes
// per row.
func BenchmarkEncodeRow(b *testing.B) {
	for _, n := range []int{1, 32} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) { benchEncodeRow(b, n) })
	}
}

func benchEncodeRow(b *testing.B, n int) {
	w := &Writer{opts: WriterOptions{Replica: "bench"}.withDefaults(), buffers: map[partition]*buffer{}}
	reqs := make([]*Predictions, 2048/n)
	for i := range reqs {
		rows := benchRows(n)
		for j, row := range rows {
			k := i*n + j
			row["customer_id"] = fmt.Sprintf("C-%06d", k)
			row["monthly_charges"] = 20 + float64(k%9000)/100
			row["tenure_months"] = float64(k % 72)
			row["plan"] = []string{"basic", "standard", "premium"}[k%3]
		}
		raw, err := json.Marshal(rows)
		if err != nil {
			b.Fatal(err)
		}
		ans := make(benchAnswers, n)
		for j := range ans {
			ans[j] = []string{"no", "yes"}[(i+j)%2]
		}
		reqs[i] = &Predictions{RequestID: fmt.Sprintf("%032x", i), Time: time.Now(), Model: "churn", Version: 1, Variant: "production",
			Rows: rows, Raw: raw, Answers: ans}
	}
	var bytes, rows int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += n {
		w.add(item{preds: reqs[(i/n)%len(reqs)]})
		for _, buf := range w.buffers {
			if len(buf.preds) >= encodeBatch {
				if err := buf.encodePending(&w.spare); err != nil {
					b.Fatal(err)
				}
			}
		}
		if w.buffered >= 10_000 {
			for k, buf := range w.buffers {
				body, err := buf.seal(k, &w.spare)
				if err != nil {
					b.Fatal(err)
				}
				bytes, rows = bytes+len(body), rows+buf.rows
				w.spare.recycle(body) // as a publish does
			}
			w.buffers, w.buffered = map[partition]*buffer{}, 0
		}
	}
	if rows > 0 {
		b.ReportMetric(float64(bytes)/float64(rows), "bytes/row")
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
