package serving

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mlpipe/mlpipe/internal/inferlog"
)

// predictionList hands a request's predictions to the inference log
// without copying them.
type predictionList []Prediction

func (p predictionList) Len() int { return len(p) }
func (p predictionList) At(i int) (string, float64, map[string]float64) {
	return p[i].Label, p[i].Probability, p[i].Probabilities
}

// newInferenceLog starts the durable log when the options name a store.
func newInferenceLog(o Options) *inferlog.Writer {
	lo := o.InferenceLog
	if lo.Store == nil {
		return nil
	}
	if lo.Logger == nil {
		lo.Logger = o.Logger
	}
	if lo.MaxPending <= 0 {
		// Room for the largest request twice over, so one is never
		// dropped for its size alone.
		lo.MaxPending = max(4*lo.FlushRows, 4*inferlog.DefaultFlushRows, 2*o.MaxRowsPerRequest)
	}
	w, err := inferlog.NewWriter(lo)
	if err != nil {
		o.Logger.Error("inference log is off", "err", err)
		return nil
	}
	o.Logger.Info("inference log", "replica", w.Replica(), "flush_interval", lo.FlushInterval, "flush_rows", lo.FlushRows)
	return w
}

// logPredictions hands answered rows to the durable log; it never blocks,
// and a full queue is counted in the log's stats.
func (g *Gateway) logPredictions(model string, v *variant, id string, rows []map[string]any, raw []byte, preds []Prediction, start time.Time) {
	if g.ilog == nil {
		return
	}
	now := time.Now()
	g.ilog.LogPredictions(&inferlog.Predictions{RequestID: id, Time: now, Model: model, Version: v.version.Version, Variant: v.name,
		Rows: rows, Raw: raw, Answers: predictionList(preds), Latency: now.Sub(start)})
}

// closeInferenceLog writes what the log still holds.
func (g *Gateway) closeInferenceLog() {
	if g.ilog == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.ilog.Close(ctx); err != nil {
		g.opts.Logger.Error("inference log: close", "err", err)
	}
}

// inferenceLogStatus is the log's state as /healthz shows it.
type inferenceLogStatus struct {
	Replica      string `json:"replica"`
	Rows         uint64 `json:"rows"`
	FeedbackRows uint64 `json:"feedback_rows"`
	Files        uint64 `json:"files"`
	Dropped      uint64 `json:"dropped_rows"`
	FlushErrors  uint64 `json:"flush_errors"`
	Pending      int64  `json:"pending_rows"`
	Deleted      uint64 `json:"deleted_files"`
	LastError    string `json:"last_error,omitempty"`
}

func (g *Gateway) inferenceLogStatus() *inferenceLogStatus {
	if g.ilog == nil {
		return nil
	}
	s := g.ilog.Stats()
	return &inferenceLogStatus{Replica: g.ilog.Replica(), Rows: s.Rows, FeedbackRows: s.FeedbackRows, Files: s.Files,
		Dropped: s.Dropped, FlushErrors: s.FlushErrors, Pending: s.Pending, Deleted: s.Deleted, LastError: s.LastError}
}

// The inference log's families, exported while the log is on.
var (
	descLogRows    = desc("mlpipe_inference_log_rows_total", "Rows written to the durable inference log, by kind.", "kind")
	descLogDropped = desc("mlpipe_inference_log_dropped_rows_total",
		"Rows the inference log dropped: its queue was full, or the store refused the batch repeatedly.")
	descLogFiles       = desc("mlpipe_inference_log_files_total", "Batch files the inference log published.")
	descLogFlushErrors = desc("mlpipe_inference_log_flush_errors_total",
		"Batch writes the artifact store refused (retried at the next flush).")
	descLogPending = desc("mlpipe_inference_log_pending_rows", "Rows queued or buffered for the inference log, not yet written.")
	descLogDeleted = desc("mlpipe_inference_log_deleted_files_total", "Log files deleted by retention.")
)

func describeInferenceLog(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLogRows, descLogDropped, descLogFiles, descLogFlushErrors, descLogPending, descLogDeleted} {
		ch <- d
	}
}

// collectInferenceLog reads the log's counters at scrape time.
func (g *Gateway) collectInferenceLog(ch chan<- prometheus.Metric) {
	if g.ilog == nil {
		return
	}
	s := g.ilog.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- constMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(descLogRows, s.Rows, "prediction")
	counter(descLogRows, s.FeedbackRows, "feedback")
	counter(descLogDropped, s.Dropped)
	counter(descLogFiles, s.Files)
	counter(descLogFlushErrors, s.FlushErrors)
	ch <- constMetric(descLogPending, prometheus.GaugeValue, float64(s.Pending))
	counter(descLogDeleted, s.Deleted)
}
