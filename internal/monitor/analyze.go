package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlpipe/mlpipe/internal/drift"
	"github.com/mlpipe/mlpipe/internal/inferlog"
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
	// Inputs are the window's input rows, parsed as the inference log
	// reads them (inferlog.Query.ParseInputs); nil: Analyze parses the
	// predictions table's input column.
	Inputs *inferlog.Inputs
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
	// Performance and business figures are the engine's queries over the
	// predictions and labels; they run beside the inputs' quality, suite
	// and drift, which are mostly Go's, and write only s.Performance and
	// s.Business. The wait is deferred too, so that an early return
	// never leaves them writing into s.
	perf := make(chan error, 1)
	go func() {
		err := performance(ctx, db, in, s)
		if err == nil {
			err = business(ctx, db, in, s)
		}
		perf <- err
	}()
	waited := false
	wait := func() error {
		if waited {
			return nil
		}
		waited = true
		return <-perf
	}
	defer func() { _ = wait() }() // an error already being returned is the one that counts
	parsed, err := windowInputs(ctx, db, in)
	if err != nil {
		return err
	}
	cols := readInputs(parsed, in)
	quality(in, cols, s)
	if err := runSuite(ctx, db, in, parsed, s); err != nil {
		return err
	}
	if in.Reference != nil {
		if err := driftAll(ctx, db, in, cols, s); err != nil {
			return err
		}
	}
	if err := wait(); err != nil {
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
		if name == unreadableRow {
			q.Violations = append(q.Violations, fmt.Sprintf("%d of %d rows have an input that is not a JSON object: each of their features counts as a null", c.wrongType, s.Traffic.Predictions))
			cq.Kind = "unreadable"
			q.Columns = append(q.Columns, cq)
			continue
		}
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
			for i, v := range c.cats {
				if !known[v] {
					cq.Unseen += c.catCounts[i]
					if len(cq.UnseenExamples) < 5 {
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
	type job struct {
		ref *profile.Column
		c   *column
	}
	var jobs []job
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
		jobs = append(jobs, job{&ref, c})
	}
	// Each feature is a sort and linear passes of its own: one per core.
	d.Features = make([]drift.Result, len(jobs))
	parallel(len(jobs), func(i int) {
		j := jobs[i]
		if j.ref.Kind == "float" {
			d.Features[i] = drift.Numeric(j.ref, j.c.numbers, j.c.nulls, in.Drift)
		} else {
			d.Features[i] = drift.CategoricalCounts(j.ref, j.c.cats, j.c.catCounts, j.c.nulls, in.Drift)
		}
	})
	if len(d.Features) == 0 {
		d.Features = nil
	}
	d.Dataset = drift.Dataset(d.Features, in.Drift)
	target, ok := in.Reference.Col(in.Target)
	if !ok || target.Kind != "string" {
		return nil
	}
	preds, pn, err := queryCounted(ctx, db, `SELECT prediction, count(*) AS n FROM predictions WHERE prediction IS NOT NULL GROUP BY prediction ORDER BY n DESC, prediction`)
	if err != nil {
		return fmt.Errorf("read the window's predictions: %w", err)
	}
	p := drift.CategoricalCounts(target, preds, pn, 0, in.Drift)
	p.Column = "prediction"
	d.Prediction = &p
	labels, ln, err := queryCounted(ctx, db, `SELECT label, count(*) AS n FROM feedback WHERE label IS NOT NULL AND label <> '' GROUP BY label ORDER BY n DESC, label`)
	if err != nil {
		return fmt.Errorf("read the window's feedback labels: %w", err)
	}
	if len(labels) > 0 {
		l := drift.CategoricalCounts(target, labels, ln, 0, in.Drift)
		l.Column = "label (feedback)"
		d.Label = &l
	}
	return nil
}

// parallel runs f(0..n-1) on every core.
func parallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// queryCounted reads (value, count) rows: the engine counts, and only
// the distinct values cross into Go.
func queryCounted(ctx context.Context, db *sql.DB, q string) ([]string, []int64, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var values []string
	var counts []int64
	for rows.Next() {
		var v string
		var k int64
		if err := rows.Scan(&v, &k); err != nil {
			return nil, nil, err
		}
		values, counts = append(values, v), append(counts, k)
	}
	return values, counts, rows.Err()
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
