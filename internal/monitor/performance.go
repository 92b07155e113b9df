package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/perfest"
)

// performance fills the serving figures per version and variant, and the
// realised and estimated metrics of a binary model.
func performance(ctx context.Context, db *sql.DB, in Input, s *Snapshot) error {
	secs := in.To.Sub(in.From).Seconds()
	rows, err := db.QueryContext(ctx, `SELECT version, variant, count(*),
		quantile_cont(latency_ms, 0.5), quantile_cont(latency_ms, 0.99)
		FROM predictions GROUP BY version, variant ORDER BY version, variant`)
	if err != nil {
		return fmt.Errorf("measure serving per version and variant: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sv Serving
		if err := rows.Scan(&sv.Version, &sv.Variant, &sv.Predictions, &sv.P50Ms, &sv.P99Ms); err != nil {
			return fmt.Errorf("measure serving per version and variant: %w", err)
		}
		if secs > 0 {
			sv.PerSecond = float64(sv.Predictions) / secs
		}
		sv.ErrorRate = -1
		s.Performance.Serving = append(s.Performance.Serving, sv)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("measure serving per version and variant: %w", err)
	}
	if err := errorRates(ctx, db, s); err != nil {
		return err
	}
	if in.Positive == "" {
		s.Performance.Note = "the model's positive label is not recorded: realised and estimated metrics skipped"
		return nil
	}
	return classification(ctx, db, in, s)
}

// classification measures accuracy, F1 and ROC AUC on the feedback
// received in the window (perfest.Binary: Wilson and bootstrap
// intervals), and estimates accuracy and F1 without labels from every
// prediction's probability (perfest.CBPE, confidence-based performance
// estimation), after the isotonic calibration fitted on the evaluation's
// test split when the version has one; the snapshot says which.
func classification(ctx context.Context, db *sql.DB, in Input, s *Snapshot) error {
	var yTrue []bool
	var proba []float64
	rows, err := db.QueryContext(ctx, `SELECT label, probability FROM labelled WHERE label IS NOT NULL AND label <> '' AND isfinite(probability)`)
	if err != nil {
		return fmt.Errorf("read the joined feedback: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var label string
		var p float64
		if err := rows.Scan(&label, &p); err != nil {
			return fmt.Errorf("read the joined feedback: %w", err)
		}
		yTrue, proba = append(yTrue, label == in.Positive), append(proba, p)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the joined feedback: %w", err)
	}
	if len(yTrue) == 0 {
		s.Performance.Note = "no feedback joined in this window: realised metrics need labels"
	} else if r, err := perfest.Binary(yTrue, proba, threshold); err != nil {
		s.Performance.Note = "realised metrics skipped: " + err.Error()
	} else {
		n := int64(r.N)
		s.Performance.Realised = append(s.Performance.Realised, metric(metrics.Accuracy, r.Accuracy, n), metric(metrics.F1, r.F1, n))
		if r.ROCAUC != nil {
			s.Performance.Realised = append(s.Performance.Realised, metric(metrics.ROCAUC, *r.ROCAUC, n))
		}
	}
	var probs []float64
	if in.Inputs != nil && in.Inputs.Probabilities != nil {
		probs = in.Inputs.Probabilities
	} else if probs, err = queryFloats(ctx, db, `SELECT probability FROM predictions WHERE isfinite(probability)`); err != nil {
		return fmt.Errorf("read the window's probabilities: %w", err)
	}
	if len(probs) == 0 {
		return nil
	}
	s.Performance.Calibration = calibrationText(in)
	e, err := perfest.CBPE(probs, threshold, in.Calibration)
	if err != nil {
		s.Performance.Note += "; label-free estimate skipped: " + err.Error()
		return nil
	}
	n := int64(e.N)
	acc, f1 := metric(metrics.Accuracy, e.Accuracy, n), metric(metrics.F1, e.F1, n)
	acc.Method, f1.Method = "CBPE: "+e.Note, "CBPE: "+e.Note
	s.Performance.Estimated = []Metric{acc, f1}
	return nil
}

func calibrationText(in Input) string {
	if in.Calibration == nil {
		if in.CalibrationNote == "" {
			return "uncalibrated: the estimate takes the model's probabilities as calibrated"
		}
		return "uncalibrated: " + in.CalibrationNote
	}
	t := fmt.Sprintf("isotonic, fitted on %d labelled test rows", in.Calibration.Rows)
	if in.CalibrationNote != "" {
		t += " (" + in.CalibrationNote + ")"
	}
	return t
}

// errorRates sets each version and variant's error rate in the window
// from the log's requests table (one row per request, failed ones
// included, with the HTTP status): the share answered with a 5xx. A
// variant whose every request failed gets a serving row of its own.
// Without the table (a log read without requests) the rates stay unset
// (-1) for the gateway's counters to fill.
func errorRates(ctx context.Context, db *sql.DB, s *Snapshot) error {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE table_name = 'requests'`).Scan(&n); err != nil {
		return fmt.Errorf("measure error rates: %w", err)
	}
	if n == 0 {
		return nil
	}
	rows, err := db.QueryContext(ctx, `SELECT version, variant, count(*), count(*) FILTER (WHERE status >= 500)
		FROM requests GROUP BY version, variant ORDER BY version, variant`)
	if err != nil {
		return fmt.Errorf("measure error rates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var version int
		var variant string
		var total, failed int64
		if err := rows.Scan(&version, &variant, &total, &failed); err != nil {
			return fmt.Errorf("measure error rates: %w", err)
		}
		i := slices.IndexFunc(s.Performance.Serving, func(sv Serving) bool { return sv.Version == version && sv.Variant == variant })
		if i < 0 {
			s.Performance.Serving = append(s.Performance.Serving, Serving{Version: version, Variant: variant})
			i = len(s.Performance.Serving) - 1
		}
		sv := &s.Performance.Serving[i]
		sv.Requests, sv.Failed = total, failed
		sv.ErrorRate, sv.ErrorSource = float64(failed)/float64(max(1, total)), ErrorsFromLog
	}
	return rows.Err()
}

// threshold is the gateway's decision threshold for a binary model.
const threshold = 0.5

func metric(name string, m perfest.Metric, n int64) Metric {
	return Metric{Name: name, Value: finite(m.Value), Low: finite(m.Low), High: finite(m.High), N: n, Method: m.Method}
}

func queryFloats(ctx context.Context, db *sql.DB, q string) ([]float64, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []float64
	for rows.Next() {
		var v sql.NullFloat64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		if v.Valid {
			out = append(out, v.Float64)
		}
	}
	return out, rows.Err()
}

// business measures conversion and value per variant from the feedback
// received in the window (joined to its prediction, however late): a
// conversion is a label equal to the positive label; value per prediction
// divides the feedback's value by the variant's predictions in the window.
func business(ctx context.Context, db *sql.DB, in Input, s *Snapshot) error {
	rows, err := db.QueryContext(ctx, `SELECT variant,
		count(*) FILTER (WHERE p) AS predictions,
		count(*) FILTER (WHERE NOT p AND label IS NOT NULL AND label <> '') AS feedback,
		count(*) FILTER (WHERE NOT p AND label = ?) AS conversions,
		coalesce(sum(value) FILTER (WHERE NOT p), 0) AS value
		FROM (SELECT variant, true AS p, NULL::VARCHAR AS label, NULL::DOUBLE AS value FROM predictions
		      UNION ALL SELECT variant, false, label, value FROM labelled)
		GROUP BY variant ORDER BY variant`, in.Positive)
	if err != nil {
		return fmt.Errorf("measure business figures per variant: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b Business
		var preds int64
		if err := rows.Scan(&b.Variant, &preds, &b.Feedback, &b.Conversions, &b.Value); err != nil {
			return fmt.Errorf("measure business figures per variant: %w", err)
		}
		if b.Feedback > 0 {
			b.ConversionRate = float64(b.Conversions) / float64(b.Feedback)
		}
		if preds > 0 {
			b.ValuePerPrediction = b.Value / float64(preds)
		}
		s.Business = append(s.Business, b)
	}
	return rows.Err()
}
