package rollout

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mlpipe/mlpipe/internal/routing"
)

// A multi-class variant is compared on what means the same for both sides:
// accuracy always; macro F1 and the predicted-class mix (PSI over classes)
// only when both variants predict the same classes. Against a binary
// production model, or one with other classes, those checks are
// inconclusive with the reason, so the rollout pauses for a person
// instead of judging numbers that do not compare.

// multiClass reports whether either variant is multi-class.
func (p pair) multiClass() bool { return p.cand.MultiClass() || p.base.MultiClass() }

// classMismatch says why the variants' classes cannot be compared, or "".
func (p pair) classMismatch() string {
	cs, bs := slices.Sorted(slices.Values(p.cand.Classes)), slices.Sorted(slices.Values(p.base.Classes))
	if slices.Equal(cs, bs) {
		return ""
	}
	return fmt.Sprintf("%s predicts %s, production %s", version(p.name, p.cand.Version), classNames(p.cand), classNames(p.base))
}

func classNames(v routing.VariantStats) string {
	if !v.MultiClass() {
		return "a binary label"
	}
	return fmt.Sprintf("%d classes (%s)", len(v.Classes), strings.Join(v.Classes, ", "))
}

// classPSICheck compares the share of rows predicted as each class.
func classPSICheck(p pair, c Criteria) Check {
	if chk, ok := p.enoughRequests(CheckPSI, c); !ok {
		return chk
	}
	if why := p.classMismatch(); why != "" {
		return inconclusive(CheckPSI, "not comparable: "+why)
	}
	classes := p.base.Classes
	expected, actual := classCounts(p.base, classes), classCounts(p.cand, classes)
	ct, bt := sum(actual), sum(expected)
	switch {
	case ct < c.MinPSIRows:
		return inconclusive(CheckPSI, fmt.Sprintf("%d %s rows scored, need %d for PSI", ct, p.name, c.MinPSIRows))
	case bt < c.MinPSIRows:
		return inconclusive(CheckPSI, fmt.Sprintf("%d production rows scored, need %d for PSI", bt, c.MinPSIRows))
	}
	v := psiOf(expected, actual)
	margin := c.psiNoiseBins(ct, bt, len(classes))
	return Check{
		Name: CheckPSI, Passed: v <= c.MaxPSI+margin+slack, Canary: v, Limit: c.MaxPSI,
		Detail: fmt.Sprintf("PSI of predicted classes %.3f (limit %.3f, noise margin %.3f)", v, c.MaxPSI, margin),
	}
}

// classCounts lists v's predicted-row counts in the order of classes.
func classCounts(v routing.VariantStats, classes []string) []int64 {
	out := make([]int64, len(classes))
	for i, name := range classes {
		if k := slices.Index(v.Classes, name); k >= 0 && k < len(v.PerClass) {
			out[i] = v.PerClass[k].Predicted
		}
	}
	return out
}
