package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/rollout"
	"github.com/mlpipe/mlpipe/internal/routing"
)

// SetRoutingInput is a traffic split to apply on the gateway.
type SetRoutingInput struct {
	GatewayURL string          `json:"gateway_url"`
	Routing    routing.Routing `json:"routing"`
}

// SetRoutingResult is the routing the gateway stored.
type SetRoutingResult struct {
	Routing routing.Routing `json:"routing"`
}

// AnalyzeRolloutInput asks for one comparison of candidate and production.
type AnalyzeRolloutInput struct {
	GatewayURL string           `json:"gateway_url"`
	Model      string           `json:"model"`
	Mode       string           `json:"mode"`
	Criteria   rollout.Criteria `json:"criteria"`
}

// AnalyzeRolloutResult is the verdict and the counters it was drawn from.
type AnalyzeRolloutResult struct {
	Analysis rollout.Analysis `json:"analysis"`
	Stats    routing.Stats    `json:"stats"`
	// Source is where Stats came from (rollout.SourceInferenceLog or
	// rollout.SourceGateway); Replicas are the replicas whose logs held
	// the epoch's requests; Until is where the log's window ended (now
	// less RolloutLogSettle), zero for the gateway's counters.
	Source   string    `json:"source"`
	Replicas []string  `json:"replicas,omitempty"`
	Until    time.Time `json:"until,omitzero"`
}

// FinishRolloutInput ends a rollout: promote the candidate, or take it
// out of the traffic and record why.
type FinishRolloutInput struct {
	Model      string    `json:"model"`
	Version    int       `json:"version"`
	WorkflowID string    `json:"workflow_id"`
	GatewayURL string    `json:"gateway_url"`
	Reason     string    `json:"reason"`
	Approval   *Approval `json:"approval,omitempty"`
	// NeverRouted says the gateway acknowledged no split of this rollout,
	// so its routing cannot hold the candidate: RollbackCandidate still
	// clears it (a request cut short may have landed) but does not fail
	// when the gateway cannot be reached.
	NeverRouted bool `json:"never_routed,omitempty"`
}

// FinishRolloutResult says what the registry and gateway now hold.
type FinishRolloutResult struct {
	Version int    `json:"version"`
	Alias   string `json:"alias,omitempty"`
	// GatewayNotTold is why the gateway could not be told (NeverRouted
	// only); empty when it acknowledged the change.
	GatewayNotTold string `json:"gateway_not_told,omitempty"`
}

// Failure types of gateway calls.
const (
	// ErrGatewayRefused: the gateway answered 4xx (a wrong admin token, a
	// URL that is not an mlpipe gateway, a routing it cannot serve).
	// Retrying cannot help.
	ErrGatewayRefused = "GatewayRefused"
	// ErrGatewayUnreachable: no answer, or a 5xx. Retried, within the
	// rollout's bound.
	ErrGatewayUnreachable = "GatewayUnreachable"
)

func (a *Activities) gateway(url string) routing.Client {
	return routing.Client{BaseURL: url, Token: a.AdminToken, HTTP: a.HTTP}
}

// SetRouting applies a traffic split through the gateway's admin API.
func (a *Activities) SetRouting(ctx context.Context, in SetRoutingInput) (SetRoutingResult, error) {
	if err := in.Routing.Validate(); err != nil {
		return SetRoutingResult{}, invalid("%v", err)
	}
	r, err := a.gateway(in.GatewayURL).SetRouting(ctx, in.Routing)
	if err != nil {
		return SetRoutingResult{}, gatewayErr(in.GatewayURL, in.Routing.Model, err)
	}
	return SetRoutingResult{Routing: r}, nil
}

// AnalyzeRollout compares candidate with production over the routing
// epoch (since the split last changed). It asks the gateway the rollout
// steers for its routing and counters; when that gateway writes the
// durable inference log (mlpipe serve does by default), the figures come
// from the logs of every replica instead (see rolloutFromLog), so that
// every replica's share of the traffic, and feedback sent to any replica,
// counts. Without a log, the gateway's own counters are analysed, and the
// analysis says so with a warning.
func (a *Activities) AnalyzeRollout(ctx context.Context, in AnalyzeRolloutInput) (AnalyzeRolloutResult, error) {
	st, err := a.gateway(in.GatewayURL).Stats(ctx, in.Model)
	if err != nil {
		return AnalyzeRolloutResult{}, gatewayErr(in.GatewayURL, in.Model, err)
	}
	res := AnalyzeRolloutResult{Stats: st, Source: rollout.SourceGateway}
	prov := rollout.Provenance{Source: rollout.SourceGateway}
	switch logs, err := a.gatewayLogs(ctx, in.GatewayURL); {
	case err != nil:
		prov.Warning = fmt.Sprintf("could not tell whether the gateway writes the inference log (%v), so only its own share of the traffic is analysed", err)
	case !logs:
		prov.Warning = "the gateway writes no inference log (mlpipe serve --inference-log=false), so only its own share of the traffic is analysed, and a restart loses it; run every replica with the log on"
	case st.Routing.UpdatedAt.IsZero():
		prov.Warning = "the gateway's routing has no start time, so the inference log cannot be read for this epoch"
	default:
		if res, err = a.rolloutFromLog(ctx, st); err != nil {
			return AnalyzeRolloutResult{}, err
		}
		prov = rollout.Provenance{Source: rollout.SourceInferenceLog, Replicas: res.Replicas}
		if gw, logged := requests(st), requests(res.Stats); logged == 0 && gw > 0 {
			prov.Warning = fmt.Sprintf("the inference log holds no request of %s since %s while the gateway counted %d: "+
				"check that the workers and the gateways share one artifact store (MLPIPE_ARTIFACTS)",
				in.Model, st.Routing.UpdatedAt.UTC().Format(time.RFC3339), gw)
		}
	}
	if in.Mode == routing.ModeShadow {
		res.Analysis = rollout.AnalyzeShadow(res.Stats, in.Criteria)
	} else {
		res.Analysis = rollout.AnalyzeCanary(res.Stats, in.Criteria)
	}
	res.Analysis = res.Analysis.From(prov)
	if prov.Warning != "" {
		activity.GetLogger(ctx).Warn("rollout analysis", "model", in.Model, "source", prov.Source, "warning", prov.Warning)
	}
	return res, nil
}

// RolloutLogSettle is how far behind now an analysis of the inference log
// stops. Every replica publishes its log each second
// (inferlog.DefaultFlushInterval), and publishing takes a moment, so the
// last seconds may sit in one replica's memory while another's are in the
// store; counting them would weigh replicas, and so variants, unevenly.
// Three flush intervals leave room for a slow store; the requests of those
// seconds count in the next analysis.
const RolloutLogSettle = 3 * inferlog.DefaultFlushInterval

// rolloutFromLog counts the epoch of st's routing from the inference and
// feedback logs of every replica: requests made since the routing was
// stored until RolloutLogSettle ago, and every label received until now.
func (a *Activities) rolloutFromLog(ctx context.Context, st routing.Stats) (AnalyzeRolloutResult, error) {
	now := time.Now().UTC()
	until := now.Add(-RolloutLogSettle)
	positive, err := a.positiveLabels(ctx, st)
	if err != nil {
		return AnalyzeRolloutResult{}, err
	}
	eng, err := dataplane.Open(dataplane.Options{})
	if err != nil {
		return AnalyzeRolloutResult{}, fmt.Errorf("analyse the rollout of %s: %w", st.Model, err)
	}
	defer eng.Close()
	activity.RecordHeartbeat(ctx, "reading the inference log")
	counts, err := inferlog.RolloutStats(ctx, a.Store, eng, inferlog.RolloutQuery{Routing: st.Routing, To: until, FeedbackTo: now, Positive: positive})
	if err != nil {
		return AnalyzeRolloutResult{}, fmt.Errorf("read the inference log of %s since %s: %w", st.Model, st.Routing.UpdatedAt.UTC().Format(time.RFC3339), err)
	}
	for _, f := range counts.Skipped {
		activity.GetLogger(ctx).Warn("skipped an unreadable log batch", "file", f)
	}
	// A variant with no logged request yet still has a version.
	for i := range counts.Stats.Variants {
		if v := &counts.Stats.Variants[i]; v.Version == 0 {
			v.Version = st.Variant(v.Variant).Version
		}
	}
	return AnalyzeRolloutResult{Stats: counts.Stats, Source: rollout.SourceInferenceLog, Replicas: counts.Replicas, Until: until}, nil
}

// positiveLabels are the positive labels of the binary versions in st, as
// the registry recorded them; a version without one is judged by its
// probabilities.
func (a *Activities) positiveLabels(ctx context.Context, st routing.Stats) (map[int]string, error) {
	out := map[int]string{}
	for _, vs := range st.Variants {
		if vs.Version == 0 || out[vs.Version] != "" {
			continue
		}
		v, err := a.Registry.Get(ctx, st.Model, vs.Version)
		if errors.Is(err, registry.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, registryErr(err, "read %s version %d", st.Model, vs.Version)
		}
		out[vs.Version] = v.Positive
	}
	return out, nil
}

// gatewayLogs asks a gateway whether it writes the durable inference log:
// its /healthz names the log's replica when it does.
func (a *Activities) gatewayLogs(ctx context.Context, base string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/healthz", nil)
	if err != nil {
		return false, err
	}
	hc := a.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("GET /healthz answered %s", resp.Status)
	}
	var h struct {
		InferenceLog *struct {
			Replica string `json:"replica"`
		} `json:"inference_log"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&h); err != nil {
		return false, fmt.Errorf("GET /healthz: %w", err)
	}
	return h.InferenceLog != nil, nil
}

// requests is the requests counted over every variant.
func requests(st routing.Stats) int64 {
	var n int64
	for _, v := range st.Variants {
		n += v.Requests
	}
	return n
}

// PromoteCandidate makes the candidate the production version and sends
// all traffic to it: the registry moves first, then the routing is cleared,
// so at no moment does traffic go to a version that is not production or
// the candidate.
func (a *Activities) PromoteCandidate(ctx context.Context, in FinishRolloutInput) (FinishRolloutResult, error) {
	if in.Approval != nil {
		if _, err := a.Registry.RecordApproval(ctx, in.Model, in.Version, registryApproval(*in.Approval)); err != nil {
			return FinishRolloutResult{}, registryErr(err, "record the approval of %s version %d", in.Model, in.Version)
		}
	}
	aliases, err := a.Registry.Aliases(ctx, in.Model)
	if err != nil {
		return FinishRolloutResult{}, registryErr(err, "read the aliases of %s", in.Model)
	}
	if aliases[registry.AliasProduction] != in.Version {
		if err := a.Registry.Promote(ctx, in.Model, in.Version, registry.Workflow(in.WorkflowID), registry.Reason(in.Reason)); err != nil {
			return FinishRolloutResult{}, registryErr(err, "promote %s version %d", in.Model, in.Version)
		}
	}
	gw := a.gateway(in.GatewayURL)
	if err := gw.Reload(ctx); err != nil {
		return FinishRolloutResult{}, gatewayErr(in.GatewayURL, in.Model, err)
	}
	if _, err := gw.SetRouting(ctx, routing.Routing{Model: in.Model, Reason: "promoted: " + in.Reason}); err != nil {
		return FinishRolloutResult{}, gatewayErr(in.GatewayURL, in.Model, err)
	}
	if err := a.ensureMonitor(ctx, in.Model, in.GatewayURL); err != nil {
		return FinishRolloutResult{}, err
	}
	activity.GetLogger(ctx).Info("candidate promoted", "model", in.Model, "version", in.Version)
	return FinishRolloutResult{Version: in.Version, Alias: registry.AliasProduction}, nil
}

// RollbackCandidate records on the version why it was refused and moves
// the candidate alias off it, then takes it out of the gateway's traffic.
// Production never changed, so nothing else needs undoing. The registry
// goes first: it is what a restarted gateway serves from, and it must say
// the candidate is refused even when the gateway cannot be told.
func (a *Activities) RollbackCandidate(ctx context.Context, in FinishRolloutInput) (FinishRolloutResult, error) {
	ap := Approval{Decision: registry.DecisionRejected, Approver: "rollout", Comment: in.Reason, At: time.Now().UTC(), Via: "rollout"}
	if in.Approval != nil {
		ap.Comment = fmt.Sprintf("approved by %s, then %s", in.Approval.Approver, in.Reason)
	}
	rej := RejectCandidateInput{Model: in.Model, Version: in.Version, Approval: ap}
	if _, err := a.rejectCandidate(ctx, rej); err != nil {
		return FinishRolloutResult{}, err
	}
	res := FinishRolloutResult{Version: in.Version}
	if _, err := a.gateway(in.GatewayURL).SetRouting(ctx, routing.Routing{Model: in.Model, Reason: "rolled back: " + in.Reason}); err != nil {
		err = gatewayErr(in.GatewayURL, in.Model, err)
		if !in.NeverRouted {
			return FinishRolloutResult{}, err
		}
		// The gateway never acknowledged a split, so it serves production
		// only: waiting for it would hold the rollout open for nothing.
		res.GatewayNotTold = failureText(err)
		activity.GetLogger(ctx).Warn("gateway not told of the rollback; it never routed to the candidate", "gateway", in.GatewayURL, "error", err)
	}
	return res, nil
}

// gatewayErr says what a failed gateway call means for the rollout. A 4xx
// is non-retryable and names what to fix (the admin token, the URL); no
// answer or a 5xx is retried within the rollout's bound.
func gatewayErr(base, model string, err error) error {
	var se *routing.StatusError
	if errors.As(err, &se) {
		switch {
		case se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden:
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
				"gateway at %s refused the admin token (%d %s): set MLPIPE_ADMIN_TOKEN on the workers to the token the gateway runs with",
				base, se.Code, http.StatusText(se.Code)), ErrGatewayRefused, nil)
		case se.Code == http.StatusNotFound:
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
				"gateway at %s answered 404 Not Found to %s %s (%s): check that deployment.gateway_url names the mlpipe gateway (mlpipe serve) and that it serves %s",
				base, se.Method, se.URL, se.Body, model), ErrGatewayRefused, nil)
		case se.Code == http.StatusRequestTimeout || se.Code == http.StatusTooManyRequests:
			return temporal.NewApplicationError(fmt.Sprintf("gateway at %s is busy: %v", base, err), ErrGatewayUnreachable)
		case se.Code/100 == 4:
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf("gateway at %s refused: %v", base, err), ErrGatewayRefused, nil)
		}
		return temporal.NewApplicationError(fmt.Sprintf("gateway at %s failed: %v", base, err), ErrGatewayUnreachable)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return temporal.NewApplicationError(fmt.Sprintf(
		"gateway at %s unreachable: %v; check deployment.gateway_url and that the gateway (mlpipe serve) runs there", base, err), ErrGatewayUnreachable)
}

// failureText is an error's message without the SDK's decoration.
func failureText(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return strings.TrimSpace(err.Error())
}
