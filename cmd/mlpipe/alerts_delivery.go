package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// deliveryStatus is how a model's alerts travel, as `mlpipe alerts status`
// shows it: whether Prometheus evaluates the rules, whether Alertmanager
// delivers, and whether the spec's webhook answers. Each part is probed on
// its own; an unreachable one is reported, never an error of the command.
type deliveryStatus struct {
	Prometheus   endpointState `json:"prometheus"`
	Alertmanager endpointState `json:"alertmanager"`
	// Rules are the model's alert rules as Prometheus evaluates them.
	Rules []ruleState `json:"rules,omitempty"`
	// Alerts are the model's alerts Alertmanager holds now.
	Alerts []amAlert `json:"alerts,omitempty"`
	// Notifications counts Alertmanager's deliveries per integration since
	// it started (Alertmanager 0.25 does not split them by receiver).
	Notifications []integrationCount `json:"notifications,omitempty"`
	// Webhooks are the model's own webhook receivers in Alertmanager's
	// running config, each dialled (not posted to).
	Webhooks []webhookState `json:"webhooks,omitempty"`
}

type endpointState struct {
	URL       string `json:"url"`
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
}

type ruleState struct {
	Name   string `json:"name"`
	State  string `json:"state"`
	Health string `json:"health"`
	Error  string `json:"error,omitempty"`
}

type amAlert struct {
	Name        string   `json:"name"`
	State       string   `json:"state"`
	InhibitedBy []string `json:"inhibited_by,omitempty"`
	SilencedBy  []string `json:"silenced_by,omitempty"`
	Since       string   `json:"since"`
}

// integrationCount is one integration's notifications (a notification is
// retried with backoff until its group's next flush; it fails when every
// attempt did) and its attempts.
type integrationCount struct {
	Integration    string `json:"integration"`
	Sent           int64  `json:"sent"`
	Failed         int64  `json:"failed"`
	Attempts       int64  `json:"attempts"`
	FailedAttempts int64  `json:"failed_attempts"`
}

type webhookState struct {
	Receiver  string `json:"receiver"`
	URL       string `json:"url"`
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
}

// probeTimeout bounds each probe, so a hung endpoint delays the status by
// seconds, not forever.
const probeTimeout = 3 * time.Second

// probeDelivery asks Prometheus and Alertmanager (either may be "", not
// asked) about model's alerts.
func probeDelivery(ctx context.Context, model, promURL, amURL string) deliveryStatus {
	hc := &http.Client{Timeout: probeTimeout}
	d := deliveryStatus{Prometheus: endpointState{URL: promURL}, Alertmanager: endpointState{URL: amURL}}
	if promURL != "" {
		var rules struct {
			Data struct {
				Groups []struct {
					Rules []struct {
						Name      string            `json:"name"`
						State     string            `json:"state"`
						Health    string            `json:"health"`
						LastError string            `json:"lastError"`
						Labels    map[string]string `json:"labels"`
						Query     string            `json:"query"`
					} `json:"rules"`
				} `json:"groups"`
			} `json:"data"`
		}
		if err := getJSON(ctx, hc, promURL+"/api/v1/rules?type=alert", &rules); err != nil {
			d.Prometheus.Error = err.Error()
		} else {
			d.Prometheus.Reachable = true
			for _, g := range rules.Data.Groups {
				for _, r := range g.Rules {
					if r.Labels["model"] != model && !strings.Contains(r.Query, strconv.Quote(model)) {
						continue
					}
					d.Rules = append(d.Rules, ruleState{Name: r.Name, State: r.State, Health: r.Health, Error: r.LastError})
				}
			}
		}
	}
	if amURL == "" {
		return d
	}
	var alerts []struct {
		Labels   map[string]string `json:"labels"`
		StartsAt time.Time         `json:"startsAt"`
		Status   struct {
			State       string   `json:"state"`
			InhibitedBy []string `json:"inhibitedBy"`
			SilencedBy  []string `json:"silencedBy"`
		} `json:"status"`
	}
	filter := url.QueryEscape(fmt.Sprintf("model=%q", model))
	if err := getJSON(ctx, hc, amURL+"/api/v2/alerts?filter="+filter, &alerts); err != nil {
		d.Alertmanager.Error = err.Error()
		return d
	}
	d.Alertmanager.Reachable = true
	for _, a := range alerts {
		d.Alerts = append(d.Alerts, amAlert{Name: a.Labels["alertname"], State: a.Status.State,
			InhibitedBy: a.Status.InhibitedBy, SilencedBy: a.Status.SilencedBy, Since: a.StartsAt.UTC().Format(time.RFC3339)})
	}
	slices.SortFunc(d.Alerts, func(a, b amAlert) int { return strings.Compare(a.Name, b.Name) })
	if body, err := getBody(ctx, hc, amURL+"/metrics"); err == nil {
		d.Notifications = notificationCounts(body)
	}
	var st struct {
		Config struct {
			Original string `json:"original"`
		} `json:"config"`
	}
	if err := getJSON(ctx, hc, amURL+"/api/v2/status", &st); err == nil {
		for _, w := range modelWebhooks(st.Config.Original, model) {
			d.Webhooks = append(d.Webhooks, dialWebhook(ctx, w))
		}
	}
	return d
}

func getBody(ctx context.Context, hc *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("not reachable: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s answered %s", u, resp.Status)
	}
	return b, nil
}

func getJSON(ctx context.Context, hc *http.Client, u string, v any) error {
	b, err := getBody(ctx, hc, u)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: not the expected JSON: %w", u, err)
	}
	return nil
}

// notificationCounts reads Alertmanager's delivery counters from its
// exposition text.
func notificationCounts(body []byte) []integrationCount {
	by := map[string]*integrationCount{}
	var names []string
	for _, line := range strings.Split(string(body), "\n") {
		var field func(*integrationCount) *int64
		switch {
		case strings.HasPrefix(line, "alertmanager_notifications_total{"):
			field = func(c *integrationCount) *int64 { return &c.Sent }
		case strings.HasPrefix(line, "alertmanager_notifications_failed_total{"):
			field = func(c *integrationCount) *int64 { return &c.Failed }
		case strings.HasPrefix(line, "alertmanager_notification_requests_total{"):
			field = func(c *integrationCount) *int64 { return &c.Attempts }
		case strings.HasPrefix(line, "alertmanager_notification_requests_failed_total{"):
			field = func(c *integrationCount) *int64 { return &c.FailedAttempts }
		default:
			continue
		}
		_, rest, _ := strings.Cut(line, `integration="`)
		integ, _, ok := strings.Cut(rest, `"`)
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if !ok || err != nil || v == 0 {
			continue
		}
		c := by[integ]
		if c == nil {
			c = &integrationCount{Integration: integ}
			by[integ] = c
			names = append(names, integ)
		}
		*field(c) += int64(v)
	}
	slices.Sort(names)
	out := make([]integrationCount, 0, len(names))
	for _, n := range names {
		out = append(out, *by[n])
	}
	return out
}

// modelWebhooks finds the model's own webhook receivers
// (`webhook-<model>`, as `mlpipe alerts render` names them) in
// Alertmanager's running config.
func modelWebhooks(config, model string) []webhookState {
	var cfg struct {
		Receivers []struct {
			Name     string `yaml:"name"`
			Webhooks []struct {
				URL string `yaml:"url"`
			} `yaml:"webhook_configs"`
		} `yaml:"receivers"`
	}
	if err := yaml.Unmarshal([]byte(config), &cfg); err != nil {
		return nil
	}
	var out []webhookState
	for _, r := range cfg.Receivers {
		if r.Name != "webhook-"+model {
			continue
		}
		for _, w := range r.Webhooks {
			out = append(out, webhookState{Receiver: r.Name, URL: w.URL})
		}
	}
	return out
}

// dialWebhook says whether the webhook's host accepts connections. It does
// not post: a probe must not reach a user's pager.
func dialWebhook(ctx context.Context, w webhookState) webhookState {
	u, err := url.Parse(w.URL)
	if err != nil || u.Host == "" {
		w.Error = "not a URL"
		return w
	}
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	dctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", host)
	if err != nil {
		w.Error = err.Error()
		return w
	}
	_ = conn.Close()
	w.Reachable = true
	return w
}

// print writes the delivery part of `mlpipe alerts status`.
func (d deliveryStatus) print(w io.Writer) {
	endpoint := func(name string, e endpointState, down string) {
		switch {
		case e.URL == "":
		case e.Reachable:
			fmt.Fprintf(w, "%s %s: up\n", name, e.URL)
		default:
			fmt.Fprintf(w, "%s %s: %s; %s\n", name, e.URL, e.Error, down)
		}
	}
	endpoint("prometheus", d.Prometheus, "alert rules are not evaluated")
	for _, r := range d.Rules {
		line := fmt.Sprintf("  rule %s: %s, %s", r.Name, r.State, r.Health)
		if r.Error != "" {
			line += ": " + r.Error
		}
		fmt.Fprintln(w, line)
	}
	endpoint("alertmanager", d.Alertmanager, "alerts are not delivered")
	for _, a := range d.Alerts {
		line := fmt.Sprintf("  alert %s: %s since %s", a.Name, a.State, a.Since)
		if len(a.InhibitedBy) > 0 {
			line += " (inhibited)"
		}
		if len(a.SilencedBy) > 0 {
			line += " (silenced)"
		}
		fmt.Fprintln(w, line)
	}
	for _, n := range d.Notifications {
		fmt.Fprintf(w, "  notifications via %s: %d sent, %d failed; %d attempts, %d failed (all receivers)\n",
			n.Integration, n.Sent, n.Failed, n.Attempts, n.FailedAttempts)
	}
	for _, wh := range d.Webhooks {
		if wh.Reachable {
			fmt.Fprintf(w, "  webhook %s: reachable\n", wh.URL)
		} else {
			fmt.Fprintf(w, "  webhook %s: DOWN (%s); Alertmanager retries it with backoff\n", wh.URL, wh.Error)
		}
	}
}

// envOr is the environment variable's value, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}
