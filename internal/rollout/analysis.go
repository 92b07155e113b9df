package rollout

import (
	"fmt"
	"strings"
)

// Verdict is an analysis's outcome.
type Verdict string

// Verdicts, worst first: one failed check fails the analysis; otherwise one
// inconclusive check (too few samples) makes it inconclusive.
const (
	VerdictFail         Verdict = "fail"
	VerdictInconclusive Verdict = "inconclusive"
	VerdictPass         Verdict = "pass"
)

// Check is one criterion's outcome. Rates, accuracy and F1 are fractions
// (0.021 = 2.1%); for p99_latency Canary and Baseline are seconds and Limit
// the allowed ratio. An inconclusive check leaves its values at 0 and says
// in Detail what it still needs. A check not judged for want of data
// (production p99 of 0, no probabilities at all) passes and says so.
type Check struct {
	// Name is stable, for code and dashboards: error_rate, p99_latency,
	// accuracy, f1, psi or agreement.
	Name         string `json:"name"`
	Passed       bool   `json:"passed"`
	Inconclusive bool   `json:"inconclusive"`
	// Canary is the candidate's value (the canary's or the shadow's);
	// Baseline is production's. For psi and agreement, which are already a
	// comparison, Canary holds it and Baseline is 0.
	Canary   float64 `json:"canary"`
	Baseline float64 `json:"baseline"`
	Limit    float64 `json:"limit"`
	// Detail is for people, e.g. "error rate 2.1% vs 0.4% (limit +1.0 pt)".
	Detail string `json:"detail"`
}

// Analysis is one analysis interval's verdict and the checks behind it.
type Analysis struct {
	Verdict Verdict `json:"verdict"`
	Checks  []Check `json:"checks"`
	// Summary is one line for the Web UI and the CLI, naming every failed
	// and inconclusive check, and where the figures came from.
	Summary string `json:"summary"`
	// Source, Replicas and Warning say where the figures came from; see
	// Provenance. Empty when the caller did not say.
	Source   string   `json:"source,omitempty"`
	Replicas []string `json:"replicas,omitempty"`
	Warning  string   `json:"warning,omitempty"`
}

// Failed returns the names of the failed checks, in check order.
func (a Analysis) Failed() []string {
	return a.names(func(c Check) bool { return !c.Passed && !c.Inconclusive })
}

// InconclusiveChecks returns the names of the inconclusive checks.
func (a Analysis) InconclusiveChecks() []string {
	return a.names(func(c Check) bool { return c.Inconclusive })
}

func (a Analysis) names(keep func(Check) bool) []string {
	var out []string
	for _, c := range a.Checks {
		if keep(c) {
			out = append(out, c.Name)
		}
	}
	return out
}

// newAnalysis derives the verdict and summary from checks; who names the
// comparison, e.g. "canary v3 vs production v2".
func newAnalysis(who string, checks []Check) Analysis {
	verdict := VerdictPass
	var notes []string
	// Failures first: they are what a reader must act on.
	for _, c := range checks {
		if !c.Passed && !c.Inconclusive {
			verdict = VerdictFail
			notes = append(notes, fmt.Sprintf("%s failed: %s", c.Name, c.Detail))
		}
	}
	for _, c := range checks {
		if c.Inconclusive {
			if verdict == VerdictPass {
				verdict = VerdictInconclusive
			}
			notes = append(notes, fmt.Sprintf("%s inconclusive: %s", c.Name, c.Detail))
		}
	}
	summary := fmt.Sprintf("%s (%s): ", verdict, who)
	if len(notes) == 0 {
		summary += fmt.Sprintf("all %d checks passed", len(checks))
	} else {
		summary += strings.Join(notes, "; ")
	}
	return Analysis{Verdict: verdict, Checks: checks, Summary: summary}
}
