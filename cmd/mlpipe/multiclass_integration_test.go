package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/bundle"
	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/testenv"
	"github.com/mlpipe/mlpipe/workflows"
)

// The plans example, a 3-class target, runs end to end on the real
// Temporal dev server: softmax training, multi-class evaluation and gate,
// approval, registration, and the real gateway answering with every
// class's probability, as the registered bundle computes them, and
// scoring late feedback per class.
// plansExample copies the named files of dev/examples/plans into a folder
// of the test's, pointing them at the stack's gateway and applying the
// replacements (old, new pairs), and generates rows of plans data for
// them. It returns the folder.
func (s *stack) plansExample(t *testing.T, rows int, files []string, replacements ...string) string {
	t.Helper()
	dir := filepath.Join(s.tmp, "plans")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "data"), 0o755))
	root := testenv.ModuleRoot(t)
	r := strings.NewReplacer(append([]string{"http://127.0.0.1:8080", s.gateway}, replacements...)...)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, "dev/examples/plans", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte(r.Replace(string(b))), 0o644))
	}
	out, code := s.mlpipe("gen", "plans", "--rows", strconv.Itoa(rows), "--seed", "5", "-o", filepath.Join(dir, "data/plans.csv"))
	require.Equal(t, 0, code, out)
	return dir
}

func TestMulticlassPipelineTrainsGatesAndServesThreeClasses(t *testing.T) {
	s := startStack(t)
	// Short: the test is about the path, not the fit.
	dir := s.plansExample(t, 1500, []string{"pipeline.yaml", "hyperparameters.yaml"}, "epochs: 40", "epochs: 15")

	id := "plans-it"
	out, code := s.mlpipe("run", "-f", filepath.Join(dir, "pipeline.yaml"), "--id", id, "--detach", "--set", "evaluation.bootstrap=200")
	require.Equal(t, 0, code, out)
	st := s.waitForState(id, workflows.StateWaiting)
	assert.Regexp(t, `^f1_macro 0\.\d+, accuracy 0\.\d+, roc_auc_ovr 0\.\d+ on 300 rows, 3 classes$`, st.Stages[4].Message)
	require.Len(t, st.Gate.Thresholds, 2)
	for _, rule := range st.Gate.Thresholds {
		assert.True(t, rule.Passed, rule.Rule)
	}
	out, code = s.mlpipe("approve", id, "--as", "alice", "--comment", "three plans")
	require.Equal(t, 0, code, out)

	var res workflows.PipelineResult
	require.NoError(t, s.srv.Client.GetWorkflow(context.Background(), id, "").Get(context.Background(), &res))
	require.Equal(t, workflows.OutcomeDeployed, res.Outcome)
	assert.Equal(t, 1, res.Version)
	assert.Contains(t, res.Metrics, "f1_macro")
	assert.NotContains(t, res.Metrics, "f1", "no binary F1 for three classes")

	// The report page is the multi-class layout.
	out, code = s.mlpipe("report", id)
	require.Equal(t, 0, code, out)
	htmlPath := strings.TrimPrefix(strings.Fields(strings.Split(out, "\n")[0])[1], "file://")
	page, err := os.ReadFile(htmlPath)
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(page), "data:image/png;base64,"))
	assert.Contains(t, string(page), "Actual ↓ / predicted →")

	// The gateway serves version 1 and answers as the registered bundle does.
	rows := []map[string]any{
		{"age": 30, "income": 20, "household": 1, "usage_gb": 3, "region": "north"},
		{"age": 45, "income": 150, "household": 5, "usage_gb": 120, "region": "west"},
		{"age": 50, "income": 60, "household": 2, "usage_gb": 25, "region": "east"},
	}
	body, err := json.Marshal(map[string]any{"instances": rows})
	require.NoError(t, err)
	var pred planAnswer
	require.Eventually(t, func() bool {
		var code int
		pred, code = s.predictPlans(string(body))
		return code == http.StatusOK && pred.Version == res.Version
	}, 30*time.Second, 100*time.Millisecond)
	raw, err := os.ReadFile(strings.TrimPrefix(res.ModelURI, "file://"))
	require.NoError(t, err)
	bu, err := bundle.Decode(raw)
	require.NoError(t, err)
	require.Equal(t, []string{"basic", "plus", "premium"}, bu.Classes)
	want, err := bu.PredictClassProba(rows)
	require.NoError(t, err)
	require.Len(t, pred.Predictions, 3)
	for i, p := range pred.Predictions {
		for k, c := range bu.Classes {
			assert.InDelta(t, want[i][k], p.Probabilities[c], 1e-12, "row %d class %s", i, c)
		}
		assert.Equal(t, p.Probabilities[p.Label], p.Probability)
	}
	assert.Equal(t, "basic", pred.Predictions[0].Label, "a single low-income light user takes the cheapest plan")
	assert.Equal(t, "premium", pred.Predictions[1].Label, "a large, heavy-using, high-income household takes the dearest")

	// Open Inference Protocol: the N×K probability matrix in class order.
	infer := `{"inputs": [
		{"name": "age", "shape": [1], "datatype": "FP64", "data": [45]},
		{"name": "income", "shape": [1], "datatype": "FP64", "data": [150]},
		{"name": "household", "shape": [1], "datatype": "INT64", "data": [5]},
		{"name": "usage_gb", "shape": [1], "datatype": "FP64", "data": [120]},
		{"name": "region", "shape": [1], "datatype": "BYTES", "data": ["west"]}]}`
	v2, code := s.post("/v2/models/plan-classifier/infer", infer)
	require.Equal(t, http.StatusOK, code, v2)
	assert.Contains(t, v2, `"name":"probabilities","datatype":"FP64","shape":[1,3],"parameters":{"classes":["basic","plus","premium"]}`)

	// Late labels join per class; a class the model does not know is refused.
	fb := fmt.Sprintf(`[{"request_id": %[1]q, "row": 0, "label": "basic"}, {"request_id": %[1]q, "row": 1, "label": "plus"},
		{"request_id": %[1]q, "row": 2, "label": "enterprise"}]`, pred.RequestID)
	ans, code := s.post("/v1/models/plan-classifier/feedback", fb)
	require.Equal(t, http.StatusOK, code, ans)
	assert.Contains(t, ans, `"joined":2`)
	assert.Contains(t, ans, `label \"enterprise\" is not a class of version 1 (basic, plus, premium)`)
	statsBody, code := s.adminGet("/admin/models/plan-classifier/stats")
	require.Equal(t, http.StatusOK, code, statsBody)
	var stats routing.Stats
	require.NoError(t, json.Unmarshal([]byte(statsBody), &stats))
	prod := stats.Variant(routing.VariantProduction)
	assert.Equal(t, []string{"basic", "plus", "premium"}, prod.Classes)
	assert.InDelta(t, 0.5, prod.Accuracy(), 1e-12, "basic was right, plus was not")
	assert.InDelta(t, 1.0/3, prod.F1(), 1e-12, "macro F1: basic 1, plus 0 (missed), premium 0 (wrongly predicted)")
}

type planAnswer struct {
	Version     int    `json:"version"`
	RequestID   string `json:"request_id"`
	Predictions []struct {
		Label         string             `json:"label"`
		Probability   float64            `json:"probability"`
		Probabilities map[string]float64 `json:"probabilities"`
	} `json:"predictions"`
}

func (s *stack) predictPlans(body string) (planAnswer, int) {
	out, code := s.post("/v1/models/plan-classifier:predict", body)
	var p planAnswer
	if code == http.StatusOK {
		require.NoError(s.t, json.Unmarshal([]byte(out), &p))
	}
	return p, code
}

// post sends a JSON body to path on the gateway.
func (s *stack) post(path, body string) (string, int) {
	req, err := http.NewRequest(http.MethodPost, s.gateway+path, strings.NewReader(body))
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "application/json")
	return s.send(req)
}

// adminGet reads path from the gateway's admin API.
func (s *stack) adminGet(path string) (string, int) {
	req, err := http.NewRequest(http.MethodGet, s.gateway+path, nil)
	require.NoError(s.t, err)
	req.Header.Set("Authorization", "Bearer test-admin-token")
	return s.send(req)
}

func (s *stack) send(req *http.Request) (string, int) {
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return string(b), resp.StatusCode
}
