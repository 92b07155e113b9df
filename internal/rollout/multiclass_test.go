package rollout

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/routing"
)

// plans is a 3-class variant: 1000 rows predicted 500/300/200; 200
// feedback, 160 right. Per class (TP, FP, FN): basic (80, 10, 10), plus
// (50, 15, 15), premium (30, 15, 15): accuracy 0.8, macro F1
// (160/180 + 100/130 + 60/90)/3 = 0.7749.
func plans(name string, version int) routing.VariantStats {
	return routing.VariantStats{
		Variant: name, Version: version,
		Requests: 1000, Errors: 5, Rows: 1000, P50: 0.05, P99: 0.2,
		Probabilities: [routing.ProbabilityBins]int64{0, 0, 0, 100, 200, 300, 200, 100, 50, 50},
		Feedback:      200,
		Classes:       []string{"basic", "plus", "premium"},
		PerClass: []routing.ClassCounts{
			{Predicted: 500, TP: 80, FP: 10, FN: 10},
			{Predicted: 300, TP: 50, FP: 15, FN: 15},
			{Predicted: 200, TP: 30, FP: 15, FN: 15},
		},
	}
}

func TestMultiClassVariantStatsScoreAccuracyAndMacroF1(t *testing.T) {
	v := plans(routing.VariantProduction, 1)
	assert.InDelta(t, 0.8, v.Accuracy(), 1e-12)
	assert.InDelta(t, (160.0/180+100.0/130+60.0/90)/3, v.F1(), 1e-12)
	assert.Equal(t, int64(200), v.F1Rows())
	assert.True(t, math.IsNaN(routing.VariantStats{Classes: v.Classes, PerClass: make([]routing.ClassCounts, 3)}.F1()))
}

func TestMultiClassCanaryLikeProductionPasses(t *testing.T) {
	a := AnalyzeCanary(stats(plans(routing.VariantProduction, 1), plans(routing.VariantCanary, 2)), Criteria{})
	assert.Equal(t, VerdictPass, a.Verdict, a.Summary)
	assert.Contains(t, check(t, a, CheckF1).Detail, "macro F1 0.775 vs 0.775")
	assert.Contains(t, check(t, a, CheckPSI).Detail, "PSI of predicted classes 0.000")
}

func TestMultiClassCanaryThatLosesAClassFails(t *testing.T) {
	c := plans(routing.VariantCanary, 2)
	// It stopped predicting premium: premium rows go to plus.
	c.PerClass = []routing.ClassCounts{
		{Predicted: 500, TP: 80, FP: 10, FN: 10},
		{Predicted: 500, TP: 50, FP: 60, FN: 15},
		{Predicted: 0, TP: 0, FP: 0, FN: 45},
	}
	a := AnalyzeCanary(stats(plans(routing.VariantProduction, 1), c), Criteria{})
	assert.Equal(t, VerdictFail, a.Verdict)
	assert.Equal(t, []string{CheckAccuracy, CheckF1, CheckPSI}, a.Failed(), a.Summary)
	assert.InDelta(t, 0.65, check(t, a, CheckAccuracy).Canary, 1e-12)
}

func TestMultiClassAgainstOtherClassesIsNotComparedBlind(t *testing.T) {
	c := plans(routing.VariantCanary, 2)
	c.Classes = []string{"basic", "plus", "premium", "enterprise"}
	c.PerClass = append(c.PerClass, routing.ClassCounts{})
	a := AnalyzeCanary(stats(plans(routing.VariantProduction, 1), c), Criteria{})
	require.Equal(t, VerdictInconclusive, a.Verdict, "a person must judge: the rollout pauses")
	f1 := check(t, a, CheckF1)
	assert.True(t, f1.Inconclusive)
	assert.Equal(t, "macro F1 not comparable: canary v2 predicts 4 classes (basic, plus, premium, enterprise), production 3 classes (basic, plus, premium)", f1.Detail)
	assert.True(t, check(t, a, CheckPSI).Inconclusive)
	assert.False(t, check(t, a, CheckAccuracy).Inconclusive, "accuracy on the same traffic compares whatever the classes")

	// A multi-class canary over a binary production model: the same.
	a = AnalyzeCanary(stats(production(), plans(routing.VariantCanary, 3)), Criteria{})
	assert.Contains(t, check(t, a, CheckF1).Detail, "production a binary label")
	assert.True(t, check(t, a, CheckPSI).Inconclusive)

	// Listed in another order, the classes are the same classes.
	c = plans(routing.VariantCanary, 2)
	c.Classes[0], c.Classes[2] = c.Classes[2], c.Classes[0]
	c.PerClass[0], c.PerClass[2] = c.PerClass[2], c.PerClass[0]
	a = AnalyzeCanary(stats(plans(routing.VariantProduction, 1), c), Criteria{})
	assert.Equal(t, VerdictPass, a.Verdict, a.Summary)
}

func TestMultiClassShadowComparesTheSameWay(t *testing.T) {
	sh := plans(routing.VariantShadow, 2)
	sh.Compared, sh.Agreed = 1000, 950
	a := AnalyzeShadow(stats(plans(routing.VariantProduction, 1), sh), Criteria{})
	assert.Equal(t, VerdictPass, a.Verdict, a.Summary)
	assert.Contains(t, check(t, a, CheckF1).Detail, "macro F1")
}
