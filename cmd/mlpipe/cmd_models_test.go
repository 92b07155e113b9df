package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/registry"
)

// modelsRegistry builds the registry MLPIPE_ARTIFACTS points at: churn with
// version 1 previous, 2 production and 3 a rejected candidate; fraud with one
// version and no aliases.
func modelsRegistry(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	t.Setenv("MLPIPE_ARTIFACTS", dir)
	reg, err := registry.Open(ctx, dir)
	require.NoError(t, err)
	day := func(d int) time.Time { return time.Date(2025, 3, d, 12, 0, 0, 0, time.UTC) }
	ref := func(n string) artifact.Ref {
		return artifact.Ref{URI: "file:///models/churn-" + n + ".json", SHA256: "sha-" + n, Size: 10, MediaType: "application/json"}
	}
	for i, f1 := range []float64{0.80, 0.84, 0.86} {
		n := string(rune('1' + i))
		v := registry.Version{Name: "churn", Model: ref(n), Metrics: map[string]float64{"f1": f1, "accuracy": 0.9},
			Params: map[string]any{"hidden": 16.0, "optimizer": "adam"}, DataDigest: "data-" + n, WorkflowID: "churn-" + n,
			ReportURI: "file:///reports/churn-" + n + ".html", CreatedAt: day(i + 1)}
		if i < 2 {
			_, err = reg.Register(ctx, v)
		} else {
			_, err = reg.RegisterCandidate(ctx, v, registry.Workflow("churn-3"))
		}
		require.NoError(t, err)
	}
	for _, a := range []struct {
		version           int
		who, decision, at string
	}{{1, "alice", registry.DecisionApproved, "2025-03-01T13:00:00Z"}, {2, "bob", registry.DecisionApproved, "2025-03-02T13:00:00Z"}, {3, "carol", registry.DecisionRejected, "2025-03-03T13:00:00Z"}} {
		at, err := time.Parse(time.RFC3339, a.at)
		require.NoError(t, err)
		_, err = reg.RecordApproval(ctx, "churn", a.version, registry.Approval{Approver: a.who, Decision: a.decision, Comment: "f1 checked", At: at})
		require.NoError(t, err)
	}
	require.NoError(t, reg.Promote(ctx, "churn", 1, registry.Workflow("churn-1")))
	require.NoError(t, reg.Promote(ctx, "churn", 2, registry.Actor("bob"), registry.Workflow("churn-2")))
	_, err = reg.Register(ctx, registry.Version{Name: "fraud", Model: ref("f"), CreatedAt: day(4)})
	require.NoError(t, err)
}

func runModels(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	err := (&Main{Stdout: &buf, Stderr: &buf}).models(context.Background(), args)
	return buf.String(), err
}

func TestModelsLsListsEveryModelsAliases(t *testing.T) {
	modelsRegistry(t)
	out, err := runModels(t, "ls")
	require.NoError(t, err)
	assert.Equal(t, ""+
		"MODEL  PRODUCTION  CANDIDATE  PREVIOUS  LATEST\n"+
		"churn  2           3          1         3\n"+
		"fraud  -           -          -         1\n", out)

	out, err = runModels(t, "ls", "-o", "json")
	require.NoError(t, err)
	var rows []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	assert.Equal(t, []map[string]any{
		{"model": "churn", "production": 2.0, "candidate": 3.0, "previous": 1.0, "latest": 3.0},
		{"model": "fraud", "latest": 1.0},
	}, rows)
}

// A multi-class model has no binary F1: its versions show macro F1.
func TestModelsLsShowsMacroF1ForAMultiClassModel(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("MLPIPE_ARTIFACTS", dir)
	reg, err := registry.Open(context.Background(), dir)
	require.NoError(t, err)
	_, err = reg.Register(context.Background(), registry.Version{Name: "plans",
		Model:     artifact.Ref{URI: "file:///models/plans-1.json", SHA256: "sha-p", Size: 10, MediaType: "application/json"},
		Metrics:   map[string]float64{"f1_macro": 0.7123, "f1_weighted": 0.73, "accuracy": 0.745, "roc_auc_ovr": 0.88},
		CreatedAt: time.Date(2025, 3, 5, 12, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	out, err := runModels(t, "ls", "plans")
	require.NoError(t, err)
	assert.Equal(t, ""+
		"VERSION  CREATED               F1              ACCURACY  ALIASES  APPROVAL  WORKFLOW\n"+
		"1        2025-03-05T12:00:00Z  0.7123 (macro)  0.7450    -        -         -\n", out)
}

func TestModelsLsNameListsVersionsNewestFirst(t *testing.T) {
	modelsRegistry(t)
	out, err := runModels(t, "ls", "churn")
	require.NoError(t, err)
	assert.Equal(t, ""+
		"VERSION  CREATED               F1      ACCURACY  ALIASES     APPROVAL           WORKFLOW\n"+
		"3        2025-03-03T12:00:00Z  0.8600  0.9000    candidate   rejected by carol  churn-3\n"+
		"2        2025-03-02T12:00:00Z  0.8400  0.9000    production  approved by bob    churn-2\n"+
		"1        2025-03-01T12:00:00Z  0.8000  0.9000    previous    approved by alice  churn-1\n", out)

	out, err = runModels(t, "ls", "fraud", "-o", "json")
	require.NoError(t, err)
	var rows []struct {
		Version  int      `json:"version"`
		ModelURI string   `json:"model_uri"`
		Aliases  []string `json:"aliases"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	require.Len(t, rows, 1)
	assert.Equal(t, 1, rows[0].Version)
	assert.Equal(t, "file:///models/churn-f.json", rows[0].ModelURI)
	assert.Empty(t, rows[0].Aliases)
}

func TestModelsShowDefaultsToProduction(t *testing.T) {
	modelsRegistry(t)
	out, err := runModels(t, "show", "churn")
	require.NoError(t, err)
	lines := bytes.Split([]byte(out), []byte("\n"))
	require.Greater(t, len(lines), 15)
	assert.Equal(t, "churn version 2 (production)", string(lines[0]))
	for _, want := range []string{
		"  model        file:///models/churn-2.json\n",
		"  sha256       sha-2\n",
		"  data digest  data-2\n",
		"  workflow     churn-2\n",
		"  report       file:///reports/churn-2.html\n",
		"  approval     approved by bob at 2025-03-02T13:00:00Z (\"f1 checked\")\n",
		"  metrics:\n    accuracy  0.9000\n    f1        0.8400\n",
		"  params:\n    hidden     16\n    optimizer  adam\n",
		"promote 2 by bob (workflow churn-2): production 1→2, previous -→1\n",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "set candidate 3", "history lines that do not concern version 2 are left out")

	out, err = runModels(t, "show", "churn@1")
	require.NoError(t, err)
	assert.Contains(t, out, "churn version 1 (previous)\n")
	assert.Contains(t, out, "promote 1 (workflow churn-1): production -→1\n")
	assert.Contains(t, out, "promote 2 by bob (workflow churn-2): production 1→2, previous -→1\n")
}

func TestModelsShowCandidateAsJSON(t *testing.T) {
	modelsRegistry(t)
	out, err := runModels(t, "show", "churn@candidate", "-o", "json")
	require.NoError(t, err)
	var d struct {
		Version   int                   `json:"version"`
		ReportURI string                `json:"report_uri"`
		Approval  registry.Approval     `json:"approval"`
		Aliases   []string              `json:"aliases"`
		History   []registry.AliasEvent `json:"alias_history"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &d))
	assert.Equal(t, 3, d.Version)
	assert.Equal(t, "file:///reports/churn-3.html", d.ReportURI)
	assert.Equal(t, "rejected", d.Approval.Decision)
	assert.Equal(t, "carol", d.Approval.Approver)
	assert.Equal(t, []string{"candidate"}, d.Aliases)
	require.Len(t, d.History, 1)
	assert.Equal(t, registry.ActionSet, d.History[0].Action)
	assert.Equal(t, "churn-3", d.History[0].WorkflowID)
}

func TestModelsUnknownNamesSayWhatExists(t *testing.T) {
	modelsRegistry(t)
	_, err := runModels(t, "show", "nope")
	assert.ErrorContains(t, err, `no model "nope"`)
	assert.ErrorContains(t, err, "models are churn, fraud")

	_, err = runModels(t, "ls", "nope")
	assert.ErrorContains(t, err, "models are churn, fraud")

	_, err = runModels(t, "show", "churn@9")
	assert.EqualError(t, err, "model churn has no version 9 (versions: 1, 2, 3)")

	_, err = runModels(t, "show", "fraud")
	assert.EqualError(t, err, "model fraud has no production version (aliases: none set; versions: 1): name one with fraud@VERSION")

	_, err = runModels(t, "show", "churn@staging")
	assert.EqualError(t, err, "model churn has no staging version (aliases: production=2, candidate=3, previous=1; versions: 1, 2, 3): name one with churn@VERSION")
}

func TestModelsEmptyRegistry(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("MLPIPE_ARTIFACTS", dir)
	out, err := runModels(t, "ls")
	require.NoError(t, err)
	assert.Equal(t, "no models in "+dir+"\n", out)
	_, err = runModels(t, "show", "churn")
	assert.ErrorContains(t, err, `no model "churn": the registry in `+dir+" is empty")
}

func TestModelsBadUsage(t *testing.T) {
	modelsRegistry(t)
	for _, args := range [][]string{{}, {"rm", "churn"}, {"show"}, {"ls", "a", "b"}, {"ls", "-o", "yaml"}} {
		_, err := runModels(t, args...)
		var ee *exitError
		if assert.True(t, errors.As(err, &ee), "args %q: %v", args, err) {
			assert.Equal(t, exitUsage, ee.code, "args %q", args)
		}
	}
}
