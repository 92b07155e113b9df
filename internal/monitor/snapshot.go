// Package monitor is what the ModelMonitor measures in one window of a
// production model's traffic: data quality, drift, model performance,
// business figures and infrastructure, written as a Snapshot (JSON) and a
// self-contained HTML page. It knows nothing of Temporal: the activity
// hands it the window's tables (read from the inference log) and the
// model's reference profile.
package monitor

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/drift"
)

// SnapshotVersion is the snapshot format; readers refuse a newer one.
const SnapshotVersion = 1

// Verdicts, worst last.
const (
	// VerdictNoTraffic: the window held no prediction.
	VerdictNoTraffic = "no traffic"
	// VerdictOK: nothing drifted and the data is clean.
	VerdictOK = "ok"
	// VerdictQuality: the data broke the schema or the expectations, or
	// feedback arrived for predictions never logged.
	VerdictQuality = "data quality issues"
	// VerdictDrift: at least one feature, or the prediction, drifted.
	VerdictDrift = "drift"
	// VerdictDatasetDrift: the share of drifted features reached the
	// dataset threshold.
	VerdictDatasetDrift = "dataset drift"
)

// Snapshot is one window's measurements.
type Snapshot struct {
	Version int    `json:"version"`
	Model   string `json:"model"`
	// ModelVersion is the production version when the window was analysed.
	ModelVersion int       `json:"model_version"`
	WindowStart  time.Time `json:"window_start"`
	WindowEnd    time.Time `json:"window_end"`
	Created      time.Time `json:"created"`
	WorkflowID   string    `json:"workflow_id,omitempty"`
	// Verdict is one of the Verdict constants; Summary says it in a line.
	Verdict string `json:"verdict"`
	Summary string `json:"summary"`
	// Reference is the profile's URI, or why there is none.
	Reference     string `json:"reference,omitempty"`
	ReferenceNote string `json:"reference_note,omitempty"`

	Traffic     Traffic     `json:"traffic"`
	Quality     Quality     `json:"quality"`
	Drift       DriftReport `json:"drift"`
	Performance Performance `json:"performance"`
	Business    []Business  `json:"business,omitempty"`
	Infra       Infra       `json:"infrastructure"`
	// Warnings are what the monitor skipped and why (a corrupt log batch,
	// a gateway it could not reach).
	Warnings []string `json:"warnings,omitempty"`
}

// Traffic counts the window's log rows.
type Traffic struct {
	Predictions int64 `json:"predictions"`
	Feedback    int64 `json:"feedback"`
	Joined      int64 `json:"joined"`
	// UnknownFeedback is feedback for a request ID and row never logged.
	UnknownFeedback int64 `json:"unknown_feedback"`
	// Skipped names log batches that could not be read.
	Skipped []string `json:"skipped,omitempty"`
}

// Quality is the data-quality group.
type Quality struct {
	// Violations are schema breaches (a feature the reference never saw,
	// a reference feature missing from every row, a value of the wrong
	// type) and the error-severity expectations the window failed.
	Violations []string        `json:"violations,omitempty"`
	Columns    []ColumnQuality `json:"columns,omitempty"`
	// Expectations are the pipeline's expectation suite's results on the
	// window (skipped ones with the reason); SuiteNote says what ran, or
	// why nothing did. A failed error-severity expectation is also a
	// violation.
	Expectations []ExpectationResult `json:"expectations,omitempty"`
	SuiteNote    string              `json:"suite_note,omitempty"`
}

// ColumnQuality is one column's data quality in the window.
type ColumnQuality struct {
	Column      string  `json:"column"`
	Kind        string  `json:"kind"`
	Rows        int64   `json:"rows"`
	Nulls       int64   `json:"nulls"`
	NullRate    float64 `json:"null_rate"`
	RefNullRate float64 `json:"ref_null_rate"`
	// OutOfRange counts numbers outside the reference's [min, max].
	OutOfRange int64 `json:"out_of_range,omitempty"`
	// Unseen counts strings the reference's categories do not hold (only
	// when the reference kept all of its categories).
	Unseen         int64    `json:"unseen,omitempty"`
	UnseenExamples []string `json:"unseen_examples,omitempty"`
	// WrongType counts values of another type than the reference's.
	WrongType int64 `json:"wrong_type,omitempty"`
}

// DriftReport is the drift group.
type DriftReport struct {
	// Features are the model's input columns against the reference.
	Features []drift.Result `json:"features,omitempty"`
	// Label is the feedback's labels against the reference's target
	// column: label shift. It counts in the verdict.
	Label *drift.Result `json:"label,omitempty"`
	// Prediction is the predicted labels against the reference's target
	// column. A model's predicted rate differs from the true rate even on
	// clean data, so it is reported and does not decide the verdict.
	Prediction *drift.Result `json:"prediction,omitempty"`
	// Dataset counts the drifted features against the configured share.
	Dataset drift.DatasetResult `json:"dataset"`
	// Config is the thresholds used.
	Config drift.Config `json:"config"`
	// Skipped names columns not measured and why (identifiers, times).
	Skipped []string `json:"skipped,omitempty"`
}

// Performance is the model-performance group.
type Performance struct {
	// Serving is latency, throughput and errors per version and variant.
	Serving []Serving `json:"serving,omitempty"`
	// Realised is measured on joined feedback; Estimated without labels.
	Realised  []Metric `json:"realised,omitempty"`
	Estimated []Metric `json:"estimated,omitempty"`
	// Calibration says how the probabilities behind the estimate were
	// calibrated: "isotonic, fitted on ..." or "uncalibrated: ...".
	Calibration string `json:"calibration,omitempty"`
	Note        string `json:"note,omitempty"`
}

// Serving is one version and variant's serving figures in the window.
type Serving struct {
	Version     int     `json:"version"`
	Variant     string  `json:"variant"`
	Predictions int64   `json:"predictions"`
	PerSecond   float64 `json:"per_second"`
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
	// Requests and Failed count the window's logged requests and those
	// answered with a 5xx.
	Requests int64 `json:"requests,omitempty"`
	Failed   int64 `json:"failed,omitempty"`
	// ErrorRate is Failed/Requests in the window (ErrorSource
	// ErrorsFromLog); where the log holds no requests table, the gateway's
	// counters since its start (ErrorsFromGateway); -1 when neither could
	// be read.
	ErrorRate   float64 `json:"error_rate"`
	ErrorSource string  `json:"error_source,omitempty"`
}

// Where a serving row's error rate came from.
const (
	ErrorsFromLog     = "the window's logged requests"
	ErrorsFromGateway = "the gateway's counters since its start"
)

// Metric is a performance figure with its 95% interval.
type Metric struct {
	Name    string  `json:"name"`
	Variant string  `json:"variant,omitempty"`
	Value   float64 `json:"value"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
	N       int64   `json:"n"`
	Method  string  `json:"method,omitempty"`
}

// Business is one variant's business figures from the feedback.
type Business struct {
	Variant string `json:"variant"`
	// Feedback rows joined; Conversions those with the positive label.
	Feedback       int64   `json:"feedback"`
	Conversions    int64   `json:"conversions"`
	ConversionRate float64 `json:"conversion_rate"`
	// Value sums the feedback's value; ValuePerPrediction divides it by
	// the variant's predictions.
	Value              float64 `json:"value"`
	ValuePerPrediction float64 `json:"value_per_prediction"`
}

// Infra is the infrastructure group. A figure that could not be read is
// absent and its reason is in Notes; never an error.
type Infra struct {
	Gateway *Process    `json:"gateway,omitempty"`
	Worker  *Process    `json:"worker,omitempty"`
	Queues  []TaskQueue `json:"task_queues,omitempty"`
	// GPUs is nvidia-smi's view; GPU is "none" when there is none.
	GPUs  []GPU    `json:"gpus,omitempty"`
	GPU   string   `json:"gpu"`
	Notes []string `json:"notes,omitempty"`
}

// Process is one process's resource figures.
type Process struct {
	Source     string  `json:"source"`
	CPUSeconds float64 `json:"cpu_seconds"`
	MemoryMB   float64 `json:"memory_mb"`
	Goroutines int     `json:"goroutines"`
}

// TaskQueue is a task queue's backlog and pollers.
type TaskQueue struct {
	Name              string `json:"name"`
	Kind              string `json:"kind"` // workflow or activity
	Backlog           int64  `json:"backlog"`
	Pollers           int    `json:"pollers"`
	BacklogAgeSeconds int64  `json:"backlog_age_seconds"`
}

// GPU is one device as nvidia-smi reports it.
type GPU struct {
	Name        string  `json:"name"`
	Utilization float64 `json:"utilization_percent"`
	MemoryMB    float64 `json:"memory_used_mb"`
	MemoryTotal float64 `json:"memory_total_mb"`
}

// KeyTime formats a window end as the snapshot's folder name, to the
// millisecond: a window ends at its run's nominal time, and rows logged
// in the second before it belong to it.
const KeyTime = "20060102T150405.000Z"

// Dir is where a window's snapshot lives in the artifact store.
func Dir(model string, end time.Time) string {
	return path.Join("monitoring", model, end.UTC().Format(KeyTime))
}

// Prefix is where a model's snapshots live.
func Prefix(model string) string { return "monitoring/" + model + "/" }

// File names inside a snapshot's folder.
const (
	SnapshotFile = "snapshot.json"
	PageFile     = "report.html"
)

// EndFromKey reads the window end back from a snapshot key.
func EndFromKey(key string) (time.Time, bool) {
	dir := path.Base(path.Dir(key))
	t, err := time.Parse(KeyTime, dir)
	return t, err == nil && strings.HasSuffix(key, "/"+SnapshotFile)
}

// Headline is the line `mlpipe monitor report` prints first.
func (s *Snapshot) Headline() string {
	return fmt.Sprintf("%s version %d, window %s to %s: %s", s.Model, s.ModelVersion,
		s.WindowStart.UTC().Format(time.RFC3339), s.WindowEnd.UTC().Format(time.RFC3339), s.Summary)
}
