package tune

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var mixedSpace = Space{
	{"learning_rate", LogUniform(0.001, 0.3)},
	{"l2", Uniform(0, 0.01)},
	{"batch_size", Choice(64, 128, 256)},
	{"epochs", IntUniform(10, 60)},
	{"optimizer", Choice("adam", "sgd")},
}

func TestSampleIsDeterministicForASeed(t *testing.T) {
	a, err := Sample(mixedSpace, 20, 42)
	require.NoError(t, err)
	b, err := Sample(mixedSpace, 20, 42)
	require.NoError(t, err)
	c, err := Sample(mixedSpace, 20, 43)
	require.NoError(t, err)

	require.Len(t, a, 20)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, c)
	for i, tr := range a {
		assert.Equal(t, i, tr.ID)
		names := make([]string, len(tr.Params))
		for j, p := range tr.Params {
			names[j] = p.Name
		}
		assert.Equal(t, []string{"learning_rate", "l2", "batch_size", "epochs", "optimizer"}, names)
	}
}

func TestSampleStaysWithinBounds(t *testing.T) {
	trials, err := Sample(mixedSpace, 5000, 7)
	require.NoError(t, err)
	var lrs []float64
	epochsSeen := map[float64]bool{}
	for _, tr := range trials {
		lr, _ := tr.Value("learning_rate")
		l2, _ := tr.Value("l2")
		bs, _ := tr.Value("batch_size")
		ep, _ := tr.Value("epochs")
		opt, _ := tr.Value("optimizer")
		assert.True(t, lr.(float64) >= 0.001 && lr.(float64) <= 0.3, "learning_rate %v", lr)
		assert.True(t, l2.(float64) >= 0 && l2.(float64) <= 0.01, "l2 %v", l2)
		assert.Contains(t, []any{64.0, 128.0, 256.0}, bs)
		assert.Contains(t, []any{"adam", "sgd"}, opt)
		e := ep.(float64)
		assert.True(t, e >= 10 && e <= 60 && e == math.Trunc(e), "epochs %v", e)
		epochsSeen[e] = true
		lrs = append(lrs, lr.(float64))
	}
	// Both inclusive bounds of int_uniform come up in 5000 draws of 51 values.
	assert.True(t, epochsSeen[10] && epochsSeen[60], "int_uniform never drew a bound")

	// Log-uniform's median is the geometric mean of its bounds,
	// sqrt(0.001*0.3) = 0.01732; a uniform draw would give about 0.15.
	slices.Sort(lrs)
	median := lrs[len(lrs)/2]
	assert.InDelta(t, 0.01732, median, 0.0026, "median %v", median)
}

func TestSampleGridIsWithoutReplacement(t *testing.T) {
	grid := Space{{"batch_size", Choice(64, 128, 256)}, {"optimizer", Choice("adam", "sgd")}}

	some, err := Sample(grid, 4, 1)
	require.NoError(t, err)
	require.Len(t, some, 4)
	assert.Len(t, distinct(some), 4)

	// n_iter larger than the 6 combinations gives each combination once.
	all, err := Sample(grid, 20, 1)
	require.NoError(t, err)
	require.Len(t, all, 6)
	assert.ElementsMatch(t, []string{
		"64/adam", "64/sgd", "128/adam", "128/sgd", "256/adam", "256/sgd",
	}, distinct(all))
	for i, tr := range all {
		assert.Equal(t, i, tr.ID)
	}
}

func distinct(trials []Trial) []string {
	var out []string
	for _, tr := range trials {
		bs, _ := tr.Value("batch_size")
		opt, _ := tr.Value("optimizer")
		k := fmt.Sprintf("%v/%v", bs, opt)
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func TestTrialsRoundTripJSON(t *testing.T) {
	trials, err := Sample(append(Space{{"class_weight", Choice(nil, "balanced")}}, mixedSpace...), 10, 3)
	require.NoError(t, err)
	b, err := json.Marshal(trials)
	require.NoError(t, err)
	var back []Trial
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, trials, back)
}

func TestSampleRejectsBadInput(t *testing.T) {
	_, err := Sample(mixedSpace, 0, 1)
	assert.ErrorContains(t, err, "n_iter is 0; it must be >= 1")
	_, err = Sample(Space{{"l2", Uniform(1, 0)}}, 3, 1)
	assert.ErrorContains(t, err, "param_distributions.l2: uniform: [1, 0]: low must be less than high")
}

// ParamText is what activity summaries, stage messages and the report show
// for a trial: people read it, so floats are rounded to 4 significant
// digits and a null is the base config's value.
func TestParamTextIsOneLineOfNameValuePairs(t *testing.T) {
	ps := []ParamValue{{"learning_rate", 0.0123}, {"batch_size", 128.0}, {"optimizer", "adam"}, {"l2", nil}, {"epochs", 1e21}}
	assert.Equal(t, "learning_rate=0.0123 batch_size=128 optimizer=adam l2=default epochs=1e+21", ParamText(ps))
	assert.Equal(t, "", ParamText(nil))
}

func TestParamTextRoundsSampledFloats(t *testing.T) {
	ps := []ParamValue{{"learning_rate", 0.02296746416136489}, {"l2", 0.00012345678}, {"dropout", 0.25}, {"hidden_units", 64}}
	assert.Equal(t, "learning_rate=0.02297 l2=0.0001235 dropout=0.25 hidden_units=64", ParamText(ps))
}
