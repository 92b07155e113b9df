package rollout

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The summary ends with where its figures came from, and a warning when
// they may not be the whole traffic.
func TestAnalysisSaysWhereItsFiguresCameFrom(t *testing.T) {
	a := Analysis{Verdict: VerdictPass, Summary: "pass (canary v3 vs production v2): all 5 checks passed"}

	got := a.From(Provenance{Source: SourceInferenceLog, Replicas: []string{"gw-a", "gw-b"}})
	assert.Equal(t, "pass (canary v3 vs production v2): all 5 checks passed [from the inference log of 2 replicas: gw-a, gw-b]", got.Summary)
	assert.Equal(t, SourceInferenceLog, got.Source)
	assert.Equal(t, []string{"gw-a", "gw-b"}, got.Replicas)

	many := a.From(Provenance{Source: SourceInferenceLog, Replicas: []string{"a", "b", "c", "d", "e", "f"}})
	assert.Contains(t, many.Summary, "[from the inference log of 6 replicas: a, b, c, d, and 2 more]")
	assert.Contains(t, a.From(Provenance{Source: SourceInferenceLog}).Summary, "[from the inference log: no replica logged a request yet]")

	gw := a.From(Provenance{Source: SourceGateway, Warning: "the gateway writes no inference log"})
	assert.Contains(t, gw.Summary, "[from the counters of the one gateway the rollout steers; warning: the gateway writes no inference log]")
	assert.Equal(t, "the gateway writes no inference log", gw.Warning)

	assert.Equal(t, a, a.From(Provenance{}), "no source, nothing said")
	assert.Equal(t, "pass (canary v3 vs production v2): all 5 checks passed", a.Summary, "the original is not changed")
}
