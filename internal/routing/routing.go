// Package routing defines how the gateway splits one model's traffic
// between its production version and a candidate (canary or shadow), and
// the per-variant counters a rollout analyses. The gateway, the admin API's
// clients and the rollout workflows share these types; they carry no
// behaviour beyond arithmetic on the counters.
package routing

import (
	"fmt"
	"math"
	"time"
)

// Modes a candidate can run in.
const (
	// ModeNone: production serves everything.
	ModeNone = ""
	// ModeCanary: the candidate serves Weight percent of requests.
	ModeCanary = "canary"
	// ModeShadow: the candidate sees Mirror percent of requests, copied
	// asynchronously; its answers are logged and compared, never returned.
	ModeShadow = "shadow"
)

// Variants name who answered (or, for the shadow, who also scored) a request.
const (
	VariantProduction = "production"
	VariantCanary     = "canary"
	VariantShadow     = "shadow"
)

// Routing is one model's traffic split. The gateway persists it in the
// artifact store, so a restarted gateway routes as before.
type Routing struct {
	Model string `json:"model"`
	// Candidate is the registry version under test; 0 when none.
	Candidate int    `json:"candidate,omitempty"`
	Mode      string `json:"mode,omitempty"`
	// Weight is the percentage (0–100) of requests the canary answers.
	Weight float64 `json:"weight,omitempty"`
	// Mirror is the percentage (0–100) of requests copied to the shadow.
	Mirror float64 `json:"mirror,omitempty"`
	// StickyKey names a row field (e.g. customer_id) whose value pins a
	// caller to one variant; the X-Route-Key header does the same.
	StickyKey string `json:"sticky_key,omitempty"`
	// Epoch counts changes; the gateway assigns it, and per-variant stats
	// start from zero with each epoch.
	Epoch     int64     `json:"epoch,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitempty"`
	// Reason says why the routing changed, e.g. "canary step 2: 25%".
	Reason string `json:"reason,omitempty"`
}

// Validate checks a routing request and says what to fix.
func (r Routing) Validate() error {
	switch r.Mode {
	case ModeNone:
		if r.Candidate != 0 || r.Weight != 0 || r.Mirror != 0 {
			return fmt.Errorf("routing: mode is empty (production only) but candidate, weight or mirror is set")
		}
	case ModeCanary:
		if r.Candidate <= 0 {
			return fmt.Errorf("routing: canary needs a candidate version")
		}
		if r.Weight < 0 || r.Weight > 100 || math.IsNaN(r.Weight) {
			return fmt.Errorf("routing: weight %v must be between 0 and 100", r.Weight)
		}
	case ModeShadow:
		if r.Candidate <= 0 {
			return fmt.Errorf("routing: shadow needs a candidate version")
		}
		if r.Mirror <= 0 || r.Mirror > 100 || math.IsNaN(r.Mirror) {
			return fmt.Errorf("routing: mirror %v must be above 0 and at most 100", r.Mirror)
		}
	default:
		return fmt.Errorf("routing: unknown mode %q; use canary, shadow or leave it empty", r.Mode)
	}
	return nil
}

// Feedback is late ground truth for a logged prediction.
type Feedback struct {
	RequestID string `json:"request_id"`
	// Row is the row's index within the request (default 0).
	Row int `json:"row,omitempty"`
	// Label is the true label, as the data spells it.
	Label string `json:"label"`
	// Value is a business value attached to the outcome (e.g. revenue).
	Value float64 `json:"value,omitempty"`
}

// Stats are one model's per-variant counters since the routing epoch began.
type Stats struct {
	Model    string         `json:"model"`
	Routing  Routing        `json:"routing"`
	Since    time.Time      `json:"since"`
	Variants []VariantStats `json:"variants"`
}

// Variant returns the named variant's counters (zero if absent).
func (s Stats) Variant(name string) VariantStats {
	for _, v := range s.Variants {
		if v.Variant == name {
			return v
		}
	}
	return VariantStats{Variant: name}
}

// ProbabilityBins is the number of equal-width probability bins counted
// per variant, for comparing prediction distributions.
const ProbabilityBins = 10

// VariantStats counts one variant's traffic. Latency quantiles come from
// the gateway's histogram.
type VariantStats struct {
	Variant string `json:"variant"`
	Version int    `json:"version"`
	// Requests and Errors (5xx answers) count requests; Rows counts
	// scored rows.
	Requests int64 `json:"requests"`
	Errors   int64 `json:"errors"`
	Rows     int64 `json:"rows"`
	// P50 and P99 are request latencies in seconds.
	P50 float64 `json:"p50_seconds"`
	P99 float64 `json:"p99_seconds"`
	// Positives counts rows predicted positive; Probabilities is the
	// histogram of predicted probabilities in ProbabilityBins bins.
	Positives     int64                  `json:"positives"`
	Probabilities [ProbabilityBins]int64 `json:"probabilities"`
	// Feedback joined to this variant's predictions.
	Feedback int64   `json:"feedback"`
	TP       int64   `json:"tp"`
	FP       int64   `json:"fp"`
	FN       int64   `json:"fn"`
	TN       int64   `json:"tn"`
	Value    float64 `json:"value"`
	// Shadow only: rows compared with production, and how many agreed.
	Compared int64 `json:"compared,omitempty"`
	Agreed   int64 `json:"agreed,omitempty"`
	// Classes names a multi-class model's classes; empty for a binary one,
	// whose feedback is in TP, FP, FN and TN. For a multi-class model those
	// stay 0 and PerClass counts, in Classes order, the rows predicted as
	// each class and its one-vs-rest feedback.
	Classes  []string      `json:"classes,omitempty"`
	PerClass []ClassCounts `json:"per_class,omitempty"`
}

// ClassCounts are one class's counts in a multi-class variant's stats:
// rows predicted as it, and joined feedback scored one-vs-rest.
type ClassCounts struct {
	Predicted int64 `json:"predicted"`
	TP        int64 `json:"tp"`
	FP        int64 `json:"fp"`
	FN        int64 `json:"fn"`
}

// ErrorRate is Errors/Requests (NaN without requests).
func (v VariantStats) ErrorRate() float64 { return ratio(v.Errors, v.Requests) }

// MultiClass reports whether the variant serves a model of three or more
// classes.
func (v VariantStats) MultiClass() bool { return len(v.Classes) >= 3 }

// Accuracy on joined feedback (NaN without feedback).
func (v VariantStats) Accuracy() float64 {
	if v.MultiClass() {
		var correct int64
		for _, c := range v.PerClass {
			correct += c.TP
		}
		return ratio(correct, v.Feedback)
	}
	return ratio(v.TP+v.TN, v.Feedback)
}

// F1 on joined feedback: the positive class's for a binary model, the
// macro average over classes for a multi-class one (classes with neither
// feedback nor predictions among the joined rows are left out, as
// scikit-learn leaves out labels absent from both). NaN when there is
// nothing to score.
func (v VariantStats) F1() float64 {
	if !v.MultiClass() {
		return ratio(2*v.TP, 2*v.TP+v.FP+v.FN)
	}
	var sum float64
	var n int
	for _, c := range v.PerClass {
		if c.TP+c.FP+c.FN > 0 {
			sum += ratio(2*c.TP, 2*c.TP+c.FP+c.FN)
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// F1Rows is how many joined outcomes F1 is made of, for judging its
// noise: TP+FP+FN for a binary model, the feedback for a multi-class one.
func (v VariantStats) F1Rows() int64 {
	if v.MultiClass() {
		return v.Feedback
	}
	return v.TP + v.FP + v.FN
}

// PositiveRate is the fraction of rows predicted positive.
func (v VariantStats) PositiveRate() float64 { return ratio(v.Positives, v.Rows) }

// Agreement is the shadow's agreement with production.
func (v VariantStats) Agreement() float64 { return ratio(v.Agreed, v.Compared) }

// ValuePerFeedback is the business value per joined outcome.
func (v VariantStats) ValuePerFeedback() float64 {
	if v.Feedback == 0 {
		return math.NaN()
	}
	return v.Value / float64(v.Feedback)
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}
