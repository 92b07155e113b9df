package activities_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/routing"
)

func deployInput(t *testing.T, acts *activities.Activities, wf string) activities.DeployModelInput {
	t.Helper()
	ref, err := artifact.PutBytes(context.Background(), acts.Store, "models/churn-classifier/"+wf+"/bundle.json",
		[]byte(`{"format":"mlpipe.model.v1","name":"`+wf+`"}`), "application/json")
	require.NoError(t, err)
	return activities.DeployModelInput{
		Model: "churn-classifier", WorkflowID: wf,
		Trained: activities.TrainedModel{Bundle: ref, Config: exampleConfig(),
			Features: activities.FeatureSet{DataDigest: "abc123"}},
		Evaluation: activities.Evaluation{Metrics: map[string]float64{"f1": 0.87}},
		Approval: activities.Approval{Decision: registry.DecisionApproved, Approver: "alice", Comment: "looks good",
			At: time.Date(2025, 3, 2, 9, 0, 0, 0, time.UTC), Via: "update"},
	}
}

func TestDeployModelRegistersAndPromotes(t *testing.T) {
	acts, _ := newActs(t)
	ctx := context.Background()
	in := deployInput(t, acts, "wf-1")

	res, err := execute[activities.DeployModelResult](t, acts, acts.DeployModel, in)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Version)
	assert.Equal(t, registry.AliasProduction, res.Alias)
	assert.False(t, res.Reloaded, "no gateway configured")

	prod, ok, err := acts.Registry.Alias(ctx, "churn-classifier", registry.AliasProduction)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 1, prod.Version)
	assert.Equal(t, in.Trained.Bundle, prod.Model)
	assert.Equal(t, map[string]float64{"f1": 0.87}, prod.Metrics)
	assert.Equal(t, "abc123", prod.DataDigest)
	assert.Equal(t, "wf-1", prod.WorkflowID)
	assert.Equal(t, 40.0, prod.Params["epochs"])
	require.NotNil(t, prod.Approval)
	assert.Equal(t, registry.Approval{Approver: "alice", Comment: "looks good", Decision: registry.DecisionApproved,
		At: time.Date(2025, 3, 2, 9, 0, 0, 0, time.UTC)}, *prod.Approval)

	// A retried attempt of the same workflow finds its version.
	again, err := execute[activities.DeployModelResult](t, acts, acts.DeployModel, in)
	require.NoError(t, err)
	assert.Equal(t, 1, again.Version)
	vs, err := acts.Registry.List(ctx, "churn-classifier")
	require.NoError(t, err)
	assert.Len(t, vs, 1, "a retry registers nothing new")

	// The next pipeline run is a new version and the new production.
	next, err := execute[activities.DeployModelResult](t, acts, acts.DeployModel, deployInput(t, acts, "wf-2"))
	require.NoError(t, err)
	assert.Equal(t, 2, next.Version)
	prod, _, err = acts.Registry.Alias(ctx, "churn-classifier", registry.AliasProduction)
	require.NoError(t, err)
	assert.Equal(t, 2, prod.Version)
}

func TestDeployModelReloadsGateway(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	status := http.StatusOK
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		w.WriteHeader(status)
	}))
	defer gw.Close()
	acts, _ := newActs(t)
	acts.AdminToken = "s3cret"
	in := deployInput(t, acts, "wf-1")
	in.GatewayURL = gw.URL + "/"

	res, err := execute[activities.DeployModelResult](t, acts, acts.DeployModel, in)
	require.NoError(t, err)
	assert.True(t, res.Reloaded)
	assert.Equal(t, []string{"POST /admin/reload Bearer s3cret"}, calls)

	// A gateway that fails to reload does not fail the deployment: it
	// polls the registry too.
	mu.Lock()
	status = http.StatusInternalServerError
	mu.Unlock()
	res, err = execute[activities.DeployModelResult](t, acts, acts.DeployModel, in)
	require.NoError(t, err)
	assert.False(t, res.Reloaded)
	assert.Equal(t, 1, res.Version)
	assert.Len(t, calls, 2)
}

func TestCandidateIsRegisteredThenRejectedOnRecord(t *testing.T) {
	acts, _ := newActs(t)
	ctx := context.Background()
	in := deployInput(t, acts, "wf-1")
	in.Evaluation.HTML = artifact.Ref{URI: "file:///reports/r.html"}
	reg := activities.RegisterCandidateInput{Model: in.Model, WorkflowID: in.WorkflowID, Trained: in.Trained, Evaluation: in.Evaluation}

	c, err := execute[activities.RegisterCandidateResult](t, acts, acts.RegisterCandidate, reg)
	require.NoError(t, err)
	assert.Equal(t, 1, c.Version)
	again, err := execute[activities.RegisterCandidateResult](t, acts, acts.RegisterCandidate, reg)
	require.NoError(t, err)
	assert.Equal(t, 1, again.Version, "a retry finds its version")
	aliases, err := acts.Registry.Aliases(ctx, "churn-classifier")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{registry.AliasCandidate: 1}, aliases)
	v, err := acts.Registry.Get(ctx, "churn-classifier", 1)
	require.NoError(t, err)
	assert.Equal(t, "file:///reports/r.html", v.ReportURI, "lineage names the report")
	assert.Nil(t, v.Approval, "nobody has decided yet")

	no := activities.Approval{Decision: registry.DecisionRejected, Approver: "bob", Comment: "slice age<30 regressed",
		At: time.Date(2025, 3, 2, 9, 0, 0, 0, time.UTC), Via: "signal"}
	_, err = execute[activities.RejectCandidateResult](t, acts, acts.RejectCandidate, activities.RejectCandidateInput{Model: in.Model, Version: 1, Approval: no})
	require.NoError(t, err)
	v, err = acts.Registry.Get(ctx, "churn-classifier", 1)
	require.NoError(t, err)
	require.NotNil(t, v.Approval)
	assert.Equal(t, "bob", v.Approval.Approver)
	assert.Equal(t, registry.DecisionRejected, v.Approval.Decision)
	assert.Equal(t, "slice age<30 regressed", v.Approval.Comment)
	aliases, err = acts.Registry.Aliases(ctx, "churn-classifier")
	require.NoError(t, err)
	assert.Empty(t, aliases, "a rejected model is no longer the candidate, and nothing went to production")
}

func TestDeployPromotesTheRegisteredCandidate(t *testing.T) {
	acts, _ := newActs(t)
	ctx := context.Background()
	in := deployInput(t, acts, "wf-1")
	c, err := execute[activities.RegisterCandidateResult](t, acts, acts.RegisterCandidate,
		activities.RegisterCandidateInput{Model: in.Model, WorkflowID: in.WorkflowID, Trained: in.Trained, Evaluation: in.Evaluation})
	require.NoError(t, err)
	in.Version = c.Version
	res, err := execute[activities.DeployModelResult](t, acts, acts.DeployModel, in)
	require.NoError(t, err)
	assert.Equal(t, c.Version, res.Version)
	aliases, err := acts.Registry.Aliases(ctx, "churn-classifier")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{registry.AliasProduction: 1}, aliases, "promotion clears the candidate alias")
	hist, err := acts.Registry.History(ctx, "churn-classifier")
	require.NoError(t, err)
	require.NotEmpty(t, hist)
	last := hist[len(hist)-1]
	assert.Equal(t, "alice", last.Actor, "the audit trail names who promoted")
	assert.Equal(t, "wf-1", last.WorkflowID)
}

// registerCandidate registers wf's model as the candidate and returns its version.
func registerCandidate(t *testing.T, acts *activities.Activities, wf string) (activities.DeployModelInput, int) {
	t.Helper()
	in := deployInput(t, acts, wf)
	c, err := execute[activities.RegisterCandidateResult](t, acts, acts.RegisterCandidate,
		activities.RegisterCandidateInput{Model: in.Model, WorkflowID: in.WorkflowID, Trained: in.Trained, Evaluation: in.Evaluation})
	require.NoError(t, err)
	return in, c.Version
}

// A refusal by the registry cannot heal: it is a non-retryable failure
// that says what to fix, not five identical attempts.
func TestRegistryRefusalsAreNotRetried(t *testing.T) {
	acts, _ := newActs(t)
	in, version := registerCandidate(t, acts, "wf-1")

	// A decision with nobody named (what the gate's timeout sent).
	_, err := execute[activities.RejectCandidateResult](t, acts, acts.RejectCandidate, activities.RejectCandidateInput{
		Model: in.Model, Version: version,
		Approval: activities.Approval{Decision: registry.DecisionRejected, Comment: "nobody approved within 5s", Via: "timeout"}})
	ae := appError(t, err, activities.ErrRegistryRefused)
	assert.Contains(t, ae.Error(), "approver is empty: name who decided")

	// A version that does not exist.
	_, err = execute[activities.RejectCandidateResult](t, acts, acts.RejectCandidate, activities.RejectCandidateInput{
		Model: in.Model, Version: 42, Approval: activities.Approval{Decision: registry.DecisionRejected, Approver: "bob"}})
	ae = appError(t, err, activities.ErrRegistryRefused)
	assert.Contains(t, ae.Error(), "churn-classifier has no version 42")

	deploy := in
	deploy.Version = 42
	_, err = execute[activities.DeployModelResult](t, acts, acts.DeployModel, deploy)
	_ = appError(t, err, activities.ErrRegistryRefused)

	deploy = in
	deploy.Approval.Approver = ""
	_, err = execute[activities.DeployModelResult](t, acts, acts.DeployModel, deploy)
	_ = appError(t, err, activities.ErrRegistryRefused)

	bad := activities.RegisterCandidateInput{Model: "../churn", WorkflowID: "wf-2", Trained: in.Trained, Evaluation: in.Evaluation}
	_, err = execute[activities.RegisterCandidateResult](t, acts, acts.RegisterCandidate, bad)
	ae = appError(t, err, activities.ErrRegistryRefused)
	assert.Contains(t, ae.Error(), `model name "../churn" is invalid`)

	_, err = execute[activities.FinishRolloutResult](t, acts, acts.PromoteCandidate, activities.FinishRolloutInput{
		Model: in.Model, Version: 42, Reason: "canary passed"})
	_ = appError(t, err, activities.ErrRegistryRefused)
}

// The gate's timeout is recorded like a rejection: who (the approval
// timeout), when and why on the version, and the candidate alias is gone.
func TestATimedOutGateIsRecordedOnTheCandidate(t *testing.T) {
	acts, _ := newActs(t)
	ctx := context.Background()
	in, version := registerCandidate(t, acts, "wf-1")
	at := time.Date(2025, 3, 5, 9, 0, 0, 0, time.UTC)
	_, err := execute[activities.RejectCandidateResult](t, acts, acts.RejectCandidate, activities.RejectCandidateInput{
		Model: in.Model, Version: version, Approval: activities.Approval{Decision: registry.DecisionRejected,
			Approver: "approval timeout", Comment: "nobody approved within 72h0m0s", At: at, Via: "timeout"}})
	require.NoError(t, err)
	v, err := acts.Registry.Get(ctx, in.Model, version)
	require.NoError(t, err)
	require.NotNil(t, v.Approval)
	assert.Equal(t, registry.Approval{Approver: "approval timeout", Comment: "nobody approved within 72h0m0s",
		Decision: registry.DecisionRejected, At: at}, *v.Approval)
	aliases, err := acts.Registry.Aliases(ctx, in.Model)
	require.NoError(t, err)
	assert.Empty(t, aliases)
	hist, err := acts.Registry.History(ctx, in.Model)
	require.NoError(t, err)
	last := hist[len(hist)-1]
	assert.Equal(t, "approval timeout", last.Actor)
	assert.Equal(t, "promotion rejected: nobody approved within 72h0m0s", last.Reason)
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}

// A gateway that refuses is not retried and the message names what to
// fix; one that does not answer, or fails, is retried within the bound.
func TestGatewayFailuresSayWhatToFix(t *testing.T) {
	acts, _ := newActs(t)
	acts.AdminToken = "wrong"
	route := activities.SetRoutingInput{Routing: routing.Routing{Model: "churn-classifier", Mode: routing.ModeCanary, Candidate: 2, Weight: 5}}
	for _, c := range []struct {
		code      int
		body      string
		typ       string
		retryable bool
		says      []string
	}{
		{http.StatusUnauthorized, "missing or wrong bearer token", activities.ErrGatewayRefused, false, []string{"refused the admin token (401 Unauthorized)", "MLPIPE_ADMIN_TOKEN"}},
		{http.StatusForbidden, "no", activities.ErrGatewayRefused, false, []string{"(403 Forbidden)", "MLPIPE_ADMIN_TOKEN"}},
		{http.StatusNotFound, "404 page not found", activities.ErrGatewayRefused, false, []string{"answered 404 Not Found to PUT", "deployment.gateway_url", "serves churn-classifier"}},
		{http.StatusBadRequest, "candidate 2: model churn-classifier has no version 2", activities.ErrGatewayRefused, false, []string{"has no version 2"}},
		{http.StatusServiceUnavailable, "\xffnot ready", activities.ErrGatewayUnreachable, true, []string{"503", "not ready"}},
	} {
		gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, c.body, c.code) }))
		route.GatewayURL = gw.URL
		_, err := execute[activities.SetRoutingResult](t, acts, acts.SetRouting, route)
		gw.Close()
		require.Error(t, err, c.code)
		var ae *temporal.ApplicationError
		require.True(t, errors.As(err, &ae), "%d: %T %v", c.code, err, err)
		assert.Equal(t, c.typ, ae.Type(), c.code)
		assert.Equal(t, c.retryable, !ae.NonRetryable(), c.code)
		for _, s := range c.says {
			assert.Contains(t, ae.Message(), s, c.code)
		}
		assert.True(t, utf8.ValidString(ae.Message()), "crosses Temporal: must be UTF-8")
		assert.Contains(t, ae.Message(), gw.URL, "names the gateway")
	}

	route.GatewayURL = closedPort(t)
	_, err := execute[activities.SetRoutingResult](t, acts, acts.SetRouting, route)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, activities.ErrGatewayUnreachable, ae.Type())
	assert.False(t, ae.NonRetryable(), "a gateway restarting is worth another try")
	assert.Contains(t, ae.Message(), "gateway at "+route.GatewayURL+" unreachable")
	assert.Contains(t, ae.Message(), "connection refused")
	assert.Equal(t, 1, strings.Count(ae.Message(), route.GatewayURL+"/admin"), "the URL is said once: %s", ae.Message())
}

// A rollback records the refusal in the registry first, so the registry is
// right even when the gateway cannot be told; a gateway that never held a
// split does not hold the rollback up.
func TestRollbackRecordsTheRefusalEvenWithTheGatewayDown(t *testing.T) {
	acts, _ := newActs(t)
	ctx := context.Background()
	in, version := registerCandidate(t, acts, "wf-1")
	gone := closedPort(t)
	finish := activities.FinishRolloutInput{Model: in.Model, Version: version, WorkflowID: "wf-1-canary", GatewayURL: gone,
		Reason: "aborted by bob: gateway is gone"}

	_, err := execute[activities.FinishRolloutResult](t, acts, acts.RollbackCandidate, finish)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "a split the gateway may hold must be cleared: %v", err)
	assert.Equal(t, activities.ErrGatewayUnreachable, ae.Type())
	v, err := acts.Registry.Get(ctx, in.Model, version)
	require.NoError(t, err)
	require.NotNil(t, v.Approval)
	assert.Equal(t, registry.DecisionRejected, v.Approval.Decision)
	assert.Equal(t, "aborted by bob: gateway is gone", v.Approval.Comment)
	aliases, err := acts.Registry.Aliases(ctx, in.Model)
	require.NoError(t, err)
	assert.Empty(t, aliases, "no candidate alias, production untouched")

	finish.NeverRouted = true
	res, err := execute[activities.FinishRolloutResult](t, acts, acts.RollbackCandidate, finish)
	require.NoError(t, err)
	assert.Contains(t, res.GatewayNotTold, "gateway at "+gone+" unreachable")
}

// An attempt that registered the version but failed before the candidate
// alias was written is finished by the retry, not left half-done.
func TestARetriedRegistrationFinishesTheCandidateAlias(t *testing.T) {
	acts, _ := newActs(t)
	ctx := context.Background()
	in := deployInput(t, acts, "wf-1")
	// What the first attempt left: the version, without the alias.
	_, err := acts.Registry.Register(ctx, registry.Version{Name: in.Model, Model: in.Trained.Bundle, WorkflowID: "wf-1"})
	require.NoError(t, err)

	c, err := execute[activities.RegisterCandidateResult](t, acts, acts.RegisterCandidate,
		activities.RegisterCandidateInput{Model: in.Model, WorkflowID: in.WorkflowID, Trained: in.Trained, Evaluation: in.Evaluation})
	require.NoError(t, err)
	assert.Equal(t, 1, c.Version, "the version is found, not registered twice")
	aliases, err := acts.Registry.Aliases(ctx, in.Model)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{registry.AliasCandidate: 1}, aliases)
}
