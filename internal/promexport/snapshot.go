// Package promexport exposes mlpipe's figures to Prometheus through
// client_golang: the ModelMonitor's latest snapshot of every model (read
// from the artifact store on scrape, so any number of monitor replicas make
// one consistent set), and the Temporal SDK's worker metrics.
package promexport

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/monitor"
)

// DefaultCacheFor is how long a read of the store serves scrapes: several
// Prometheus servers (or a fast scrape interval) do not each list the store.
const DefaultCacheFor = 5 * time.Second

// VariantProduction labels a figure the snapshot keeps for the model as a
// whole (drift, data quality): it is measured on production's traffic.
const VariantProduction = "production"

var (
	baseLabels    = []string{"model", "version", "variant"}
	featureLabels = []string{"model", "version", "variant", "feature"}
	queueLabels   = []string{"model", "version", "variant", "task_queue", "kind"}
)

func desc(name, help string, labels []string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// The series, named as internal/alerting's catalogue names them.
var (
	descDriftShare     = desc("mlpipe_monitor_drift_share", "Share of features that drifted in the latest window.", baseLabels)
	descFeatureDrift   = desc("mlpipe_monitor_feature_drift", "1 when the feature drifted in the latest window, else 0.", featureLabels)
	descFeaturePSI     = desc("mlpipe_monitor_feature_psi", "Population stability index of a numeric feature in the latest window.", featureLabels)
	descPredDrift      = desc("mlpipe_monitor_prediction_drift", "1 when the prediction's distribution drifted in the latest window, else 0.", baseLabels)
	descSchema         = desc("mlpipe_monitor_schema_violations", "Schema violations found in the latest window (unknown, missing or mistyped features).", baseLabels)
	descNullRate       = desc("mlpipe_monitor_null_rate", "Share of nulls per feature in the latest window.", featureLabels)
	descOutOfRange     = desc("mlpipe_monitor_out_of_range_rate", "Share of a numeric feature's values outside the reference's range.", featureLabels)
	descUnseen         = desc("mlpipe_monitor_unseen_category_rate", "Share of a categorical feature's values the reference never saw.", featureLabels)
	descAccuracy       = desc("mlpipe_monitor_accuracy", "Accuracy on the latest window's joined feedback.", baseLabels)
	descF1             = desc("mlpipe_monitor_f1", "F1 on the latest window's joined feedback.", baseLabels)
	descROCAUC         = desc("mlpipe_monitor_roc_auc", "ROC AUC on the latest window's joined feedback.", baseLabels)
	descEstF1          = desc("mlpipe_monitor_estimated_f1", "Label-free F1 estimate (CBPE) of the latest window.", baseLabels)
	descEstAccuracy    = desc("mlpipe_monitor_estimated_accuracy", "Label-free accuracy estimate (CBPE) of the latest window.", baseLabels)
	descLatencyP99     = desc("mlpipe_monitor_latency_p99_seconds", "99th percentile prediction latency in the latest window.", baseLabels)
	descErrorRate      = desc("mlpipe_monitor_error_rate", "Share of predict requests that failed in the latest window.", baseLabels)
	descConversion     = desc("mlpipe_monitor_conversion_rate", "Share of the latest window's feedback with the positive outcome.", baseLabels)
	descValuePerPred   = desc("mlpipe_monitor_value_per_prediction", "Business value per prediction in the latest window.", baseLabels)
	descBacklog        = desc("mlpipe_monitor_task_queue_backlog", "Tasks waiting per task queue when the latest window was analysed.", queueLabels)
	descWindowEnd      = desc("mlpipe_monitor_window_end_timestamp_seconds", "End of the latest analysed window, as a Unix time.", []string{"model", "version"})
	descSnapshotsUp    = desc("mlpipe_monitor_snapshots_up", "1 when the last read of the artifact store's snapshots succeeded, else 0.", nil)
	descSnapshotErrors = desc("mlpipe_monitor_snapshot_read_errors", "Models whose latest snapshot could not be read at the last read.", nil)
)

// SnapshotCollector exports each monitored model's latest snapshot. A
// figure the snapshot does not have is not exported: no series beats a
// made-up 0, which a rule would read as a real value.
type SnapshotCollector struct {
	store    artifact.Store
	cacheFor time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	readAt  time.Time
	latest  []*monitor.Snapshot
	up      bool
	badRead int
}

// NewSnapshotCollector reads snapshots from store; cacheFor ≤ 0 takes
// DefaultCacheFor.
func NewSnapshotCollector(store artifact.Store, cacheFor time.Duration, log *slog.Logger) *SnapshotCollector {
	if cacheFor <= 0 {
		cacheFor = DefaultCacheFor
	}
	if log == nil {
		log = slog.Default()
	}
	return &SnapshotCollector{store: store, cacheFor: cacheFor, log: log}
}

// Describe sends nothing: the collector is unchecked, since which series
// exist depends on what the snapshots hold.
func (c *SnapshotCollector) Describe(chan<- *prometheus.Desc) {}

// Collect reads the latest snapshots (or the cached read) and sends their
// figures.
func (c *SnapshotCollector) Collect(ch chan<- prometheus.Metric) {
	snaps, up, bad := c.snapshots()
	ch <- prometheus.MustNewConstMetric(descSnapshotsUp, prometheus.GaugeValue, boolFloat(up))
	ch <- prometheus.MustNewConstMetric(descSnapshotErrors, prometheus.GaugeValue, float64(bad))
	for _, s := range snaps {
		emit(ch, s)
	}
}

// snapshots returns the cached read, reading the store again once it is
// older than cacheFor. A failed read keeps the previous figures (stale
// beats none for a rule with a `for`) and says so in snapshots_up.
func (c *SnapshotCollector) snapshots() ([]*monitor.Snapshot, bool, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.readAt.IsZero() && time.Since(c.readAt) < c.cacheFor {
		return c.latest, c.up, c.badRead
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	snaps, bad, err := LatestSnapshots(ctx, c.store, c.log)
	c.readAt = time.Now()
	if err != nil {
		c.log.Error("read the monitor's snapshots for /metrics", "error", err)
		c.up = false
		return c.latest, c.up, c.badRead
	}
	c.latest, c.up, c.badRead = snaps, true, bad
	return c.latest, c.up, c.badRead
}

// LatestSnapshots reads every model's newest snapshot under monitoring/,
// in model order. A snapshot that cannot be read is logged and counted in
// bad; that model is left out rather than shown with an older window's
// figures as if they were current.
func LatestSnapshots(ctx context.Context, store artifact.Store, log *slog.Logger) ([]*monitor.Snapshot, int, error) {
	keys, err := store.List(ctx, "monitoring/")
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", store.URI("monitoring/"), err)
	}
	type pick struct {
		key string
		end time.Time
	}
	newest := map[string]pick{}
	for _, k := range keys {
		end, ok := monitor.EndFromKey(k)
		if !ok {
			continue
		}
		model := path.Base(path.Dir(path.Dir(k)))
		if p, seen := newest[model]; !seen || end.After(p.end) {
			newest[model] = pick{k, end}
		}
	}
	models := make([]string, 0, len(newest))
	for m := range newest {
		models = append(models, m)
	}
	slices.Sort(models)
	var out []*monitor.Snapshot
	bad := 0
	for _, m := range models {
		s, err := readSnapshot(ctx, store, newest[m].key)
		if err != nil {
			log.Warn("snapshot left out of /metrics", "model", m, "error", err)
			bad++
			continue
		}
		out = append(out, s)
	}
	return out, bad, nil
}

func readSnapshot(ctx context.Context, store artifact.Store, key string) (*monitor.Snapshot, error) {
	rc, err := store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", store.URI(key), err)
	}
	defer rc.Close()
	var s monitor.Snapshot
	if err := json.NewDecoder(rc).Decode(&s); err != nil {
		return nil, fmt.Errorf("decode %s: %w", store.URI(key), err)
	}
	if s.Version > monitor.SnapshotVersion {
		return nil, fmt.Errorf("%s is snapshot format %d; this mlpipe reads up to %d", store.URI(key), s.Version, monitor.SnapshotVersion)
	}
	if s.Model == "" {
		return nil, fmt.Errorf("%s names no model", store.URI(key))
	}
	return &s, nil
}

// emit sends one snapshot's figures.
func emit(ch chan<- prometheus.Metric, s *monitor.Snapshot) {
	version := strconv.Itoa(s.ModelVersion)
	label := func(v string) string { return strings.ToValidUTF8(v, "\uFFFD") }
	model := label(s.Model)
	base := []string{model, version, VariantProduction}
	gauge := func(d *prometheus.Desc, v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, lv...)
	}
	feature := func(d *prometheus.Desc, v float64, col string) {
		gauge(d, v, model, version, VariantProduction, label(col))
	}
	if !s.WindowEnd.IsZero() {
		gauge(descWindowEnd, float64(s.WindowEnd.UnixMilli())/1000, model, version)
	}

	// Drift.
	if s.Drift.Dataset.Features > 0 {
		gauge(descDriftShare, s.Drift.Dataset.Share, base...)
	}
	for _, r := range s.Drift.Features {
		if r.Skipped != "" {
			continue
		}
		feature(descFeatureDrift, boolFloat(r.Drifted), r.Column)
		if r.Numeric != nil {
			feature(descFeaturePSI, r.Numeric.PSI, r.Column)
		}
	}
	if p := s.Drift.Prediction; p != nil && p.Skipped == "" {
		gauge(descPredDrift, boolFloat(p.Drifted), base...)
	}

	// Data quality: only for a window that held rows.
	if s.Traffic.Predictions > 0 {
		gauge(descSchema, float64(len(s.Quality.Violations)), base...)
	}
	for _, q := range s.Quality.Columns {
		if q.Rows <= 0 {
			continue
		}
		feature(descNullRate, q.NullRate, q.Column)
		values := q.Rows - q.Nulls
		if values <= 0 {
			continue
		}
		switch q.Kind {
		case "float":
			feature(descOutOfRange, float64(q.OutOfRange)/float64(values), q.Column)
		case "string":
			feature(descUnseen, float64(q.Unseen)/float64(values), q.Column)
		}
	}

	// Performance, per variant where the snapshot has it.
	versions := map[string]string{}
	for _, sv := range s.Performance.Serving {
		versions[sv.Variant] = strconv.Itoa(sv.Version)
	}
	variantLabels := func(variant string) []string {
		if variant == "" {
			variant = VariantProduction
		}
		v := version
		if sv, ok := versions[variant]; ok {
			v = sv
		}
		return []string{model, v, label(variant)}
	}
	for _, m := range s.Performance.Realised {
		if d := realisedDesc(m.Name); d != nil {
			gauge(d, m.Value, variantLabels(m.Variant)...)
		}
	}
	for _, m := range s.Performance.Estimated {
		if d := estimatedDesc(m.Name); d != nil {
			gauge(d, m.Value, variantLabels(m.Variant)...)
		}
	}
	for _, sv := range s.Performance.Serving {
		lv := []string{model, strconv.Itoa(sv.Version), label(sv.Variant)}
		if sv.Predictions > 0 {
			gauge(descLatencyP99, sv.P99Ms/1000, lv...)
		}
		// -1: the gateway's counters could not be read.
		if sv.ErrorRate >= 0 {
			gauge(descErrorRate, sv.ErrorRate, lv...)
		}
	}

	// Business.
	for _, b := range s.Business {
		lv := variantLabels(b.Variant)
		// Without feedback there is no outcome and no value to report.
		if b.Feedback > 0 {
			gauge(descConversion, b.ConversionRate, lv...)
			gauge(descValuePerPred, b.ValuePerPrediction, lv...)
		}
	}

	// Infrastructure.
	for _, q := range s.Infra.Queues {
		gauge(descBacklog, float64(q.Backlog), model, version, VariantProduction, label(q.Name), label(q.Kind))
	}
}

func realisedDesc(name string) *prometheus.Desc {
	switch name {
	case "accuracy":
		return descAccuracy
	case "f1":
		return descF1
	case "roc_auc":
		return descROCAUC
	}
	return nil
}

func estimatedDesc(name string) *prometheus.Desc {
	switch name {
	case "accuracy":
		return descEstAccuracy
	case "f1":
		return descEstF1
	}
	return nil
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
