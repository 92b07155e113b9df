package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Notification is Alertmanager's webhook payload (version 4).
type Notification struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []AlertPayload    `json:"alerts"`
}

// AlertPayload is one alert of a notification.
type AlertPayload struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Delivery is what the receiver hands on for one alert of one model.
type Delivery struct {
	Model    string
	Cooldown time.Duration
	Alert    AlertPayload
}

// Sink takes one alert to the model's loop. An error is answered 503, so
// Alertmanager sends the notification again.
type Sink func(ctx context.Context, d Delivery) error

// maxNotification bounds a webhook body; Alertmanager's are far smaller.
const maxNotification = 4 << 20

// Receiver serves Alertmanager's webhook: it logs every alert and hands
// each one that names a model to the sink.
func Receiver(sink Sink, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST Alertmanager's webhook JSON here", http.StatusMethodNotAllowed)
			return
		}
		var n Notification
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxNotification))
		if err := dec.Decode(&n); err != nil {
			http.Error(w, "not an Alertmanager webhook notification: "+err.Error(), http.StatusBadRequest)
			return
		}
		var errs []error
		for _, a := range n.Alerts {
			model := a.Labels["model"]
			log.Info("alert", "alert", a.Labels["alertname"], "status", a.Status, "model", model,
				"severity", a.Labels["severity"], "action", a.Labels["action"], "summary", a.Annotations["summary"],
				"starts_at", a.StartsAt, "fingerprint", a.Fingerprint)
			if model == "" {
				continue // not about a model: logged only
			}
			cd := DefaultCooldown
			if v := a.Labels["cooldown"]; v != "" {
				cd = v
			}
			cooldown, err := parseDuration(cd)
			if err != nil {
				errs = append(errs, fmt.Errorf("alert %s: label cooldown: %w", a.Labels["alertname"], err))
				continue
			}
			a.Labels = validLabels(a.Labels)
			a.Annotations = validLabels(a.Annotations)
			if err := sink(r.Context(), Delivery{Model: model, Cooldown: cooldown, Alert: a}); err != nil {
				log.Error("alert not delivered to the model's loop", "model", model, "alert", a.Labels["alertname"], "error", err)
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// validLabels keeps every string that crosses Temporal valid UTF-8.
func validLabels(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToValidUTF8(k, "\uFFFD")] = strings.ToValidUTF8(v, "\uFFFD")
	}
	return out
}
