package serving

import (
	"fmt"
	"net/http"
	"time"
)

// scoreError is a failed prediction and the status to answer it with.
type scoreError struct {
	code int
	msg  string
}

// score routes one request's rows to a variant and predicts, then logs the
// rows for feedback and, when the request is mirrored, queues it for the
// shadow without waiting. The variant is returned even on failure, so that
// the failure is counted against whoever failed.
func (g *Gateway) score(r *http.Request, s *served, rows []map[string]any, reqID string) (*variant, []Prediction, *scoreError) {
	v, mirror := s.pick(routeKey(r, s.routing, rows))
	preds, err := safePredict(v.predictor, rows)
	if err != nil {
		return v, nil, &scoreError{http.StatusBadRequest, fmt.Sprintf("model %s version %d: %v", s.model, v.version.Version, err)}
	}
	if len(preds) != len(rows) {
		return v, nil, &scoreError{http.StatusInternalServerError, fmt.Sprintf("model %s version %d returned %d predictions for %d rows", s.model, v.version.Version, len(preds), len(rows))}
	}
	v.epoch.scored(preds, v.positive)
	var shadow *scoring
	if mirror {
		shadow = s.candidate.scoring
	}
	g.log.record(s.model, reqID, v.scoring, shadow, preds)
	if mirror && !g.shadow.submit(shadowJob{model: s.model, shadow: s.candidate, rows: rows, production: preds, requestID: reqID}) {
		s.counters.shadowDropped.Add(1)
	}
	return v, preds, nil
}

// finish counts an answered request against the variant that answered it.
func finish(v *variant, code, rows int, d time.Duration) {
	v.total.observe(code, rows, d)
	v.epoch.request(code, d)
}

// safePredict turns a predictor panic into an error for this request alone.
func safePredict(p Predictor, rows []map[string]any) (preds []Prediction, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("predictor panicked: %v", r)
		}
	}()
	return p.Predict(rows)
}
