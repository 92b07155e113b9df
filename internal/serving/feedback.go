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
	"time"

	"github.com/mlpipe/mlpipe/internal/inferlog"
	"github.com/mlpipe/mlpipe/internal/routing"
)

// maxFeedbackErrors bounds the messages returned for refused feedback.
const maxFeedbackErrors = 10

// feedbackResponse says what became of a batch of feedback. Logged counts
// the items written to the durable feedback log, which the monitor joins
// to the predictions of every replica, however late; NotLogged those the
// log dropped because its queue was full. Joined, Unknown and Duplicate
// are this gateway's own join, over the predictions it still holds in
// memory, which feeds the canary and shadow counters: Unknown means this
// replica does not hold the prediction (another replica made it, it was
// made before a restart, or it was forgotten), not that it was never
// made; only the monitor, reading the logs, can tell that. Invalid counts
// feedback refused (not logged), with the first few reasons in Errors.
type feedbackResponse struct {
	Joined    int      `json:"joined"`
	Unknown   int      `json:"unknown"`
	Duplicate int      `json:"duplicate"`
	Invalid   int      `json:"invalid"`
	Logged    *int     `json:"logged,omitempty"` // nil when the gateway keeps no durable log
	NotLogged int      `json:"not_logged,omitempty"`
	Errors    []string `json:"errors,omitempty"`
}

// feedbackItem is routing.Feedback with the outcome's time, which only
// the durable log keeps.
type feedbackItem struct {
	routing.Feedback
	// Value shadows the embedded one so that a value of 0 is logged as 0
	// and a missing one as null.
	Value *float64 `json:"value,omitempty"`
	// Time is when the outcome happened (RFC 3339); optional.
	Time *time.Time `json:"time,omitempty"`
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
	now := time.Now().UTC()
	var logged []inferlog.Feedback
	for i, item := range items {
		fb := item.Feedback
		if msg := feedbackProblem(item); msg != "" {
			refuse(i, msg)
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
			continue
		default:
			resp.Joined++
			score(e, fb)
		}
		logged = append(logged, logRecord(name, item, now))
	}
	if g.ilog != nil {
		n := 0
		if g.ilog.LogFeedback(logged) {
			n = len(logged)
		} else {
			resp.NotLogged = len(logged)
		}
		resp.Logged = &n
	}
	writeJSON(w, http.StatusOK, resp)
}

// feedbackProblem says what is wrong with one feedback item, or "".
func feedbackProblem(item feedbackItem) string {
	fb := item.Feedback
	switch {
	case fb.RequestID == "" || fb.Row < 0:
		return fmt.Sprintf("request_id must be set and row (%d) must not be negative", fb.Row)
	case len(fb.RequestID) > 128:
		return fmt.Sprintf("request_id is %d bytes; request IDs are at most 128", len(fb.RequestID))
	case fb.Label == "":
		return fmt.Sprintf("request %s row %d: label is empty: send the outcome as the data spells the target (e.g. \"yes\")", fb.RequestID, fb.Row)
	case len(fb.Label) > 1024:
		return fmt.Sprintf("request %s row %d: label is %d bytes; at most 1024", fb.RequestID, fb.Row, len(fb.Label))
	}
	return ""
}

// logRecord is one feedback as the durable log stores it.
func logRecord(model string, item feedbackItem, now time.Time) inferlog.Feedback {
	rec := inferlog.Feedback{RequestID: item.RequestID, Row: item.Row, Time: now, Model: model, Label: item.Label}
	if item.Value != nil {
		v := *item.Value
		rec.Value = &v
	}
	if item.Time != nil {
		rec.LabelTime = item.Time.UTC()
	}
	return rec
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
func readFeedback(body io.Reader) ([]feedbackItem, error) {
	const shape = `send {"request_id": "...", "row": 0, "label": "...", "value": 0, "time": "2026-12-05T10:00:00Z"} (value and time optional) or a list of them`
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
	var items []feedbackItem
	if len(data) > 0 && data[0] == '[' {
		err = dec.Decode(&items)
	} else {
		var one feedbackItem
		err = dec.Decode(&one)
		items = []feedbackItem{one}
	}
	if err != nil {
		return nil, fmt.Errorf("invalid JSON body: %v; %s", err, shape)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("no feedback: %s", shape)
	}
	for i := range items {
		if v := items[i].Value; v != nil {
			items[i].Feedback.Value = *v
		}
	}
	return items, nil
}
