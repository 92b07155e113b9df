package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/features"
	"github.com/mlpipe/mlpipe/internal/matrix"
	"github.com/mlpipe/mlpipe/workflows"
)

// fxFeatures replaces the example's per-column list with kind blocks, a
// few overrides and the new transforms.
const fxFeatures = `features:
  split: {test_size: 0.2, seed: 42}
  exclude: [customer_id]
  numeric: {impute: median, scale: standard}
  categorical: {impute: most_frequent, encode: onehot, min_frequency: 5}
  time: {impute: median, date_parts: [month, day, dayofweek]}
  columns:
    - {column: monthly_charges, impute: mean, log1p: true}
    - {column: support_calls, impute: median, clip: {upper_quantile: 0.99}, bucketize: {buckets: 4}}
    - {column: plan, impute: most_frequent, ordinal: {order: [basic, standard, premium], handle_unknown: use_encoded_value}}
`

// fxSpec writes the example pipeline with features replaced by block and
// a direct deployment, and returns its path.
func fxSpec(t *testing.T, s *stack, block string) string {
	t.Helper()
	path := filepath.Join(s.specDir, "pipeline.yaml")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	start := bytes.Index(b, []byte("features:\n"))
	end := bytes.Index(b, []byte("evaluation:\n"))
	require.True(t, start > 0 && end > start, "the example's features block")
	b = append(append(append([]byte{}, b[:start]...), block+"\n"...), b[end:]...)
	b = bytes.Replace(b, []byte("strategy: canary"), []byte("strategy: direct"), 1)
	// The gate is not what these tests are about.
	b = bytes.Replace(b, []byte("  f1: 0.80\n"), []byte("  f1: 0.5\n"), 1)
	out := filepath.Join(s.specDir, "pipeline-fx.yaml")
	require.NoError(t, os.WriteFile(out, b, 0o644))
	return out
}

// Kind blocks select the columns, overrides and the new transforms reach
// the feature store in the binary format, the gateway serves the stored
// transform, and `mlpipe features` reads the store.
func TestFeaturesKindBlocksAndTransformsEndToEnd(t *testing.T) {
	s := startStack(t)
	spec := fxSpec(t, s, fxFeatures)
	id := "churn-fx"
	out, code := s.mlpipe("run", "-f", spec, "--id", id, "--detach")
	require.Equal(t, 0, code, out)
	st := s.waitForState(id, workflows.StateWaiting)
	require.Equal(t, "feature_engineering", st.Stages[2].Name)

	// The matrices are the binary format; the transform has every step.
	dir := filepath.Dir(strings.TrimPrefix(st.Stages[2].Artifacts[0].URI, "file://"))
	var fs activities.FeatureSet
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(mb, &fs))
	assert.Equal(t, matrix.MediaType, fs.Train.MediaType)
	assert.Equal(t, matrix.MediaType, fs.Test.MediaType)
	assert.Equal(t, []string{"age", "status=active", "status=inactive", "plan", "tenure_months", "monthly_charges",
		"support_calls", "last_activity_month", "last_activity_day", "last_activity_dayofweek"}, fs.Features,
		"frame order, customer_id excluded, overrides in place")
	raw, err := os.ReadFile(strings.TrimPrefix(fs.Train.URI, "file://"))
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(raw, []byte("MLPMTX1\n")), "train.matrix is binary")

	out, code = s.mlpipe("approve", id, "--as", "alice")
	require.Equal(t, 0, code, out)
	s.waitForState(id, workflows.OutcomeDeployed)

	// The gateway applies the stored transform: an unknown plan is -1, a
	// value log1p cannot take is refused naming the column.
	row := `{"age": 41, "status": "active", "plan": "%s", "tenure_months": 12, "monthly_charges": %s, "support_calls": 40, "last_activity": "2026-11-30T10:00:00Z"}`
	var status int
	var body string
	assert.Eventually(t, func() bool {
		status, body = fxPost(t, s.gateway+"/v1/models/churn-classifier:predict", `{"instances": [`+fxRow(row, "enterprise", "35.5")+`]}`)
		return status == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond)
	require.Equal(t, http.StatusOK, status, body)
	var p prediction
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	assert.Len(t, p.Predictions, 1)
	status, body = fxPost(t, s.gateway+"/v1/models/churn-classifier:predict", `{"instances": [`+fxRow(row, "basic", "-3")+`]}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, "monthly_charges")
	assert.Contains(t, body, "log1p of -3 is not a number")

	// mlpipe features ls and show read the store.
	out, code = s.mlpipe("features", "ls")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "VERSION")
	assert.Regexp(t, fs.Version+`\s+churn\s+2400/600\s+10\s+20`, out)
	out, code = s.mlpipe("features", "ls", "--pipeline", "plans")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "no feature-store versions for pipeline plans")
	out, code = s.mlpipe("features", "show", fs.Version)
	require.Equal(t, 0, code, out)
	for _, want := range []string{
		"rows:        2400 train, 600 test",
		"transform (version 2), per input column:",
		"monthly_charges (float): impute mean",
		"→ log1p → standard (mean",
		"support_calls (float): impute median (",
		"→ clip [-inf, ",
		"→ bucketize [",
		"plan (string): impute most_frequent (\"",
		"ordinal [basic, standard, premium] (unknown: use_encoded_value)",
		"last_activity (time): impute median (",
		"date_parts month, day, dayofweek → 3 output(s)",
		"status (string): impute most_frequent",
	} {
		assert.Contains(t, out, want)
	}
	out, code = s.mlpipe("features", "show", fs.Version, "-o", "json")
	require.Equal(t, 0, code, out)
	var detail struct {
		Transform features.Transform `json:"transform"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &detail))
	assert.Equal(t, fs.Features, detail.Transform.Outputs)

	out, code = s.mlpipe("features", "show", "0123456789abcdef")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, out, `no feature-store version "0123456789abcdef" in `)
	assert.Contains(t, out, "the newest: "+fs.Version)
}

// A transform the data cannot take fails the feature stage, without
// retrying, naming the column and the fix; a setting that is wrong
// whatever the data (boundaries out of order, hashing into 0 outputs, a
// misspelt option, a missing column) is refused before anything starts.
func TestFeaturesBadTransformsAreRefused(t *testing.T) {
	s := startStack(t)
	atStage := map[string]struct{ block, want string }{
		"ordinal value not in order": {"features:\n  columns:\n    - {column: plan, ordinal: {order: [basic, premium]}}\n",
			`fit column "plan": ordinal: the training data has 1 values not in order (standard); add them to ordinal.order where they rank`},
		"log1p of a negative": {"features:\n  columns:\n    - {column: age, clip: {min: -5, max: -1}, log1p: true}\n",
			`fit column "age": log1p needs values ≥ 0, but`},
		"date_parts on a float": {"features:\n  columns:\n    - {column: age, date_parts: [year]}\n",
			"columns[1] (age): date_parts applies to time columns, this one is float; remove it"},
	}
	i := 0
	for name, c := range atStage {
		i++
		id := fmt.Sprintf("churn-fx-bad-%d", i)
		out, code := s.mlpipe("run", "-f", fxSpec(t, s, c.block), "--id", id, "--detach")
		require.Equal(t, 0, code, "%s: %s", name, out)
		s.waitForState(id, workflows.StateFailed)
		out, _ = s.mlpipe("status", id)
		assert.Contains(t, out, c.want, name)
		assert.Contains(t, out, "feature_engineering", name)
	}
	beforeRun := map[string]struct{ block, want string }{
		"unsorted boundaries": {"features:\n  columns:\n    - {column: age, bucketize: {boundaries: [50, 30]}}\n",
			"features.columns[0] (age): bucketize: boundaries must be strictly increasing, but boundaries[1] = 30 follows 50; sort them and drop duplicates"},
		"hashing n_features 0": {"features:\n  columns:\n    - {column: plan, hashing: {n_features: 0}}\n",
			"features.columns[0] (plan): hashing: n_features 0 must be 1 to 1048576"},
		"bad kind block": {"features:\n  numeric: {impute: avg}\n",
			`features.numeric: unknown impute "avg": use mean, median, most_frequent, constant or none`},
		"unknown transform": {"features:\n  columns:\n    - {column: age, log2: true}\n",
			`unknown key "features.columns[0].log2"`},
		"override of a missing column": {"features:\n  numeric: {impute: median}\n  columns:\n    - {column: monthly_charge, log1p: true}\n",
			`features.columns[0].column: column "monthly_charge" is not in the data (did you mean "monthly_charges"?)`},
	}
	for name, c := range beforeRun {
		out, code := s.mlpipe("run", "-f", fxSpec(t, s, c.block), "--id", "churn-fx-refused", "--detach")
		assert.Equal(t, exitUsage, code, "%s: %s", name, out)
		assert.Contains(t, out, c.want, name)
	}
}

func fxRow(format, plan, charges string) string {
	return strings.Replace(strings.Replace(format, "%s", plan, 1), "%s", charges, 1)
}

func fxPost(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}
