package serving

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// score routes one request's rows to a variant, checks them against what
// that variant reads and predicts, then logs the rows for feedback and,
// when the request is mirrored, queues it for the shadow without waiting.
// The variant is returned even on failure, so that the failure is counted
// against whoever failed. ignored lists the keys a non-strict request sent
// that the model does not take.
func (g *Gateway) score(r *http.Request, s *served, rows []map[string]any, reqID string, strict bool, p protocol) (v *variant, preds []Prediction, ignored []string, aerr *apiError) {
	v, mirror := s.pick(routeKey(r, s.routing, rows))
	if v.schema != nil {
		if c := checkRows(v.schema, s.known, rows); c != nil {
			if kerr := c.keyProblem(v.schema, p, strict); kerr != nil {
				return v, nil, nil, kerr
			}
			if c.bad != nil {
				return v, nil, nil, valueProblem(c.bad, p, "")
			}
			ignored = c.unknown
		}
	}
	preds, err := safePredict(v.predictor, rows)
	if err != nil {
		prefix := fmt.Sprintf("model %s version %d: ", s.model, v.version.Version)
		var re *RowError
		if errors.As(err, &re) {
			return v, nil, nil, valueProblem(re, p, prefix)
		}
		return v, nil, nil, newAPIError(http.StatusBadRequest, "%s%v", prefix, err)
	}
	if len(preds) != len(rows) {
		return v, nil, nil, newAPIError(http.StatusInternalServerError, "model %s version %d returned %d predictions for %d rows", s.model, v.version.Version, len(preds), len(rows))
	}
	v.epoch.scored(preds, v.positive)
	var shadow *scoring
	if mirror {
		shadow = s.candidate.scoring
	}
	g.log.record(s.model, reqID, v.scoring, shadow, preds)
	if mirror {
		g.mirror(s, rows, preds, reqID)
	}
	return v, preds, ignored, nil
}

// mirror queues a request for the shadow. Queued rows are held against
// their own budget, so a slow shadow bounds its backlog without taking
// room from live requests; a mirror that finds either full is dropped.
func (g *Gateway) mirror(s *served, rows []map[string]any, preds []Prediction, reqID string) {
	if !g.shadowRows.take(len(rows)) {
		s.counters.shadowDropped.Add(1)
		return
	}
	if !g.shadow.submit(shadowJob{model: s.model, shadow: s.candidate, rows: rows, production: preds, requestID: reqID}) {
		g.shadowRows.give(len(rows))
		s.counters.shadowDropped.Add(1)
	}
}

// finish counts an answered request against the variant that answered it.
// A request shed because the gateway held its limit of rows counts only as
// shed: it says nothing about either version, and a canary's analysis must
// not read it as a model's error.
func (g *Gateway) finish(v *variant, code, rows int, d time.Duration) {
	if code == http.StatusServiceUnavailable {
		g.metrics.shed.Add(1)
		return
	}
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
