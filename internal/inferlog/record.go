package inferlog

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Kinds of log, the first segment of every key.
const (
	KindInference = "inference"
	KindFeedback  = "feedback"
)

// Predictions are one request's answers, as the gateway hands them to the
// Writer. Rows are encoded off the request path, so the caller must not
// change Rows or Raw after handing them over (the writer keeps Raw's
// bytes without copying them).
type Predictions struct {
	RequestID string
	Time      time.Time
	Model     string
	Version   int
	// Variant is production, canary or shadow.
	Variant string
	// Rows are the input rows, as the model received them.
	Rows []map[string]any
	// Raw, when set, is Rows as the client sent them: a JSON array of one
	// object per row. It is stored as it is (if valid UTF-8), which spares
	// encoding every row again.
	Raw []byte
	// Answers has one entry per row.
	Answers Answers
	// Latency is how long the request (or the shadow's scoring) took.
	Latency time.Duration
	// Status is the HTTP status the variant answered with; 0 means 200.
	// A request the variant failed (5xx) is logged with its status and no
	// answers (Answers of length 0, never nil), so that error rates can be
	// read from the log of every replica.
	Status int
}

// status is the status as stored.
func (p *Predictions) status() int32 {
	if p.Status == 0 {
		return 200
	}
	return int32(p.Status)
}

// logRows is what the record weighs in the writer's queue and batches:
// its rows, or 1 for a failed request, which has none but is written.
func (p *Predictions) logRows() int {
	if n := p.Answers.Len(); n > 0 || p.Status < 400 {
		return n
	}
	return 1
}

// Answers is a request's predictions, one per row; the gateway passes its
// own slice without copying it.
type Answers interface {
	Len() int
	// At is row i's label, its probability (of the positive class for a
	// binary model) and, for a multi-class model, every class's.
	At(i int) (label string, probability float64, probabilities map[string]float64)
}

// Feedback is one outcome for a logged prediction.
type Feedback struct {
	RequestID string
	Row       int
	// Time is when the gateway received it.
	Time  time.Time
	Model string
	Label string
	// Value is the outcome's business value; nil when none was sent.
	Value *float64
	// LabelTime is when the outcome happened, as the caller says; zero
	// when it did not say.
	LabelTime time.Time
}

// requestRow is one request's logged predictions as stored: one record
// per request and variant, its rows in lists, which Read unnests into one
// row per prediction. A record per request keeps the log's cost per row
// to copying its bytes, so logging does not slow the gateway's batches.
// Times are UTC microseconds, the Parquet TIMESTAMP DuckDB reads as
// TIMESTAMP WITH TIME ZONE.
type requestRow struct {
	RequestID string `parquet:"request_id"`
	Time      int64  `parquet:"time,timestamp(microsecond)"`
	Model     string `parquet:"model,dict"`
	Version   int32  `parquet:"version"`
	Variant   string `parquet:"variant,dict"`
	// Inputs is a JSON array of the input rows.
	Inputs      string    `parquet:"inputs"`
	Predictions []string  `parquet:"predictions,list"`
	Probability []float64 `parquet:"probability,list"`
	// Probabilities is, for a multi-class model, a JSON array holding each
	// row's class → probability object; null for a binary one.
	Probabilities *string `parquet:"probabilities,optional"`
	LatencyMs     float64 `parquet:"latency_ms"`
	Replica       string  `parquet:"replica,dict"`
	// Status is the HTTP status (200, or a 5xx with no predictions).
	// Files written before it existed have no such column; Read takes
	// their records as 200.
	Status int32 `parquet:"status"`
}

// feedbackRow is one logged feedback as stored.
type feedbackRow struct {
	RequestID string   `parquet:"request_id"`
	Row       int32    `parquet:"row"`
	Time      int64    `parquet:"time,timestamp(microsecond)"`
	Model     string   `parquet:"model,dict"`
	Label     string   `parquet:"label"`
	Value     *float64 `parquet:"value,optional"`
	LabelTime *int64   `parquet:"label_time,optional,timestamp(microsecond)"`
	Replica   string   `parquet:"replica,dict"`
}

// hourDir is the partition of one model's log for the hour holding t.
func hourDir(kind, model string, t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%s/%s/dt=%s/hour=%02d", kind, model, t.Format("2006-01-02"), t.Hour())
}

// partitionHour reads the hour a key's dt= and hour= segments name.
func partitionHour(key string) (time.Time, bool) {
	var day, hour string
	for _, seg := range strings.Split(key, "/") {
		if v, ok := strings.CutPrefix(seg, "dt="); ok {
			day = v
		} else if v, ok := strings.CutPrefix(seg, "hour="); ok {
			hour = v
		}
	}
	d, err := time.Parse("2006-01-02", day)
	if err != nil {
		return time.Time{}, false
	}
	h, err := strconv.Atoi(hour)
	if err != nil || h < 0 || h > 23 {
		return time.Time{}, false
	}
	return d.Add(time.Duration(h) * time.Hour), true
}

// SafeName makes s usable as one key segment: letters, digits, '.', '_'
// and '-' are kept, anything else becomes '_'.
func SafeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), ".")
	if out == "" {
		return "gateway"
	}
	return out
}

// validUTF8 keeps every logged string valid UTF-8 (a request ID comes from
// a header, which may carry any byte).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func micros(t time.Time) int64 { return t.UnixMicro() }
