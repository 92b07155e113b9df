package spec_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// gbtExample copies the churn example with search_gbt.yaml as its params
// file, the hyperparameters' lines replaced as given (old, new pairs).
func gbtExample(t *testing.T, replacements ...string) string {
	t.Helper()
	path := copyExample(t, "params: [hyperparameters.yaml]", "params: [search_gbt.yaml]")
	b, err := os.ReadFile(filepath.Join(exampleDir, "search_gbt.yaml"))
	require.NoError(t, err)
	text := string(b)
	for i := 0; i < len(replacements); i += 2 {
		require.Contains(t, text, replacements[i])
		text = strings.Replace(text, replacements[i], replacements[i+1], 1)
	}
	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(path), "search_gbt.yaml"), []byte(text), 0o644))
	return path
}

func TestGBTExampleLoadsTheSeedsBlockVerbatim(t *testing.T) {
	p, err := spec.Load(gbtExample(t))
	require.NoError(t, err)
	hp := p.Hyperparameters
	require.Equal(t, model.KindGradientBoosting, hp.Kind)
	require.Equal(t, 100, hp.NEstimators)
	require.Equal(t, model.Depth(6), hp.MaxDepth)
	require.Equal(t, 256, hp.MaxBin, "defaults filled in")
	require.Equal(t, 20, p.Search.NIter)
	require.Equal(t, 5, p.Search.CV)
	d, ok := p.Search.ParamDistributions.Get("max_depth")
	require.True(t, ok)
	require.Equal(t, []any{5.0, 10.0, 20.0, "None"}, d.Choices)
	c, err := tune.Apply(hp, tune.Trial{Params: []tune.ParamValue{{Name: "max_depth", Value: "None"}}})
	require.NoError(t, err)
	require.Nil(t, c.GBT().MaxDepth, "None is unlimited depth")
}

func TestGBTMaxDepthNullIsUnlimited(t *testing.T) {
	for _, v := range []string{"null", "None", "~"} {
		p, err := spec.Load(gbtExample(t, "max_depth: 6", "max_depth: "+v))
		require.NoError(t, err, v)
		require.Equal(t, model.DepthUnlimited, p.Hyperparameters.MaxDepth, v)
		require.Nil(t, p.Hyperparameters.GBT().MaxDepth, v)
	}
	p, err := spec.Load(gbtExample(t), spec.Override{Path: "hyperparameters.max_depth", Value: "null"})
	require.NoError(t, err)
	require.Equal(t, model.DepthUnlimited, p.Hyperparameters.MaxDepth, "--set max_depth=null")

	// The workflow input (JSON) keeps it: null, not the default depth.
	b, err := json.Marshal(p)
	require.NoError(t, err)
	require.Contains(t, string(b), `"max_depth":null`)
	q, err := spec.DecodeJSON(b)
	require.NoError(t, err)
	require.NoError(t, q.Validate())
	require.Equal(t, model.DepthUnlimited, q.Hyperparameters.MaxDepth)
}

// Each bad value is refused at load, before anything runs, naming the
// parameter and the kind.
func TestGBTBadValuesAreRefusedNamingParameterAndKind(t *testing.T) {
	cases := []struct {
		old, new, want string
	}{
		{"max_depth: 6", "max_depth: 0", "hyperparameters.max_depth is 0; give the tree depth of kind gradient_boosting (at least 1), null (None) for unlimited depth"},
		{"max_depth: 6", "max_depth: -3", "gradient_boosting: max_depth is -3; it must be an integer >= 1, or null (None) for unlimited depth"},
		{"learning_rate: 0.1", "learning_rate: 0", "hyperparameters.learning_rate is 0"},
		{"learning_rate: 0.1", "learning_rate: 1.5", "gradient_boosting: learning_rate is 1.5; it must be > 0 and <= 1"},
		{"learning_rate: 0.1", "learning_rate: -0.1", "gradient_boosting: learning_rate is -0.1; it must be > 0 and <= 1"},
		{"n_estimators: 100", "n_estimators: 0", "hyperparameters.n_estimators is 0; give the number of boosting rounds of kind gradient_boosting"},
		{"n_estimators: 100", "n_estimators: -5", "gradient_boosting: n_estimators is -5; it must be an integer >= 1"},
		{"seed: 7", "seed: 7\n  subsample: 1.5", "gradient_boosting: subsample is 1.5; it must be > 0 and <= 1"},
		{"seed: 7", "seed: 7\n  epochs: 10", "epochs is not a parameter of kind gradient_boosting (its nearest is n_estimators); remove it, or set kind: mlp"},
		{"seed: 7", "seed: 7\n  hidden: [8]", "hidden is not a parameter of kind gradient_boosting"},
		{"max_depth: [5, 10, 20, None]", "max_depth: [5, 10, 20, None]\n    epochs: [10, 20]", "search.param_distributions.epochs: epochs is not a parameter of kind gradient_boosting"},
		{"max_depth: [5, 10, 20, None]", "max_depth: [5, 10, 20, None]\n    hidden_units: [8, 16]", "search.param_distributions.hidden_units: hidden_units is not a parameter of kind gradient_boosting"},
		{"max_depth: [5, 10, 20, None]", "max_depth: [5, 10, deep]", "max_depth takes a number, not the string \"deep\""},
		{"max_depth: 6", "max_depth: deep", "max_depth \"deep\": give a whole number >= 1, or null (None) for unlimited depth"},
	}
	for _, c := range cases {
		_, err := spec.Load(gbtExample(t, c.old, c.new))
		require.Error(t, err, c.new)
		require.Contains(t, err.Error(), c.want, c.new)
	}
}

// The other way round: boosting parameters on an mlp or logistic model.
func TestGBTParametersOnOtherKindsAreRefused(t *testing.T) {
	_, err := spec.Load(gbtExample(t, "kind: gradient_boosting", "kind: mlp"))
	require.ErrorContains(t, err, "n_estimators is a parameter of kind gradient_boosting, not of kind mlp; remove it, or set kind: gradient_boosting")
	_, err = spec.Load(copyExample(t), spec.Override{Path: "search.param_distributions.n_estimators", Value: "[100, 200]"})
	require.ErrorContains(t, err, "search.param_distributions.n_estimators: n_estimators is a parameter of kind gradient_boosting, not of kind logistic")
	// The existing specs load as before.
	p, err := spec.Load(copyExample(t))
	require.NoError(t, err)
	require.Equal(t, model.KindLogistic, p.Hyperparameters.Kind)
	require.Zero(t, p.Hyperparameters.NEstimators)
}

// --set of one searched parameter over a params file's search changes that
// parameter and keeps the others, as an override of any mapping does.
func TestGBTOverrideOfOneSearchedParameterKeepsTheOthers(t *testing.T) {
	p, err := spec.Load(gbtExample(t), spec.Override{Path: "search.param_distributions.n_estimators", Value: "[10, 20]"})
	require.NoError(t, err)
	s := p.Search.ParamDistributions
	require.Len(t, s, 3, "%v", s)
	require.Equal(t, "n_estimators", s[0].Name)
	require.Equal(t, []any{10.0, 20.0}, s[0].Dist.Choices)
	require.Equal(t, "max_depth", s[1].Name)
	require.Equal(t, "learning_rate", s[2].Name)
}

// A slip of three zeros too many is refused before a run that never ends.
func TestGBTRoundsAreBounded(t *testing.T) {
	_, err := spec.Load(gbtExample(t, "n_estimators: 100", "n_estimators: 1000000"))
	require.ErrorContains(t, err, "hyperparameters.n_estimators 1000000 is above the maximum of 100000 boosting rounds")
	_, err = spec.Load(gbtExample(t, "n_estimators: [100, 200, 500]", "n_estimators: [100, 5000000]"))
	require.ErrorContains(t, err, "n_estimators")
	require.ErrorContains(t, err, "100000")
}
