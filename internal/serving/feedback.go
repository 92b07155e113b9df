package serving

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/mlpipe/mlpipe/internal/routing"
)

// maxFeedbackErrors bounds the messages returned for refused feedback.
const maxFeedbackErrors = 10

// feedbackResponse says how a batch of feedback was joined. Unknown counts
// request IDs and rows not in the prediction log (never logged, or
// forgotten); Duplicate counts rows that already had feedback; Invalid
// counts feedback refused, with the first few reasons in Errors.
type feedbackResponse struct {
	Joined    int      `json:"joined"`
	Unknown   int      `json:"unknown"`
	Duplicate int      `json:"duplicate"`
	Invalid   int      `json:"invalid"`
	Errors    []string `json:"errors,omitempty"`
}

// handleFeedback serves POST /v1/models/{name}/feedback: one routing.Feedback
// or a JSON list of them. Feedback that does not join is counted in the
// answer, not an error for the batch.
func (g *Gateway) handleFeedback(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s := g.table.Load().models[name]
	if s == nil {
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("model %q is not served: it is not in the registry or has no %s version", name, g.opts.Alias))
		return
	}
	items, err := readFeedback(http.MaxBytesReader(w, r.Body, g.opts.MaxBodyBytes))
	if err != nil {
		code := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			code = http.StatusRequestEntityTooLarge
		}
		writeError(w, r, code, err.Error())
		return
	}
	var resp feedbackResponse
	refuse := func(i int, msg string) {
		resp.Invalid++
		if len(resp.Errors) < maxFeedbackErrors {
			resp.Errors = append(resp.Errors, fmt.Sprintf("feedback %d: %s", i, msg))
		}
	}
	for i, fb := range items {
		if fb.RequestID == "" || fb.Row < 0 {
			refuse(i, fmt.Sprintf("request_id must be set and row (%d) must not be negative", fb.Row))
			continue
		}
		e, res, err := g.log.join(name, fb.RequestID, fb.Row, func(e logEntry) error { return checkLabel(e.v, fb.Label) })
		switch {
		case res == joinUnknown:
			resp.Unknown++
			s.counters.feedbackUnknown.Add(1)
		case res == joinDuplicate:
			resp.Duplicate++
		case err != nil:
			refuse(i, fmt.Sprintf("request %s row %d: %v", fb.RequestID, fb.Row, err))
		default:
			resp.Joined++
			score(e, fb)
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// score counts feedback against the prediction that was served and, for a
// mirrored request, the shadow's. The outcome's value belongs to what the
// caller was actually given, so only the served variant sums it.
func score(e logEntry, fb routing.Feedback) {
	e.v.epoch.outcome(e.label, fb.Label, e.positive, fb.Value, true)
	e.v.total.feedback(fb.Label == e.label)
	if e.shadow != nil && e.shadowDone && checkLabel(e.shadow, fb.Label) == nil {
		e.shadow.epoch.outcome(e.shadowLabel, fb.Label, e.shadowPositive, 0, false)
		e.shadow.total.feedback(fb.Label == e.shadowLabel)
	}
}

// checkLabel refuses a label that is not a class of the model, when the
// model says what its classes are: a typo, or a class the model was never
// trained on, would otherwise count as a wrong prediction.
func checkLabel(v *scoring, label string) error {
	if v.classList != nil {
		if slices.Contains(v.classList, label) {
			return nil
		}
		return fmt.Errorf("label %q is not a class of version %d (%s)", label, v.number, strings.Join(v.classList, ", "))
	}
	if v.classes == nil || label == v.classes[0] || label == v.classes[1] {
		return nil
	}
	return fmt.Errorf("label %q is neither class of version %d (%q, %q)", label, v.number, v.classes[0], v.classes[1])
}

// readFeedback decodes one feedback object or a list of them.
func readFeedback(body io.Reader) ([]routing.Feedback, error) {
	const shape = `send {"request_id": "...", "row": 0, "label": "...", "value": 0} or a list of them`
	data, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, fmt.Errorf("request body is over %d bytes: send fewer feedback items per request: %w", tooBig.Limit, err)
		}
		return nil, fmt.Errorf("read body: %w", err)
	}
	data = bytes.TrimSpace(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var items []routing.Feedback
	if len(data) > 0 && data[0] == '[' {
		err = dec.Decode(&items)
	} else {
		var one routing.Feedback
		err = dec.Decode(&one)
		items = []routing.Feedback{one}
	}
	if err != nil {
		return nil, fmt.Errorf("invalid JSON body: %v; %s", err, shape)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("no feedback: %s", shape)
	}
	return items, nil
}
