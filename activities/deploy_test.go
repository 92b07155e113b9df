package activities_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/registry"
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
