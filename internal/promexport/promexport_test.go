package promexport

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/alerting"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/drift"
	"github.com/mlpipe/mlpipe/internal/monitor"
)

// value finds one series' value in a gather; ok is false when the series
// is not exported.
func value(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	fams, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if matches(m, labels) {
				switch {
				case m.Gauge != nil:
					return m.GetGauge().GetValue(), true
				case m.Counter != nil:
					return m.GetCounter().GetValue(), true
				case m.Histogram != nil:
					return float64(m.GetHistogram().GetSampleCount()), true
				}
			}
		}
	}
	return 0, false
}

func matches(m *dto.Metric, want map[string]string) bool {
	have := map[string]string{}
	for _, l := range m.GetLabel() {
		have[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func putSnapshot(t *testing.T, store artifact.Store, s monitor.Snapshot) {
	t.Helper()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	_, err = store.Put(context.Background(), path.Join(monitor.Dir(s.Model, s.WindowEnd), monitor.SnapshotFile), bytes.NewReader(b), "application/json")
	require.NoError(t, err)
}

func drifted(share float64) monitor.Snapshot {
	end := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	return monitor.Snapshot{
		Version: monitor.SnapshotVersion, Model: "churn", ModelVersion: 2,
		WindowStart: end.Add(-time.Hour), WindowEnd: end, Verdict: monitor.VerdictDatasetDrift,
		Traffic: monitor.Traffic{Predictions: 500},
		Quality: monitor.Quality{Columns: []monitor.ColumnQuality{
			{Column: "tenure", Kind: "float", Rows: 500, Nulls: 100, NullRate: 0.2, OutOfRange: 40},
			{Column: "plan", Kind: "string", Rows: 500, Unseen: 50},
		}},
		Drift: monitor.DriftReport{
			Features: []drift.Result{
				{Column: "tenure", Kind: "numeric", Drifted: true, Numeric: &drift.NumericStats{PSI: 0.7}},
				{Column: "plan", Kind: "categorical", Drifted: false},
				{Column: "notes", Skipped: "no values in the window"},
			},
			Dataset: drift.DatasetResult{Features: 2, DriftedFeatures: 1, Share: share},
		},
		Performance: monitor.Performance{
			Serving: []monitor.Serving{
				{Version: 2, Variant: "production", Predictions: 450, P99Ms: 12, ErrorRate: 0.01},
				{Version: 3, Variant: "canary", Predictions: 50, P99Ms: 30, ErrorRate: -1},
			},
			Estimated: []monitor.Metric{{Name: "f1", Value: 0.61}, {Name: "accuracy", Value: 0.8}},
		},
		Business: []monitor.Business{{Variant: "canary", Feedback: 10, ConversionRate: 0.3, ValuePerPrediction: 2}},
		Infra:    monitor.Infra{Queues: []monitor.TaskQueue{{Name: "mlpipe-gpu", Kind: "activity", Backlog: 7}}},
	}
}

func TestSnapshotCollectorExportsEachModelsLatestWindow(t *testing.T) {
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	older := drifted(0.1)
	older.WindowEnd = older.WindowEnd.Add(-time.Hour)
	older.ModelVersion = 1
	putSnapshot(t, store, older)
	putSnapshot(t, store, drifted(0.5))
	_, err = store.Put(context.Background(), path.Join(monitor.Dir("broken", older.WindowEnd), monitor.SnapshotFile), strings.NewReader("{not json"), "application/json")
	require.NoError(t, err)

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewSnapshotCollector(store, time.Nanosecond, nil))
	prod := map[string]string{"model": "churn", "version": "2", "variant": "production"}
	feat := func(f string) map[string]string {
		return map[string]string{"model": "churn", "version": "2", "variant": "production", "feature": f}
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"mlpipe_monitor_drift_share", prod, 0.5},
		{"mlpipe_monitor_feature_drift", feat("tenure"), 1},
		{"mlpipe_monitor_feature_drift", feat("plan"), 0},
		{"mlpipe_monitor_feature_psi", feat("tenure"), 0.7},
		{"mlpipe_monitor_null_rate", feat("tenure"), 0.2},
		{"mlpipe_monitor_out_of_range_rate", feat("tenure"), 0.1},
		{"mlpipe_monitor_unseen_category_rate", feat("plan"), 0.1},
		{"mlpipe_monitor_schema_violations", prod, 0},
		{"mlpipe_monitor_estimated_f1", prod, 0.61},
		{"mlpipe_monitor_estimated_accuracy", prod, 0.8},
		{"mlpipe_monitor_latency_p99_seconds", prod, 0.012},
		{"mlpipe_monitor_latency_p99_seconds", map[string]string{"model": "churn", "version": "3", "variant": "canary"}, 0.03},
		{"mlpipe_monitor_error_rate", prod, 0.01},
		{"mlpipe_monitor_conversion_rate", map[string]string{"model": "churn", "version": "3", "variant": "canary"}, 0.3},
		{"mlpipe_monitor_value_per_prediction", map[string]string{"model": "churn", "version": "3", "variant": "canary"}, 2},
		{"mlpipe_monitor_task_queue_backlog", map[string]string{"model": "churn", "task_queue": "mlpipe-gpu", "kind": "activity"}, 7},
		{"mlpipe_monitor_window_end_timestamp_seconds", map[string]string{"model": "churn", "version": "2"}, float64(drifted(0).WindowEnd.Unix())},
		{"mlpipe_monitor_snapshot_read_errors", nil, 1},
		{"mlpipe_monitor_snapshots_up", nil, 1},
	} {
		v, ok := value(t, reg, c.name, c.labels)
		if assert.True(t, ok, "%s%v is not exported", c.name, c.labels) {
			assert.InDelta(t, c.want, v, 1e-9, "%s%v", c.name, c.labels)
		}
	}
	// What the snapshot does not have is not exported: no realised
	// metrics without feedback, no error rate the gateway could not give,
	// nothing from the older window, nothing of a skipped feature.
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"mlpipe_monitor_f1", nil},
		{"mlpipe_monitor_accuracy", nil},
		{"mlpipe_monitor_roc_auc", nil},
		{"mlpipe_monitor_prediction_drift", nil},
		{"mlpipe_monitor_error_rate", map[string]string{"variant": "canary"}},
		{"mlpipe_monitor_drift_share", map[string]string{"version": "1"}},
		{"mlpipe_monitor_feature_drift", map[string]string{"feature": "notes"}},
		{"mlpipe_monitor_feature_psi", map[string]string{"feature": "plan"}},
		{"mlpipe_monitor_drift_share", map[string]string{"model": "broken"}},
	} {
		_, ok := value(t, reg, c.name, c.labels)
		assert.False(t, ok, "%s%v is exported but the snapshot has no such figure", c.name, c.labels)
	}
}

func TestSnapshotCollectorSeriesAreTheAlertCatalogues(t *testing.T) {
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	s := drifted(0.5)
	s.Performance.Realised = []monitor.Metric{{Name: "f1", Value: 0.7}, {Name: "accuracy", Value: 0.8}, {Name: "roc_auc", Value: 0.9}}
	s.Drift.Prediction = &drift.Result{Column: "churned", Drifted: true}
	putSnapshot(t, store, s)
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewSnapshotCollector(store, 0, nil))
	fams, err := reg.Gather()
	require.NoError(t, err)
	var have []string
	for _, f := range fams {
		have = append(have, f.GetName())
	}
	for _, m := range alerting.Metrics {
		assert.Contains(t, have, m.Series, "a rule on %s would never fire", m.Name)
	}
}

func TestSnapshotCollectorWithoutSnapshotsExportsNoFigures(t *testing.T) {
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewSnapshotCollector(store, 0, nil))
	v, ok := value(t, reg, "mlpipe_monitor_snapshots_up", nil)
	require.True(t, ok)
	assert.Equal(t, 1.0, v)
	_, ok = value(t, reg, "mlpipe_monitor_drift_share", nil)
	assert.False(t, ok)
}

func TestTemporalMetricsKeepsEveryTagSetOfAName(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	h, err := NewTemporalMetrics(reg)
	require.NoError(t, err)
	h.Counter("temporal_request").Inc(2)
	q := h.WithTags(map[string]string{"task_queue": "mlpipe-cpu", "namespace": "default"})
	q.Counter("temporal_request").Inc(3)
	q.WithTags(map[string]string{"task-queue kind": "sticky"}).Counter("temporal_request").Inc(1)
	q.Gauge("temporal_worker_task_slots_available").Update(4)
	q.Timer("temporal_activity_schedule_to_start_latency").Record(30 * time.Millisecond)
	q.Timer("temporal_activity_schedule_to_start_latency").Record(2 * time.Second)

	v, ok := value(t, reg, "temporal_request", map[string]string{"task_queue": "", "namespace": ""})
	require.True(t, ok, "the untagged series is kept beside the tagged ones")
	assert.Equal(t, 2.0, v)
	v, _ = value(t, reg, "temporal_request", map[string]string{"task_queue": "mlpipe-cpu", "task_queue_kind": ""})
	assert.Equal(t, 3.0, v)
	v, _ = value(t, reg, "temporal_request", map[string]string{"task_queue_kind": "sticky"})
	assert.Equal(t, 1.0, v, "tag names are sanitised to label names")
	v, _ = value(t, reg, "temporal_worker_task_slots_available", map[string]string{"task_queue": "mlpipe-cpu"})
	assert.Equal(t, 4.0, v)
	v, _ = value(t, reg, "temporal_activity_schedule_to_start_latency", map[string]string{"task_queue": "mlpipe-cpu"})
	assert.Equal(t, 2.0, v, "two timer records, two histogram samples")

	fams, err := reg.Gather()
	require.NoError(t, err)
	i := slices.IndexFunc(fams, func(f *dto.MetricFamily) bool { return f.GetName() == "temporal_activity_schedule_to_start_latency" })
	require.GreaterOrEqual(t, i, 0)
	hist := fams[i].GetMetric()[0].GetHistogram()
	assert.InDelta(t, 2.03, hist.GetSampleSum(), 1e-9, "timers are in seconds")
	for _, b := range hist.GetBucket() {
		want := uint64(0)
		if b.GetUpperBound() >= 0.03 {
			want = 1
		}
		if b.GetUpperBound() >= 2 {
			want = 2
		}
		assert.Equal(t, want, b.GetCumulativeCount(), "bucket le=%g", b.GetUpperBound())
	}
}

func TestSanitizeName(t *testing.T) {
	for in, want := range map[string]string{
		"temporal_request": "temporal_request", "task-queue": "task_queue", "9lives": "_9lives", "": "_", "a.b c": "a_b_c",
	} {
		assert.Equal(t, want, SanitizeName(in), in)
	}
}

func TestGrafanaDashboardIsValidAndUsesExportedSeries(t *testing.T) {
	b, err := os.ReadFile("../../dev/grafana/mlpipe.json")
	require.NoError(t, err)
	require.True(t, json.Valid(b), "dev/grafana/mlpipe.json is not valid JSON")
	series := map[string]bool{"mlpipe_monitor_window_end_timestamp_seconds": true}
	for _, m := range alerting.Metrics {
		series[m.Series] = true
	}
	for _, name := range regexp.MustCompile(`mlpipe_monitor_[a-z0-9_]+`).FindAllString(string(b), -1) {
		assert.True(t, series[name], "the dashboard queries %s, which mlpipe does not export", name)
	}
}
