package metrics

import (
	"encoding/json"
	"math"
)

// CurvePoint is one point of a ROC or precision–recall curve. For ROC, X is
// the false positive rate and Y the true positive rate; for PR, X is recall
// and Y precision. Threshold follows scikit-learn's curves: a sample counts
// as positive when its score is ≥ Threshold (unlike Binary's strict >). The
// end point where nothing is predicted positive has Threshold +Inf, written
// to JSON as null.
type CurvePoint struct {
	X         float64 `json:"x"`
	Y         float64 `json:"y"`
	Threshold float64 `json:"threshold"`
}

// ROC is scikit-learn's roc_curve with drop_intermediate=False: one point
// per distinct score, highest first, after the starting point (0, 0) at
// threshold +Inf; FPR and TPR never decrease. Nil when yTrue holds a single
// class (one rate would be 0/0) or the input fails Validate.
func ROC(yTrue, proba []float64) []CurvePoint {
	s, pos, neg := curveInput(yTrue, proba)
	if s == nil || pos == 0 || neg == 0 {
		return nil
	}
	out := []CurvePoint{{X: 0, Y: 0, Threshold: math.Inf(1)}}
	s.walk(func(score float64, tp, fp int) {
		out = append(out, CurvePoint{X: float64(fp) / float64(neg), Y: float64(tp) / float64(pos), Threshold: score})
	})
	return out
}

// PR is scikit-learn's precision_recall_curve: one point per distinct score
// in increasing threshold order (so recall never increases), ending with
// recall 0, precision 1 at threshold +Inf. Nil when yTrue holds no positive
// (recall would be 0/0) or the input fails Validate.
func PR(yTrue, proba []float64) []CurvePoint {
	s, pos, _ := curveInput(yTrue, proba)
	if s == nil || pos == 0 {
		return nil
	}
	var out []CurvePoint
	s.walk(func(score float64, tp, fp int) {
		out = append(out, CurvePoint{X: float64(tp) / float64(pos), Y: float64(tp) / float64(tp+fp), Threshold: score})
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return append(out, CurvePoint{X: 0, Y: 1, Threshold: math.Inf(1)})
}

func curveInput(yTrue, proba []float64) (s *scorer, pos, neg int) {
	// Any threshold in [0, 1] will do: curves do not use it.
	if Validate(yTrue, proba, 0.5) != nil {
		return nil, 0, 0
	}
	for _, y := range yTrue {
		if y == 1 {
			pos++
		}
	}
	return newScorer(yTrue, proba), pos, len(yTrue) - pos
}

// walk calls f once per distinct score, highest first, with the true and
// false positives among rows scoring at least that much.
func (s *scorer) walk(f func(score float64, tp, fp int)) {
	tp, fp, k := 0, 0, 0
	for _, end := range s.groupEnd {
		for ; k < end; k++ {
			tp += int(s.y[k])
			fp += 1 - int(s.y[k])
		}
		f(s.p[end-1], tp, fp)
	}
}

type curvePointJSON struct {
	X         float64  `json:"x"`
	Y         float64  `json:"y"`
	Threshold *float64 `json:"threshold"`
}

// MarshalJSON writes the +Inf threshold of a curve's end point as null.
func (c CurvePoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(curvePointJSON{X: c.X, Y: c.Y, Threshold: finite(c.Threshold)})
}

// UnmarshalJSON reads a null threshold back as +Inf.
func (c *CurvePoint) UnmarshalJSON(b []byte) error {
	var w curvePointJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = CurvePoint{X: w.X, Y: w.Y, Threshold: orElse(w.Threshold, math.Inf(1))}
	return nil
}
