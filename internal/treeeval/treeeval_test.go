package treeeval_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/treeeval"
)

// tree is one tree in XGBoost's JSON layout.
type tree struct {
	Left        []int     `json:"left_children"`
	Right       []int     `json:"right_children"`
	Feature     []int     `json:"split_indices"`
	Cond        []float32 `json:"split_conditions"`
	DefaultLeft []int     `json:"default_left"`
	SplitType   []int     `json:"split_type"`
	BaseWeights []float32 `json:"base_weights"`
}

func leaf(v float32) tree {
	return tree{Left: []int{-1}, Right: []int{-1}, Feature: []int{0}, Cond: []float32{v}, DefaultLeft: []int{0}, SplitType: []int{0}, BaseWeights: []float32{v}}
}

// doc writes a model document as XGBoost 1.7 lays it out.
func doc(t testing.TB, objective string, numClass, features int, trees []tree, info []int, attrs map[string]string) []byte {
	t.Helper()
	if attrs == nil {
		attrs = map[string]string{}
	}
	m := map[string]any{
		"version": []int{1, 7, 4},
		"learner": map[string]any{
			"attributes":    attrs,
			"feature_names": []string{},
			"gradient_booster": map[string]any{
				"name": "gbtree",
				"model": map[string]any{
					"gbtree_model_param": map[string]string{"num_parallel_tree": "1", "num_trees": fmt.Sprint(len(trees))},
					"tree_info":          info,
					"trees":              trees,
				},
			},
			"learner_model_param": map[string]string{"base_score": "5E-1", "num_class": fmt.Sprint(numClass), "num_feature": fmt.Sprint(features)},
			"objective":           map[string]any{"name": objective},
		},
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// binaryModel: tree 0 splits x0 < 0.5 (missing left) into leaf 0.25 and a
// split x1 < -1 (missing right) into leaves -0.5 and 1; tree 1 is a leaf
// 0.125.
func binaryModel(t testing.TB, attrs map[string]string) []byte {
	t0 := tree{
		Left: []int{1, -1, 3, -1, -1}, Right: []int{2, -1, 4, -1, -1}, Feature: []int{0, 0, 1, 0, 0},
		Cond: []float32{0.5, 0.25, -1, -0.5, 1}, DefaultLeft: []int{1, 0, 0, 0, 0}, SplitType: []int{0, 0, 0, 0, 0},
		BaseWeights: []float32{9, 9, 9, 9, 9}, // not used to predict
	}
	return doc(t, treeeval.ObjectiveBinaryLogistic, 0, 2, []tree{t0, leaf(0.125)}, []int{0, 0}, attrs)
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func TestBinaryWalksSplitsAndMissingValues(t *testing.T) {
	m, err := treeeval.Parse(binaryModel(t, nil))
	require.NoError(t, err)
	assert.Equal(t, 2, m.Classes())
	assert.Equal(t, 2, m.Features())
	assert.Equal(t, 2, m.Trees())
	nan := math.NaN()
	X := []float64{
		0, 0, // left leaf
		nan, 5, // x0 missing: default left
		1, nan, // right, then x1 missing: default right
		1, -2, // right, left
		0.5, -2, // equal to the threshold goes right
		0.49999999999, -2, // float32(x0) is 0.5: right, as XGBoost stores features in float32
	}
	got, err := m.PredictProba(X, 2)
	require.NoError(t, err)
	want := []float64{sigmoid(0.375), sigmoid(0.375), sigmoid(1.125), sigmoid(-0.375), sigmoid(-0.375), sigmoid(-0.375)}
	assert.InDeltaSlice(t, want, got, 1e-15)

	rows, err := m.PredictClassProba(X[:2], 2)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{1 - sigmoid(0.375), sigmoid(0.375)}, rows[0], 1e-15)
}

// Leaves add up in float32, tree by tree, as XGBoost's predictor adds
// them: 2^24 + 1 rounds back to 2^24, so the two classes tie.
func TestMarginsAddInFloat32(t *testing.T) {
	big := float32(1 << 24)
	trees := []tree{leaf(big), leaf(big), leaf(1), leaf(0)}
	m, err := treeeval.Parse(doc(t, treeeval.ObjectiveMultiSoftprob, 2, 1, trees, []int{0, 1, 0, 1}, nil))
	require.NoError(t, err)
	rows, err := m.PredictClassProba([]float64{0}, 1)
	require.NoError(t, err)
	assert.Equal(t, []float64{0.5, 0.5}, rows[0])
}

func TestMultiClassSoftmax(t *testing.T) {
	trees := []tree{leaf(1), leaf(0), leaf(-1), leaf(0.5), leaf(0), leaf(0)}
	m, err := treeeval.Parse(doc(t, treeeval.ObjectiveMultiSoftmax, 3, 4, trees, []int{0, 1, 2, 0, 1, 2}, nil))
	require.NoError(t, err)
	assert.Equal(t, 3, m.Classes())
	rows, err := m.PredictClassProba(make([]float64, 8), 4)
	require.NoError(t, err)
	z := []float64{1.5, 0, -1}
	s := math.Exp(1.5) + 1 + math.Exp(-1)
	for _, r := range rows {
		assert.InDeltaSlice(t, []float64{math.Exp(z[0]) / s, 1 / s, math.Exp(z[2]) / s}, r, 1e-15)
	}
	_, err = m.PredictProba(make([]float64, 4), 4)
	assert.ErrorContains(t, err, "the model has 3 classes; use PredictClassProba")
}

// A best_iteration attribute (XGBoost's scikit-learn wrapper after early
// stopping) limits prediction to rounds 0..best_iteration.
func TestBestIterationLimitsTheTrees(t *testing.T) {
	m, err := treeeval.Parse(binaryModel(t, map[string]string{"best_iteration": "0", "best_score": "0.5"}))
	require.NoError(t, err)
	assert.Equal(t, 1, m.Trees())
	got, err := m.PredictProba([]float64{0, 0}, 2)
	require.NoError(t, err)
	assert.InDelta(t, sigmoid(0.25), got[0], 1e-15)
}

func TestPredictRefusesTheWrongColumns(t *testing.T) {
	m, err := treeeval.Parse(binaryModel(t, nil))
	require.NoError(t, err)
	_, err = m.PredictProba([]float64{1, 2, 3}, 3)
	assert.EqualError(t, err, "predict: input has 3 columns; the model was trained on 2 features")
	_, err = m.PredictClassProba([]float64{1, 2, 3}, 2)
	assert.EqualError(t, err, "predict: input has 3 values, not a multiple of 2 columns")
	_, err = new(treeeval.Model).PredictProba(nil, 0)
	assert.EqualError(t, err, "predict: the model is empty; read one with Parse")
}

// A bundle holding a *Model writes the XGBoost document back verbatim.
func TestJSONRoundTrip(t *testing.T) {
	raw := binaryModel(t, nil)
	var in struct {
		Trees *treeeval.Model `json:"trees"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"trees": `+string(raw)+`}`), &in))
	out, err := json.Marshal(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"trees": `+string(raw)+`}`, string(out))
	assert.Equal(t, 2, in.Trees.Trees())
}

func TestParseRefusesWhatItCannotServe(t *testing.T) {
	good := func() map[string]any {
		var m map[string]any
		require.NoError(t, json.Unmarshal(binaryModel(t, nil), &m))
		return m
	}
	learner := func(m map[string]any) map[string]any { return m["learner"].(map[string]any) }
	tree0 := func(m map[string]any) map[string]any {
		gb := learner(m)["gradient_booster"].(map[string]any)
		return gb["model"].(map[string]any)["trees"].([]any)[0].(map[string]any)
	}
	cases := []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"regression objective", func(m map[string]any) {
			learner(m)["objective"] = map[string]any{"name": "reg:squarederror"}
		}, `objective "reg:squarederror" is not a classifier mlpipe serves; use binary:logistic (binary) or multi:softprob (multi-class)`},
		{"dart", func(m map[string]any) {
			learner(m)["gradient_booster"].(map[string]any)["name"] = "dart"
		}, `booster "dart" is not supported; mlpipe serves gbtree models`},
		{"categorical split", func(m map[string]any) { tree0(m)["split_type"] = []int{1, 0, 0, 0, 0} }, "tree 0 node 0 is a categorical split"},
		{"cycle", func(m map[string]any) { tree0(m)["left_children"] = []int{1, -1, 0, -1, -1} }, "tree 0 node 0 is reached twice; the nodes do not form a tree"},
		{"child out of range", func(m map[string]any) { tree0(m)["right_children"] = []int{2, -1, 9, -1, -1} }, "tree 0 node 2 has child 9; node ids are 0..4"},
		{"feature out of range", func(m map[string]any) { tree0(m)["split_indices"] = []int{0, 0, 7, 0, 0} }, "tree 0 node 2 splits on feature 7; the model has num_feature 2"},
		{"short arrays", func(m map[string]any) { tree0(m)["default_left"] = []int{1} }, "tree 0: left_children, right_children, split_indices, split_conditions and default_left must have one entry per node (5)"},
		{"tree_info", func(m map[string]any) {
			learner(m)["gradient_booster"].(map[string]any)["model"].(map[string]any)["tree_info"] = []int{0}
		}, "2 trees but tree_info has 1 entries"},
		{"num_feature", func(m map[string]any) {
			learner(m)["learner_model_param"].(map[string]any)["num_feature"] = "zero"
		}, `learner.learner_model_param.num_feature is "zero"`},
		{"base_score", func(m map[string]any) {
			learner(m)["learner_model_param"].(map[string]any)["base_score"] = "1"
		}, "base_score is 1; binary:logistic needs 0 < base_score < 1"},
		{"no learner", func(m map[string]any) { delete(m, "learner") }, `no "learner" member`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := good()
			c.edit(m)
			b, err := json.Marshal(m)
			require.NoError(t, err)
			_, err = treeeval.Parse(b)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.True(t, strings.HasPrefix(err.Error(), "xgboost model: "), err.Error())
		})
	}
	_, err := treeeval.Parse([]byte("{L\x00\x00\x00\x07learner"))
	assert.ErrorContains(t, err, "xgboost model:")
	_, err = treeeval.Parse([]byte("[1, 2]"))
	assert.ErrorContains(t, err, "not a JSON object; save the model as JSON")
}

func TestRowProbaChecksItsArguments(t *testing.T) {
	m, err := treeeval.Parse(binaryModel(t, nil))
	require.NoError(t, err)
	s, out := m.NewScratch(), make([]float64, 2)
	require.NoError(t, m.RowProba([]float64{math.Inf(1), math.Inf(-1)}, s, out))
	assert.InDelta(t, sigmoid(-0.375), out[1], 1e-15, "+Inf goes right at x0 < 0.5, -Inf left at x1 < -1")
	assert.InDelta(t, 1, out[0]+out[1], 1e-15)
	assert.EqualError(t, m.RowProba([]float64{1}, s, out), "predict: the row has 1 values; the model was trained on 2 features")
	assert.EqualError(t, m.RowProba([]float64{1, 2}, s, out[:1]), "predict: room for 1 probabilities; the model has 2 classes")
	other, err := treeeval.Parse(doc(t, treeeval.ObjectiveMultiSoftprob, 3, 2, []tree{leaf(1), leaf(2), leaf(3)}, []int{0, 1, 2}, nil))
	require.NoError(t, err)
	assert.ErrorContains(t, m.RowProba([]float64{1, 2}, other.NewScratch(), out), "the scratch space is not this model's")
}

// Trees of different depths walked together each end on their own leaf.
func TestTreesOfDifferentDepths(t *testing.T) {
	deep := tree{ // x0 < 0 ? (x0 < -1 ? 0.125 : 0.25) : 0.375
		Left: []int{1, 3, -1, -1, -1}, Right: []int{2, 4, -1, -1, -1}, Feature: []int{0, 0, 0, 0, 0},
		Cond: []float32{0, -1, 0.375, 0.125, 0.25}, DefaultLeft: []int{0, 0, 0, 0, 0}, SplitType: []int{0, 0, 0, 0, 0}, BaseWeights: make([]float32, 5),
	}
	trees := []tree{leaf(0.5), deep, leaf(-0.25), deep, deep}
	m, err := treeeval.Parse(doc(t, treeeval.ObjectiveBinaryLogitRaw, 0, 1, trees, make([]int, 5), nil))
	require.NoError(t, err)
	for x, leaves := range map[float64]float64{-2: 0.125, -0.5: 0.25, 5: 0.375} {
		got, err := m.PredictProba([]float64{x}, 1)
		require.NoError(t, err)
		// binary:logitraw starts from base_score itself, 0.5.
		assert.InDelta(t, sigmoid(0.5+0.5-0.25+3*leaves), got[0], 1e-12, "x0 = %v", x)
	}
}
