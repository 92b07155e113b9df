package serving

import (
	"net/http"
	"time"

	"github.com/mlpipe/mlpipe/internal/inferlog"
)

// logFailure writes a request that a variant failed (a 5xx) to the durable
// log, with its status and no predictions, so that a rollout analysed from
// the logs of every replica counts the variant's errors wherever they
// happened. A request shed with 503 says nothing about either version and
// is left out, as the rollout counters leave it out.
func (g *Gateway) logFailure(model string, v *variant, requestID string, code int, start time.Time) {
	if g.ilog == nil || v == nil || code < 500 || code == http.StatusServiceUnavailable {
		return
	}
	now := time.Now()
	g.ilog.LogPredictions(&inferlog.Predictions{RequestID: requestID, Time: now, Model: model, Version: v.version.Version, Variant: v.name,
		Answers: predictionList(nil), Latency: now.Sub(start), Status: code})
}
