package inferlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/routing"
)

// RolloutQuery says which rollout epoch to count.
type RolloutQuery struct {
	// Routing is the split under analysis: its model, mode and candidate,
	// and UpdatedAt, when the gateway stored it, which starts the epoch.
	Routing routing.Routing
	// To ends the requests counted: made in [Routing.UpdatedAt, To).
	// FeedbackTo ends the feedback joined to them, by when a gateway
	// received it (zero: To).
	To, FeedbackTo time.Time
	// Positive names, per version, a binary model's positive label; a
	// version without one counts a row positive when its probability is
	// above 0.5, as the gateway does for a predictor that names no classes.
	Positive map[int]string
	// Logger receives a warning per skipped file (default slog.Default()).
	Logger *slog.Logger
}

// RolloutCounts are a rollout's per-variant counters, drawn from the logs
// of every replica that serves the model.
type RolloutCounts struct {
	Stats routing.Stats
	// Replicas are the replicas that logged a request of the epoch, sorted.
	Replicas []string
	// Files read, and the ones skipped as unreadable, each with the reason.
	Files   int
	Skipped []string
}

// RolloutStats counts, from the durable logs, what the gateway's in-memory
// counters count for one replica (routing.Stats): per variant the requests
// and their 5xx errors, rows, latency p50 and p99, positives, the
// probability histogram, joined feedback (per class for a multi-class
// model) and, for a shadow, its agreement with production on the same
// request and row. Every replica's files are read, so a label that reached
// another replica than its prediction still joins, and a restart loses
// nothing that was flushed. It loads the window into eng (see Read).
//
// The counts differ from a gateway's in three ways: latency quantiles are
// exact, not read from a histogram; requests refused with a 4xx (bad input,
// which says nothing about a version) are not logged, so they are not
// counted; and the latest label of a row counts, where the gateway keeps
// the first.
func RolloutStats(ctx context.Context, store artifact.Store, eng *dataplane.Engine, q RolloutQuery) (RolloutCounts, error) {
	rt := q.Routing
	from := rt.UpdatedAt
	if rt.Model == "" || from.IsZero() {
		return RolloutCounts{}, errors.New("rollout stats: the routing names no model or no start time (updated_at)")
	}
	out := RolloutCounts{Stats: routing.Stats{Model: rt.Model, Routing: rt, Since: from}}
	vars := []variantFilter{{name: routing.VariantProduction}}
	switch rt.Mode {
	case routing.ModeCanary:
		vars = append(vars, variantFilter{name: routing.VariantCanary, version: rt.Candidate})
	case routing.ModeShadow:
		vars = append(vars, variantFilter{name: routing.VariantShadow, version: rt.Candidate})
	}
	for _, v := range vars {
		out.Stats.Variants = append(out.Stats.Variants, routing.VariantStats{Variant: v.name, Version: v.version})
	}
	if !from.Before(q.To) {
		return out, nil // the epoch has no settled time yet
	}
	w, err := Read(ctx, store, eng, Query{Model: rt.Model, From: from, To: q.To, FeedbackTo: q.FeedbackTo, Requests: true, Logger: q.Logger})
	if err != nil {
		return RolloutCounts{}, err
	}
	out.Files, out.Skipped = w.Files, w.Skipped
	c := counter{ctx: ctx, db: eng.DB(), positive: q.Positive}
	for i, v := range vars {
		if err := c.variant(&out.Stats.Variants[i], v); err != nil {
			return RolloutCounts{}, fmt.Errorf("rollout stats of %s, %s: %w", rt.Model, v.name, err)
		}
	}
	if rt.Mode == routing.ModeShadow {
		if err := c.agreement(&out.Stats.Variants[1], vars[1]); err != nil {
			return RolloutCounts{}, fmt.Errorf("rollout stats of %s, shadow agreement: %w", rt.Model, err)
		}
	}
	rows, err := eng.DB().QueryContext(ctx, `SELECT DISTINCT replica FROM requests ORDER BY replica`)
	if err != nil {
		return RolloutCounts{}, fmt.Errorf("rollout stats: replicas: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return RolloutCounts{}, fmt.Errorf("rollout stats: replicas: %w", err)
		}
		out.Replicas = append(out.Replicas, r)
	}
	if err := rows.Err(); err != nil {
		return RolloutCounts{}, fmt.Errorf("rollout stats: replicas: %w", err)
	}
	return out, nil
}

// variantFilter picks one variant's records: the candidate's only from
// its version, so an earlier candidate's records never count for it.
type variantFilter struct {
	name    string
	version int // 0: any (production)
}

func (f variantFilter) where(alias string) (string, []any) {
	if f.version == 0 {
		return alias + `variant = ?`, []any{f.name}
	}
	return alias + `variant = ? AND ` + alias + `version = ?`, []any{f.name, f.version}
}

// counter runs one window's queries.
type counter struct {
	ctx      context.Context
	db       *sql.DB
	positive map[int]string
}

// probabilityBin is routing's equal-width bin of a probability, as the
// gateway counts it: NaN, null and below 0 in the first, 1 and above in
// the last.
const probabilityBin = `CASE WHEN probability IS NULL OR isnan(probability) OR probability < 0 THEN 0 ` +
	`WHEN probability >= 1 THEN 9 ELSE CAST(floor(probability * 10) AS INTEGER) END`

// variant fills s from the requests, predictions and joined feedback.
func (c counter) variant(s *routing.VariantStats, f variantFilter) error {
	where, args := f.where("")
	var version sql.NullInt64
	var p50, p99 sql.NullFloat64
	err := c.db.QueryRowContext(c.ctx, `SELECT arg_max(version, "time"), count(*), count(*) FILTER (WHERE status >= 500), `+
		`quantile_cont(latency_ms, 0.5), quantile_cont(latency_ms, 0.99) FROM requests WHERE (status < 400 OR status >= 500) AND `+where, args...).
		Scan(&version, &s.Requests, &s.Errors, &p50, &p99)
	if err != nil {
		return fmt.Errorf("requests: %w", err)
	}
	if version.Valid && s.Version == 0 {
		s.Version = int(version.Int64)
	}
	s.P50, s.P99 = p50.Float64/1000, p99.Float64/1000
	if err := c.classes(s, where, args); err != nil {
		return err
	}
	index := map[string]int{}
	for i, name := range s.Classes {
		index[name] = i
	}
	// Rows, positives and the histogram, grouped small enough to sum here.
	err = c.each(`SELECT version, prediction, probability > 0.5, `+probabilityBin+`, count(*) FROM predictions WHERE `+where+` GROUP BY ALL`, args,
		func(scan func(...any) error) error {
			var v, bin int
			var label sql.NullString
			var above sql.NullBool
			var n int64
			if err := scan(&v, &label, &above, &bin, &n); err != nil {
				return err
			}
			s.Rows += n
			s.Probabilities[bin] += n
			if s.MultiClass() {
				if k, ok := index[label.String]; ok {
					s.PerClass[k].Predicted += n
				}
			} else if c.isPositive(v, label.String, above.Bool) {
				s.Positives += n
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("predictions: %w", err)
	}
	// The outcome's value belongs to what the caller was given, so a
	// shadow, which answers nobody, sums none.
	withValue := f.name != routing.VariantShadow
	err = c.each(`SELECT version, prediction, probability > 0.5, label, count(*), COALESCE(sum(value), 0) FROM joined WHERE label IS NOT NULL AND `+where+` GROUP BY ALL`, args,
		func(scan func(...any) error) error {
			var v int
			var pred, label sql.NullString
			var above sql.NullBool
			var n int64
			var value float64
			if err := scan(&v, &pred, &above, &label, &n, &value); err != nil {
				return err
			}
			if s.MultiClass() {
				p, pok := index[pred.String]
				a, aok := index[label.String]
				if !pok || !aok {
					return nil // the gateway refuses a label that is not a class
				}
				if p == a {
					s.PerClass[p].TP += n
				} else {
					s.PerClass[p].FP += n
					s.PerClass[a].FN += n
				}
			} else {
				correct := pred.String == label.String
				switch positive := c.isPositive(v, pred.String, above.Bool); {
				case positive && correct:
					s.TP += n
				case positive:
					s.FP += n
				case correct:
					s.TN += n
				default:
					s.FN += n
				}
			}
			s.Feedback += n
			if withValue {
				s.Value += value
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("feedback: %w", err)
	}
	return nil
}

// classes sets a multi-class variant's classes (the keys of its logged
// class probabilities, sorted); a binary variant logs none.
func (c counter) classes(s *routing.VariantStats, where string, args []any) error {
	err := c.each(`SELECT DISTINCT k FROM (SELECT unnest(json_keys(CAST(probabilities AS JSON))) AS k FROM predictions WHERE probabilities IS NOT NULL AND `+where+`) ORDER BY k`, args,
		func(scan func(...any) error) error {
			var k string
			if err := scan(&k); err != nil {
				return err
			}
			s.Classes = append(s.Classes, k)
			return nil
		})
	if err != nil {
		return fmt.Errorf("classes: %w", err)
	}
	if !s.MultiClass() {
		s.Classes = nil
		return nil
	}
	slices.Sort(s.Classes)
	s.PerClass = make([]routing.ClassCounts, len(s.Classes))
	return nil
}

// agreement counts the shadow's rows that production also answered, and
// those where both predicted the same label.
func (c counter) agreement(s *routing.VariantStats, f variantFilter) error {
	where, args := f.where("s.")
	return c.db.QueryRowContext(c.ctx, `SELECT count(*), count(*) FILTER (WHERE s.prediction = p.prediction) FROM predictions s JOIN `+
		`(SELECT request_id, "row", any_value(prediction) AS prediction FROM predictions WHERE variant = 'production' GROUP BY request_id, "row") p `+
		`ON p.request_id = s.request_id AND p."row" = s."row" WHERE `+where, args...).Scan(&s.Compared, &s.Agreed)
}

// isPositive says whether a binary model's prediction is its positive class.
func (c counter) isPositive(version int, label string, above bool) bool {
	if p := c.positive[version]; p != "" {
		return label == p
	}
	return above
}

// each runs a query and calls row for every row.
func (c counter) each(query string, args []any, row func(scan func(...any) error) error) error {
	rows, err := c.db.QueryContext(c.ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
