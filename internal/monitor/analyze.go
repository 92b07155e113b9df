package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/drift"
	"github.com/mlpipe/mlpipe/internal/perfest"
	"github.com/mlpipe/mlpipe/internal/profile"
)

// Input is what Analyze needs besides the window's tables.
type Input struct {
	Model        string
	ModelVersion int
	From, To     time.Time
	// Reference is the training data's profile; nil when the version has
	// none (drift and range checks are then skipped, with a note).
	Reference *profile.Profile
	// Target is the label column of the reference (left out of the
	// features); Positive its positive value for a binary model.
	Target, Positive string
	Drift            drift.Config
	// Suite is the pipeline's expectation suite, run on the window's
	// inputs; nil when the version recorded no spec.
	Suite *Suite
	// Calibration maps the served probabilities to calibrated ones before
	// the label-free estimate (fitted on the evaluation's test split);
	// nil leaves them raw, and CalibrationNote then says why.
	Calibration     *perfest.Calibrator
	CalibrationNote string
}

// Analyze measures the window in db, which holds the inference log's
// views predictions, feedback and joined (internal/inferlog), into s. Its
// Traffic counts must already be set; an empty window gives the verdict
// "no traffic".
func Analyze(ctx context.Context, db *sql.DB, in Input, s *Snapshot) error {
	s.Version, s.Model, s.ModelVersion = SnapshotVersion, in.Model, in.ModelVersion
	s.WindowStart, s.WindowEnd = in.From.UTC(), in.To.UTC()
	s.Drift.Config = in.Drift
	if s.Traffic.Predictions == 0 {
		s.Verdict = VerdictNoTraffic
		s.Summary = fmt.Sprintf("no traffic: no prediction was logged between %s and %s", s.WindowStart.Format(time.RFC3339), s.WindowEnd.Format(time.RFC3339))
		if s.Traffic.UnknownFeedback > 0 {
			s.Summary += fmt.Sprintf("; %d feedback for unknown request IDs", s.Traffic.UnknownFeedback)
		}
		return nil
	}
	cols, err := readInputs(ctx, db, in)
	if err != nil {
		return err
	}
	quality(in, cols, s)
	if err := runSuite(ctx, db, in, s); err != nil {
		return err
	}
	if in.Reference != nil {
		if err := driftAll(ctx, db, in, cols, s); err != nil {
			return err
		}
	}
	if err := performance(ctx, db, in, s); err != nil {
		return err
	}
	if err := business(ctx, db, in, s); err != nil {
		return err
	}
	verdict(s)
	s.sanitize()
	return nil
}

// isIdentifier reports a reference string column whose every value is
// distinct (a customer ID): its drift is meaningless.
func isIdentifier(c *profile.Column) bool {
	return c.Kind == "string" && c.Count > 1 && c.Distinct >= c.Count
}

func quality(in Input, cols map[string]*column, s *Snapshot) {
	q := &s.Quality
	names := make([]string, 0, len(cols))
	for name := range cols {
		names = append(names, name)
	}
	slices.Sort(names)
	if in.Reference == nil {
		s.ReferenceNote = "no reference profile recorded for this version: drift and range checks skipped"
	}
	for _, name := range names {
		c := cols[name]
		cq := ColumnQuality{Column: name, Rows: s.Traffic.Predictions, Nulls: int64(c.nulls), WrongType: c.wrongType}
		cq.NullRate = float64(c.nulls) / float64(max(1, s.Traffic.Predictions))
		var ref *profile.Column
		if in.Reference != nil {
			r, ok := in.Reference.Col(name)
			if !ok {
				q.Violations = append(q.Violations, fmt.Sprintf("feature %q is not in the reference profile (sent in %d rows): the model was not trained on it", name, c.seen))
				cq.Kind = "unknown"
				q.Columns = append(q.Columns, cq)
				continue
			}
			ref = r
			cq.Kind, cq.RefNullRate = r.Kind, r.NullRate
		}
		if c.wrongType > 0 {
			q.Violations = append(q.Violations, fmt.Sprintf("column %q: %d values of the wrong type (the reference is %s)", name, c.wrongType, cq.Kind))
		}
		if ref != nil && ref.Kind == "float" && ref.Min != nil && ref.Max != nil {
			for _, v := range c.numbers {
				if v < *ref.Min || v > *ref.Max {
					cq.OutOfRange++
				}
			}
		}
		if ref != nil && ref.Kind == "string" && ref.OtherCount == 0 && !isIdentifier(ref) {
			known := map[string]bool{}
			for _, cat := range ref.Categories {
				known[cat.Value] = true
			}
			for _, v := range c.strings {
				if !known[v] {
					cq.Unseen++
					if len(cq.UnseenExamples) < 5 && !slices.Contains(cq.UnseenExamples, v) {
						cq.UnseenExamples = append(cq.UnseenExamples, v)
					}
				}
			}
		}
		q.Columns = append(q.Columns, cq)
	}
	if in.Reference == nil {
		return
	}
	for _, r := range in.Reference.Columns {
		if r.Name == in.Target {
			continue
		}
		if c, ok := cols[r.Name]; !ok || c.seen == 0 {
			q.Violations = append(q.Violations, fmt.Sprintf("reference feature %q is missing from every row of the window", r.Name))
		}
	}
}

func driftAll(ctx context.Context, db *sql.DB, in Input, cols map[string]*column, s *Snapshot) error {
	d := &s.Drift
	for _, r := range in.Reference.Columns {
		ref := r
		c, ok := cols[r.Name]
		switch {
		case r.Name == in.Target:
			continue
		case isIdentifier(&ref):
			d.Skipped = append(d.Skipped, r.Name+": an identifier (every value distinct)")
			continue
		case r.Kind == "time":
			d.Skipped = append(d.Skipped, r.Name+": a time, which moves with the clock")
			continue
		case !ok:
			continue // reported as a schema violation
		}
		var res drift.Result
		if r.Kind == "float" {
			res = drift.Numeric(&ref, c.numbers, c.nulls, in.Drift)
		} else {
			res = drift.Categorical(&ref, c.strings, c.nulls, in.Drift)
		}
		d.Features = append(d.Features, res)
	}
	d.Dataset = drift.Dataset(d.Features, in.Drift)
	target, ok := in.Reference.Col(in.Target)
	if !ok || target.Kind != "string" {
		return nil
	}
	preds, err := queryStrings(ctx, db, `SELECT prediction FROM predictions`)
	if err != nil {
		return fmt.Errorf("read the window's predictions: %w", err)
	}
	p := drift.Categorical(target, preds, 0, in.Drift)
	p.Column = "prediction"
	d.Prediction = &p
	labels, err := queryStrings(ctx, db, `SELECT label FROM feedback WHERE label IS NOT NULL AND label <> ''`)
	if err != nil {
		return fmt.Errorf("read the window's feedback labels: %w", err)
	}
	if len(labels) > 0 {
		l := drift.Categorical(target, labels, 0, in.Drift)
		l.Column = "label (feedback)"
		d.Label = &l
	}
	return nil
}

func queryStrings(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v sql.NullString
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		if v.Valid {
			out = append(out, v.String)
		}
	}
	return out, rows.Err()
}

// verdict sets the worst finding as the verdict and says it in a line.
func verdict(s *Snapshot) {
	var parts []string
	var drifted []string
	for _, r := range s.Drift.Features {
		if r.Drifted {
			drifted = append(drifted, r.Column)
		}
	}
	if s.Drift.Label != nil && s.Drift.Label.Drifted {
		drifted = append(drifted, "label")
	}
	s.Verdict = VerdictOK
	if n := len(s.Quality.Violations); n > 0 || s.Traffic.UnknownFeedback > 0 {
		s.Verdict = VerdictQuality
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d data-quality violations", n))
		}
	}
	if len(drifted) > 0 {
		s.Verdict = VerdictDrift
		parts = append(parts, "drift in "+strings.Join(drifted, ", "))
	}
	if s.Drift.Dataset.Drifted {
		s.Verdict = VerdictDatasetDrift
		parts = append(parts, fmt.Sprintf("dataset drift (%d of %d features)", s.Drift.Dataset.DriftedFeatures, s.Drift.Dataset.Features))
	}
	if s.Traffic.UnknownFeedback > 0 {
		parts = append(parts, fmt.Sprintf("%d feedback for unknown request IDs", s.Traffic.UnknownFeedback))
	}
	if len(parts) == 0 {
		parts = append(parts, "no drift, no data-quality issue")
	}
	s.Summary = fmt.Sprintf("%s: %s (%d predictions, %d labelled)", s.Verdict, strings.Join(parts, "; "), s.Traffic.Predictions, s.Traffic.Joined)
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// sanitize replaces NaN and ±Inf (a statistic undefined on a constant
// column) with 0, which JSON can carry; the result's Reason says why.
func (s *Snapshot) sanitize() {
	fix := func(r *drift.Result) {
		if r == nil {
			return
		}
		r.PValue, r.EffectSize = finite(r.PValue), finite(r.EffectSize)
		if n := r.Numeric; n != nil {
			n.PSI, n.KS, n.Wasserstein, n.WassersteinNorm = finite(n.PSI), finite(n.KS), finite(n.Wasserstein), finite(n.WassersteinNorm)
			for i := range n.CurrentQuantiles {
				n.CurrentQuantiles[i] = finite(n.CurrentQuantiles[i])
			}
		}
		if c := r.Categorical; c != nil {
			c.ChiSquare, c.JensenShannon, c.MaxShareChange = finite(c.ChiSquare), finite(c.JensenShannon), finite(c.MaxShareChange)
		}
		if h := r.Histogram; h != nil {
			for i := range h.Edges {
				h.Edges[i] = finite(h.Edges[i])
			}
		}
	}
	for i := range s.Drift.Features {
		fix(&s.Drift.Features[i])
	}
	fix(s.Drift.Label)
	fix(s.Drift.Prediction)
	for i := range s.Performance.Serving {
		sv := &s.Performance.Serving[i]
		sv.P50Ms, sv.P99Ms = finite(sv.P50Ms), finite(sv.P99Ms)
	}
}
