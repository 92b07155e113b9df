package rollout

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWithDefaultsFillsOnlyZeroFields(t *testing.T) {
	c := Criteria{MinRequests: 10, MaxPSI: 0.1}.WithDefaults()
	assert.Equal(t, Criteria{
		MinRequests: 10, MinFeedback: 50, MaxErrorRateIncrease: 0.01, MaxP99Ratio: 1.5,
		MaxAccuracyDrop: 0.02, MaxF1Drop: 0.02, MaxPSI: 0.1, MinPSIRows: 200, MinAgreement: 0.9, Confidence: 0.95,
	}, c)
}

func TestValidateNamesTheField(t *testing.T) {
	assert.NoError(t, Criteria{}.Validate())
	assert.NoError(t, Criteria{}.WithDefaults().Validate())
	cases := []struct {
		c    Criteria
		want string
	}{
		{Criteria{MinFeedback: -1}, "min_feedback is -1"},
		{Criteria{MaxP99Ratio: math.NaN()}, "max_p99_ratio is NaN"},
		{Criteria{MaxPSI: -0.2}, "max_psi is -0.2"},
		{Criteria{MaxAccuracyDrop: 2}, "max_accuracy_drop is 2 but is a fraction"},
		{Criteria{MinAgreement: 90}, "min_agreement is 90 but is a fraction"},
	}
	for _, tc := range cases {
		err := tc.c.Validate()
		if assert.Error(t, err, "%+v", tc.c) {
			assert.Contains(t, err.Error(), tc.want)
		}
	}
}
