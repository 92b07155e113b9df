package routing

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidateSaysWhatToFix(t *testing.T) {
	assert.NoError(t, Routing{}.Validate())
	assert.NoError(t, Routing{Mode: ModeCanary, Candidate: 2, Weight: 5}.Validate())
	assert.NoError(t, Routing{Mode: ModeShadow, Candidate: 2, Mirror: 100}.Validate())
	assert.ErrorContains(t, Routing{Mode: ModeCanary, Weight: 5}.Validate(), "canary needs a candidate version")
	assert.ErrorContains(t, Routing{Mode: ModeCanary, Candidate: 2, Weight: 150}.Validate(), "weight 150 must be between 0 and 100")
	assert.ErrorContains(t, Routing{Mode: ModeShadow, Candidate: 2}.Validate(), "mirror 0 must be above 0")
	assert.ErrorContains(t, Routing{Mode: "blue-green", Candidate: 2}.Validate(), `unknown mode "blue-green"`)
	assert.ErrorContains(t, Routing{Candidate: 2}.Validate(), "production only")
}

func TestVariantArithmetic(t *testing.T) {
	// 8 feedback rows: TP 3, FP 1, FN 1, TN 3 → accuracy 6/8, F1 6/(6+2).
	v := VariantStats{Requests: 10, Errors: 1, Rows: 20, Positives: 5, Feedback: 8, TP: 3, FP: 1, FN: 1, TN: 3, Value: 40, Compared: 4, Agreed: 3}
	assert.InDelta(t, 0.1, v.ErrorRate(), 1e-12)
	assert.InDelta(t, 0.75, v.Accuracy(), 1e-12)
	assert.InDelta(t, 0.75, v.F1(), 1e-12)
	assert.InDelta(t, 0.25, v.PositiveRate(), 1e-12)
	assert.InDelta(t, 0.75, v.Agreement(), 1e-12)
	assert.InDelta(t, 5, v.ValuePerFeedback(), 1e-12)
	assert.True(t, math.IsNaN(VariantStats{}.Accuracy()), "no feedback is no accuracy, not zero")
	s := Stats{Variants: []VariantStats{{Variant: VariantCanary, Requests: 3}}}
	assert.Equal(t, int64(3), s.Variant(VariantCanary).Requests)
	assert.Equal(t, VariantProduction, s.Variant(VariantProduction).Variant)
}
