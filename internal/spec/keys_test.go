package spec_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mlpipe/mlpipe/internal/spec"
)

// rolloutLike stands for another workflow input that holds spec types, as
// a stand-alone rollout's input does.
type rolloutLike struct {
	Model      string          `json:"model"`
	Candidate  int             `json:"candidate"`
	Deployment spec.Deployment `json:"deployment"`
}

func TestDecodeInputReportsWhatAnyInputTypeWouldDrop(t *testing.T) {
	var in rolloutLike
	probs, decoded := spec.DecodeInput([]byte(`{"model":"churn","candidat":2,
		"deployment":{"strategy":"canary","steps":[{"weight":5,"hold":"1h","hodl":"2h"}],"analysis_interval":"999999d"}}`), &in)
	assert.False(t, decoded)
	assert.Equal(t, []string{
		`unknown key "candidat" (did you mean "candidate"?)`,
		`deployment.analysis_interval: duration "999999d" is too long: a duration can be at most 106751d (about 292 years); deployment.analysis_interval allows at most 24h`,
		`unknown key "deployment.steps[0].hodl" (did you mean "hold"?)`,
	}, probs)
	assert.Equal(t, "churn", in.Model, "what decodes is kept")
	assert.Equal(t, []spec.CanaryStep{{Weight: 5, Hold: spec.Duration(time.Hour)}}, in.Deployment.Steps)

	probs, decoded = spec.DecodeInput([]byte(`{"model":"churn","candidate":"two"}`), &in)
	assert.False(t, decoded)
	assert.Equal(t, []string{"cannot unmarshal string into candidate of type int"}, probs)

	probs, decoded = spec.DecodeInput([]byte(`{"model":"churn","candidate":2,"Deployment":{}}`), &in)
	assert.True(t, decoded)
	assert.Empty(t, probs, "encoding/json matches keys regardless of case, so nothing is dropped")
}
