package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"gopkg.in/yaml.v3"

	"github.com/mlpipe/mlpipe/internal/alerting"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/internal/promexport"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/workflows"
)

const alertsUsage = `usage: mlpipe alerts receive [--addr 127.0.0.1:9095] [--metrics-cache 5s]
       mlpipe alerts status MODEL [-o json] [--prometheus URL] [--alertmanager URL]
       mlpipe alerts render -f pipeline.yaml --out DIR [--gateway HOST:PORT]... [--worker HOST:PORT]...
                            [--exporter HOST:PORT] [--alertmanager HOST:PORT] [--receiver URL] [--interval 15s]
                            [--group-wait 30s] [--group-interval 5m] [--repeat-interval 4h]`

// alerts runs the receiver Alertmanager notifies, shows a model's
// retraining loop, and renders the Prometheus and Alertmanager configs of
// a spec's alert rules.
func (m *Main) alerts(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageErr(alertsUsage)
	}
	switch args[0] {
	case "receive":
		return m.alertsReceive(ctx, args[1:])
	case "status":
		return m.alertsStatus(ctx, args[1:])
	case "render":
		return m.alertsRender(args[1:])
	}
	return usageErr("unknown subcommand %q\n%s", args[0], alertsUsage)
}

// alertsReceive serves Alertmanager's webhook. Each alert about a model
// goes to the model's RetrainLoop (started if it is not running), which
// logs it, keeps it in its status and, for action retrain, starts at most
// one retraining per cooldown.
func (m *Main) alertsReceive(ctx context.Context, args []string) error {
	fs := newFlags("alerts receive")
	addr := fs.String("addr", "127.0.0.1:9095", "listen address; point Alertmanager's webhook at http://ADDR/v1/alerts and Prometheus at http://ADDR/metrics")
	cacheFor := fs.Duration("metrics-cache", promexport.DefaultCacheFor, "how long one read of the monitor's snapshots serves /metrics")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := m.quietClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return m.serveAlerts(ctx, c, *addr, *cacheFor)
}

// serveAlerts serves the alerting endpoint on addr until ctx ends: the
// webhook (/v1/alerts) and the monitor's figures (/metrics).
func (m *Main) serveAlerts(ctx context.Context, c client.Client, addr string, cacheFor time.Duration) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	// The monitor's figures are served from the store, not from any one
	// worker's memory, so every monitor replica's windows are one set.
	store, err := artifact.Open(ctx, config.FromEnv().Artifacts)
	if err != nil {
		return fmt.Errorf("artifact store: %w", err)
	}
	reg := promexport.NewRegistry()
	reg.MustRegister(promexport.NewSnapshotCollector(store, cacheFor, m.Logger))
	mux := http.NewServeMux()
	mux.Handle("/v1/alerts", alerting.Receiver(loopSink(c), m.Logger))
	mux.Handle("/metrics", promexport.Handler(reg, m.Logger))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	m.Logger.Info("alert receiver listening", "url", "http://"+ln.Addr().String()+"/v1/alerts",
		"metrics", "http://"+ln.Addr().String()+"/metrics")
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loopSink signals the model's loop, starting it if needed
// (SignalWithStart), so that every notification of every replica of the
// receiver reaches the one loop of the model.
func loopSink(c client.Client) alerting.Sink {
	return func(ctx context.Context, d alerting.Delivery) error {
		al := workflows.Alert{
			Name: d.Alert.Labels["alertname"], Status: d.Alert.Status, Fingerprint: d.Alert.Fingerprint,
			StartsAt: d.Alert.StartsAt, Action: d.Alert.Labels["action"], Severity: d.Alert.Labels["severity"],
			Labels: d.Alert.Labels, Summary: d.Alert.Annotations["summary"],
		}
		_, err := c.SignalWithStartWorkflow(ctx, workflows.RetrainLoopID(d.Model), workflows.SignalAlert, al,
			client.StartWorkflowOptions{
				TaskQueue:             workflows.TaskQueueCPU,
				TypedSearchAttributes: temporal.NewSearchAttributes(workflows.AttrModelName.ValueSet(d.Model)),
				StaticSummary:         "retraining loop of " + d.Model,
			},
			workflows.RetrainLoopName, workflows.RetrainLoopInput{Model: d.Model, Cooldown: d.Cooldown})
		if err != nil {
			return fmt.Errorf("signal the retraining loop of %s: %w", d.Model, err)
		}
		return nil
	}
}

// alertsStatus prints a model's loop: what fires, what it started, and
// whether it is in its cooldown.
func (m *Main) alertsStatus(ctx context.Context, args []string) error {
	fs := newFlags("alerts status")
	out := fs.String("o", "text", "text or json")
	promURL := fs.String("prometheus", envOr("MLPIPE_PROMETHEUS_URL", "http://127.0.0.1:9090"), "Prometheus to ask how the model's rules evaluate (\"\" to skip)")
	amURL := fs.String("alertmanager", envOr("MLPIPE_ALERTMANAGER_URL", "http://127.0.0.1:9093"), "Alertmanager to ask what it holds and delivers (\"\" to skip)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr(alertsUsage)
	}
	c, err := m.quietClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	delivery := probeDelivery(ctx, pos[0], strings.TrimRight(*promURL, "/"), strings.TrimRight(*amURL, "/"))
	v, err := c.QueryWorkflow(ctx, workflows.RetrainLoopID(pos[0]), "", workflows.QueryRetrainLoop)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			if *out != "json" {
				delivery.print(m.Stdout)
			}
			return &exitError{code: exitUsage, msg: fmt.Sprintf("model %s has had no alerts (no workflow %s)", pos[0], workflows.RetrainLoopID(pos[0]))}
		}
		return err
	}
	var st workflows.RetrainLoopStatus
	if err := v.Get(&st); err != nil {
		return err
	}
	if *out == "json" {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			workflows.RetrainLoopStatus
			Delivery deliveryStatus `json:"delivery"`
		}{st, delivery})
	}
	fmt.Fprintf(m.Stdout, "model %s: %d notifications, %d retrainings held off by the cooldown (%s)\n",
		st.Model, st.Notifications, st.Suppressed, st.Cooldown)
	if st.InCooldown {
		fmt.Fprintf(m.Stdout, "in cooldown until %s\n", st.CooldownUntil.UTC().Format(time.RFC3339))
	}
	for _, f := range st.Firing {
		fmt.Fprintf(m.Stdout, "firing  %s since %s (%d notifications)\n", f.Name, f.Since.UTC().Format(time.RFC3339), f.Count)
	}
	for _, r := range st.Retrainings {
		fmt.Fprintf(m.Stdout, "retrain %s for %s at %s\n", r.WorkflowID, r.Alert, r.StartedAt.UTC().Format(time.RFC3339))
	}
	if st.LastError != "" {
		fmt.Fprintf(m.Stdout, "last retraining failed to start: %s\n", st.LastError)
	}
	delivery.print(m.Stdout)
	return nil
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// alertsRender writes rules.yml, prometheus.yml and alertmanager.yml for a
// spec's monitoring block, as `mlpipe dev` runs them.
func (m *Main) alertsRender(args []string) error {
	fs := newFlags("alerts render")
	file := fs.String("f", "", "pipeline spec")
	out := fs.String("out", "", "folder to write the configs to")
	am := fs.String("alertmanager", "127.0.0.1:9093", "Alertmanager's address")
	recv := fs.String("receiver", "http://127.0.0.1:9095/v1/alerts", "mlpipe alerts receive's URL")
	interval := fs.String("interval", "15s", "scrape and rule evaluation interval")
	var gateways, workers listFlag
	fs.Var(&gateways, "gateway", "a gateway replica's HOST:PORT (repeatable)")
	fs.Var(&workers, "worker", "a worker's metrics HOST:PORT (repeatable)")
	var timing alerting.Timing
	fs.StringVar(&timing.GroupWait, "group-wait", "", "Alertmanager's group_wait (default 30s)")
	fs.StringVar(&timing.GroupInterval, "group-interval", "", "Alertmanager's group_interval (default 5m)")
	fs.StringVar(&timing.RepeatInterval, "repeat-interval", "", "Alertmanager's repeat_interval (default: the spec's monitoring.repeat_interval, else 4h)")
	var exporters listFlag
	fs.Var(&exporters, "exporter", "mlpipe alerts receive's HOST:PORT, whose /metrics has the monitor's figures (repeatable; default: the --receiver's)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *file == "" || *out == "" {
		return usageErr(alertsUsage)
	}
	for _, d := range []struct{ flag, v string }{{"group-wait", timing.GroupWait}, {"group-interval", timing.GroupInterval}, {"repeat-interval", timing.RepeatInterval}, {"interval", *interval}} {
		if d.v == "" && d.flag != "interval" {
			continue
		}
		if _, err := alerting.ParseDuration(d.v); err != nil {
			return usageErr("--%s: %v", d.flag, err)
		}
	}
	am0, err := alertSpec(*file)
	if err != nil {
		return &exitError{code: exitUsage, msg: err.Error()}
	}
	if len(gateways) == 0 {
		gateways = listFlag{"127.0.0.1:8080"}
	}
	if len(exporters) == 0 {
		u, err := url.Parse(*recv)
		if err != nil || u.Host == "" {
			return usageErr("--receiver %q: want the receiver's URL, e.g. http://127.0.0.1:9095/v1/alerts", *recv)
		}
		exporters = listFlag{u.Host}
	}
	return renderAlerting(*out, []alerting.Model{am0},
		scrapeTargets{Gateways: gateways, Workers: workers, Exporters: exporters}, *am, *recv, *interval, timing)
}

// scrapeTargets are what the rendered Prometheus scrapes: the gateways and
// workers internal/alerting knows, and the alerting endpoints whose
// /metrics carry the monitor's figures.
type scrapeTargets struct {
	Gateways, Workers, Exporters []string
}

// exporterJob is the scrape job of the monitor's figures.
const exporterJob = "mlpipe-monitor"

// prometheusConfig renders prometheus.yml with the monitor's job added.
func prometheusConfig(t scrapeTargets, ruleFiles []string, am, interval string) ([]byte, error) {
	b, err := alerting.PrometheusConfig(alerting.Targets{Gateways: t.Gateways, Workers: t.Workers}, ruleFiles, am, interval)
	if err != nil || len(t.Exporters) == 0 {
		return b, err
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("re-read the rendered prometheus.yml: %w", err)
	}
	jobs, _ := cfg["scrape_configs"].([]any)
	cfg["scrape_configs"] = append(jobs, map[string]any{
		"job_name":       exporterJob,
		"static_configs": []any{map[string]any{"targets": t.Exporters}},
	})
	return yaml.Marshal(cfg)
}

// renderAlerting writes the three files into dir.
func renderAlerting(dir string, models []alerting.Model, t scrapeTargets, am, receiver, interval string, timing alerting.Timing) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rules, err := alerting.RuleFile(models, "")
	if err != nil {
		return &exitError{code: exitUsage, msg: err.Error()}
	}
	rulePath, err := filepath.Abs(filepath.Join(dir, "rules.yml"))
	if err != nil {
		return err
	}
	prom, err := prometheusConfig(t, []string{rulePath}, am, interval)
	if err != nil {
		return err
	}
	amc, err := alerting.AlertmanagerConfig(models, receiver, timing)
	if err != nil {
		return &exitError{code: exitUsage, msg: err.Error()}
	}
	for name, b := range map[string][]byte{"rules.yml": rules, "prometheus.yml": prom, "alertmanager.yml": amc} {
		if err := writeFileAtomic(filepath.Join(dir, name), b); err != nil {
			return err
		}
	}
	return nil
}

// alertSpec reads a spec's model and monitoring block. Only those are
// needed to render alerting, so the spec's data need not exist yet (a
// fresh clone has no generated example data).
func alertSpec(path string) (alerting.Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return alerting.Model{}, fmt.Errorf("read spec %s: %w", path, err)
	}
	p, err := spec.Parse(b, path)
	if err != nil {
		return alerting.Model{}, err
	}
	if p.Model == "" {
		return alerting.Model{}, fmt.Errorf("spec %s: model is required: the alerts are about it", path)
	}
	cfg := p.Monitoring.AlertConfig()
	if err := cfg.Validate(); err != nil {
		return alerting.Model{}, fmt.Errorf("spec %s: %w", path, err)
	}
	return alerting.Model{Name: p.Model, Config: cfg}, nil
}
