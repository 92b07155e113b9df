package inferlog

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
)

// Query says which part of a model's logs to read.
type Query struct {
	Model string
	// From and To bound the predictions read: made in [From, To).
	From, To time.Time
	// FeedbackFrom and FeedbackTo bound the feedback read, by when the
	// gateway received it (zero: From and To).
	FeedbackFrom, FeedbackTo time.Time
	// KeysFrom is how far back a feedback's prediction is looked for
	// (zero: From): feedback that matches no prediction made in
	// [KeysFrom, To) is counted unknown, and the table labelled joins
	// feedback to predictions over that span. Labels that come weeks late
	// need KeysFrom that far back, which reads those weeks' key columns.
	KeysFrom time.Time
	// Requests also loads the table requests: one row per logged request
	// and variant, failed ones included.
	Requests bool
	// ParseInputs parses the predictions' input rows in Go into
	// WindowInfo.Inputs, typed per key, instead of loading them into the
	// predictions table as JSON, which then has no input column: several
	// times faster for a window of many rows.
	ParseInputs bool
	// Logger receives a warning per skipped file (default slog.Default()).
	Logger *slog.Logger
}

// WindowInfo is what Read loaded into the engine, as tables and views:
//
//	predictions  the predictions made in [From, To): request_id, row, time,
//	             model, version, variant, input (JSON), prediction,
//	             probability, probabilities (JSON), latency_ms, replica
//	feedback     the feedback received in [FeedbackFrom, FeedbackTo):
//	             request_id, row, time, model, label, value, label_time, replica
//	joined       predictions LEFT JOIN the latest feedback per (model,
//	             request_id, row): label, value, feedback_time, label_time
//	labelled     that latest feedback per key joined to its prediction
//	             made in [KeysFrom, To): the late labels' view
//	requests     (Query.Requests only) one row per logged request and
//	             variant made in [From, To): request_id, time, model,
//	             version, variant, status (200, or the 5xx of a failed
//	             request, which has no predictions), rows, latency_ms,
//	             replica
//
// A row mirrored to a shadow is logged twice, once per variant; both join.
type WindowInfo struct {
	Query
	// Predictions and Feedback are the rows of those tables; Joined the
	// predictions with feedback; UnknownFeedback the feedback rows whose
	// request ID and row match no prediction made in [KeysFrom, To).
	Predictions, Feedback, Joined, UnknownFeedback int64
	// Files read, and the ones skipped as unreadable (corrupt or half
	// written), each with the reason.
	Files   int
	Skipped []string
	// Inputs are the predictions' input rows, parsed (Query.ParseInputs
	// only), in the order of the predictions table.
	Inputs *Inputs
}

const (
	predictionColumns = `request_id VARCHAR, "row" INTEGER, "time" TIMESTAMPTZ, model VARCHAR, version INTEGER, variant VARCHAR, ` +
		`input VARCHAR, prediction VARCHAR, probability DOUBLE, probabilities VARCHAR, latency_ms DOUBLE, replica VARCHAR`
	// A stored record is one request; its lists unnest side by side into
	// one row per prediction (a null list pads with nulls). The writer
	// stores inputs as JSON null when they did not match the answers, so
	// they are read with TRY_CAST: the row's inputs are null, and its
	// predictions still count.
	predictionSelect = `request_id, CAST(generate_subscripts(predictions, 1) - 1 AS INTEGER), "time", model, version, variant, ` +
		`CAST(unnest(TRY_CAST(inputs AS JSON[])) AS VARCHAR), unnest(predictions), unnest(probability), ` +
		`CAST(unnest(CAST(probabilities AS JSON[])) AS VARCHAR), latency_ms, replica`
	// Without the inputs (Query.ParseInputs), the engine does not read
	// that column at all.
	predictionNoInputColumns = `request_id VARCHAR, "row" INTEGER, "time" TIMESTAMPTZ, model VARCHAR, version INTEGER, variant VARCHAR, ` +
		`prediction VARCHAR, probability DOUBLE, probabilities VARCHAR, latency_ms DOUBLE, replica VARCHAR`
	predictionNoInputSelect = `request_id, CAST(generate_subscripts(predictions, 1) - 1 AS INTEGER), "time", model, version, variant, ` +
		`unnest(predictions), unnest(probability), CAST(unnest(CAST(probabilities AS JSON[])) AS VARCHAR), latency_ms, replica`
	feedbackColumns = `request_id VARCHAR, "row" INTEGER, "time" TIMESTAMPTZ, model VARCHAR, label VARCHAR, value DOUBLE, label_time TIMESTAMPTZ, replica VARCHAR`
	feedbackSelect  = `request_id, "row", "time", model, label, value, label_time, replica`
	requestColumns  = `request_id VARCHAR, "time" TIMESTAMPTZ, model VARCHAR, version INTEGER, variant VARCHAR, status INTEGER, "rows" INTEGER, latency_ms DOUBLE, replica VARCHAR`
	requestSelect   = `request_id, "time", model, version, variant, COALESCE(status, 200), CAST(len(predictions) AS INTEGER), latency_ms, replica`
	// Files written before the status column existed hold answered
	// requests only.
	requestLegacySelect = `request_id, "time", model, version, variant, 200, CAST(len(predictions) AS INTEGER), latency_ms, replica`
	keyNames            = `request_id, "row", "time", model, version, variant, prediction, probability, probabilities`
	keyColumns          = `request_id VARCHAR, "row" INTEGER, "time" TIMESTAMPTZ, model VARCHAR, version INTEGER, variant VARCHAR, prediction VARCHAR, probability DOUBLE, probabilities VARCHAR`
	keySelect           = `request_id, CAST(generate_subscripts(predictions, 1) - 1 AS INTEGER), "time", model, version, variant, ` +
		`unnest(predictions), unnest(probability), CAST(unnest(CAST(probabilities AS JSON[])) AS VARCHAR)`
)

// Window reads one model's predictions made in [from, to) and the feedback
// received in the same span; see Read.
func Window(ctx context.Context, store artifact.Store, eng *dataplane.Engine, model string, from, to time.Time) (*WindowInfo, error) {
	return Read(ctx, store, eng, Query{Model: model, From: from, To: to})
}

// Read lists the log partitions that overlap the query, fetches them, and
// loads them into eng as the tables and views WindowInfo describes,
// replacing those of an earlier Read. A file that cannot be read is
// skipped with a warning naming it; an empty window is not an error.
func Read(ctx context.Context, store artifact.Store, eng *dataplane.Engine, q Query) (info *WindowInfo, err error) {
	if q.Model == "" || !q.From.Before(q.To) {
		return nil, fmt.Errorf("inference log window: need a model and from (%s) before to (%s)", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	if q.FeedbackFrom.IsZero() {
		q.FeedbackFrom = q.From
	}
	if q.FeedbackTo.IsZero() {
		q.FeedbackTo = q.To
	}
	if q.KeysFrom.IsZero() || q.KeysFrom.After(q.From) {
		q.KeysFrom = q.From
	}
	if q.Logger == nil {
		q.Logger = slog.Default()
	}
	w := &WindowInfo{Query: q}
	r := &reader{ctx: ctx, store: store, db: eng.DB(), w: w, fetched: map[string]string{}, keys: map[string]string{}}
	defer r.cleanup()

	where := `WHERE model = ? AND epoch_us("time") >= ? AND epoch_us("time") < ?`
	columns, sel := predictionColumns, predictionSelect
	if q.ParseInputs {
		columns, sel = predictionNoInputColumns, predictionNoInputSelect
	}
	loaded, err := r.load("predictions", columns, sel, KindInference, q.From, q.To,
		where, q.Model, micros(q.From), micros(q.To))
	if err != nil {
		return nil, err
	}
	if q.ParseInputs {
		// Go parses the inputs on every core while the engine loads the
		// feedback and the keys: neither waits for the other. The wait is
		// deferred after cleanup, so it runs first: no fetched file is
		// removed while it is read.
		done := make(chan struct{})
		var inputs *Inputs
		var warnings []string
		var inErr error
		go func() {
			defer close(done)
			inputs, warnings, inErr = r.inputs(loaded, where, q.Model, micros(q.From), micros(q.To))
		}()
		defer func() {
			<-done
			if err == nil && inErr != nil {
				info, err = nil, inErr
				return
			}
			if info != nil {
				info.Inputs = inputs
				info.Skipped = append(info.Skipped, warnings...)
			}
		}()
	}
	if _, err := r.load("feedback", feedbackColumns, feedbackSelect, KindFeedback, q.FeedbackFrom, q.FeedbackTo,
		where, q.Model, micros(q.FeedbackFrom), micros(q.FeedbackTo)); err != nil {
		return nil, err
	}
	if q.Requests {
		r.legacy = map[string]string{"requests": requestLegacySelect}
		if _, err := r.load("requests", requestColumns, requestSelect, KindInference, q.From, q.To,
			where, q.Model, micros(q.From), micros(q.To)); err != nil {
			return nil, err
		}
	}
	keys := "predictions"
	if q.KeysFrom.Before(q.From) {
		// The window's own predictions are loaded already: only those made
		// in [KeysFrom, From) are read, and the keys are both.
		keys = "prediction_keys"
		if _, err := r.load("prediction_keys_before", keyColumns, keySelect, KindInference, q.KeysFrom, q.From,
			where, q.Model, micros(q.KeysFrom), micros(q.From)); err != nil {
			return nil, err
		}
		view := `CREATE OR REPLACE VIEW prediction_keys AS SELECT ` + keyNames + ` FROM predictions UNION ALL SELECT ` + keyNames + ` FROM prediction_keys_before`
		if _, err := r.db.ExecContext(r.ctx, view); err != nil {
			return nil, fmt.Errorf("inference log window: %w", err)
		}
	}
	if err := r.views(keys); err != nil {
		return nil, err
	}
	return w, nil
}

// reader loads one WindowInfo.
type reader struct {
	ctx     context.Context
	store   artifact.Store
	db      *sql.DB
	w       *WindowInfo
	fetched map[string]string // key → local path, so a file read twice is fetched once
	keys    map[string]string // local path → key, to name a file DuckDB refused
	skipped map[string]bool
	clean   []func()
	// legacy is, per table, the select list for files older than one of
	// its columns; such a table reads its files by column name.
	legacy map[string]string
}

func (r *reader) cleanup() {
	for _, c := range r.clean {
		c()
	}
}

// load creates table from the files of kind whose hours overlap [from, to),
// and returns the local paths of the files it loaded, in order. All files
// go in one statement; if that fails, file by file, skipping the ones
// DuckDB cannot read.
func (r *reader) load(table, columns, cols, kind string, from, to time.Time, where string, args ...any) ([]string, error) {
	if _, err := r.db.ExecContext(r.ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %s (%s)", table, columns)); err != nil {
		return nil, fmt.Errorf("inference log window: create %s: %w", table, err)
	}
	keys, err := partitionKeys(r.ctx, r.store, kind, r.w.Model, from, to)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, key := range keys {
		if p, ok := r.fetch(key); ok {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return nil, nil
	}
	legacy, byName := r.legacy[table]
	insert := func(files []string, cols string) error {
		list := make([]string, len(files))
		for i, f := range files {
			list[i] = dataplane.Quote(f)
		}
		opts := ""
		if byName {
			// A column missing from some files reads as null there.
			opts = ", union_by_name = true"
		}
		stmt := fmt.Sprintf("INSERT INTO %s SELECT %s FROM read_parquet([%s]%s) %s", table, cols, strings.Join(list, ", "), opts, where)
		_, err := r.db.ExecContext(r.ctx, stmt, args...)
		return err
	}
	if insert(paths, cols) == nil {
		return paths, nil
	}
	if err := r.ctx.Err(); err != nil {
		return nil, fmt.Errorf("inference log window: %w", err)
	}
	var loaded []string
	for _, p := range paths {
		err := insert([]string{p}, cols)
		if err != nil && byName && r.ctx.Err() == nil {
			err = insert([]string{p}, legacy)
		}
		if err != nil {
			if cerr := r.ctx.Err(); cerr != nil {
				return nil, fmt.Errorf("inference log window: %w", cerr)
			}
			r.skip(r.keyOf(p), fmt.Errorf("unreadable Parquet: %w", err))
			continue
		}
		loaded = append(loaded, p)
	}
	return loaded, nil
}

func (r *reader) keyOf(path string) string {
	if k, ok := r.keys[path]; ok {
		return k
	}
	return path
}

// fetch makes key a local file; a failure skips it.
func (r *reader) fetch(key string) (string, bool) {
	if p, ok := r.fetched[key]; ok {
		return p, true
	}
	if r.skipped[key] {
		return "", false
	}
	p, cleanup, err := dataplane.Fetch(r.ctx, artifact.Ref{URI: r.store.URI(key)})
	if err != nil {
		r.skip(key, err)
		return "", false
	}
	r.clean = append(r.clean, cleanup)
	r.fetched[key] = p
	r.keys[p] = key
	r.w.Files++
	return p, true
}

func (r *reader) skip(key string, err error) {
	if r.skipped == nil {
		r.skipped = map[string]bool{}
	}
	if r.skipped[key] {
		return
	}
	r.skipped[key] = true
	uri := r.store.URI(key)
	r.w.Skipped = append(r.w.Skipped, fmt.Sprintf("%s: %v", uri, err))
	r.w.Logger.Warn("inference log: skipped a file that cannot be read", "file", uri, "err", err)
}

// views defines joined and labelled and counts the rows.
func (r *reader) views(keys string) error {
	latest := `(SELECT * FROM feedback QUALIFY row_number() OVER (PARTITION BY model, request_id, "row" ORDER BY "time" DESC, label) = 1)`
	stmts := []string{
		`CREATE OR REPLACE VIEW joined AS SELECT p.*, f.label, f.value, f."time" AS feedback_time, f.label_time FROM predictions p LEFT JOIN ` +
			latest + ` f ON p.model = f.model AND p.request_id = f.request_id AND p."row" = f."row"`,
		`CREATE OR REPLACE VIEW labelled AS SELECT k.request_id, k."row", k."time", k.model, k.version, k.variant, k.prediction, k.probability, ` +
			`k.probabilities, f.label, f.value, f."time" AS feedback_time, f.label_time FROM ` + keys + ` k JOIN ` +
			latest + ` f ON k.model = f.model AND k.request_id = f.request_id AND k."row" = f."row"`,
	}
	for _, s := range stmts {
		if _, err := r.db.ExecContext(r.ctx, s); err != nil {
			return fmt.Errorf("inference log window: %w", err)
		}
	}
	w := r.w
	counts := []struct {
		dst  *int64
		stmt string
	}{
		{&w.Predictions, `SELECT count(*) FROM predictions`},
		{&w.Feedback, `SELECT count(*) FROM feedback`},
		{&w.Joined, `SELECT count(*) FROM joined WHERE label IS NOT NULL`},
		{&w.UnknownFeedback, `SELECT count(*) FROM feedback f WHERE NOT EXISTS (SELECT 1 FROM ` + keys +
			` k WHERE k.model = f.model AND k.request_id = f.request_id AND k."row" = f."row")`},
	}
	for _, c := range counts {
		if err := r.db.QueryRowContext(r.ctx, c.stmt).Scan(c.dst); err != nil {
			return fmt.Errorf("inference log window: count: %w", err)
		}
	}
	return nil
}

// partitionKeys lists the files of one model's log whose hour overlaps
// [from, to), listing one day's folder at a time.
func partitionKeys(ctx context.Context, store artifact.Store, kind, model string, from, to time.Time) ([]string, error) {
	first := from.UTC().Truncate(time.Hour)
	var out []string
	for day := first.Truncate(24 * time.Hour); day.Before(to); day = day.Add(24 * time.Hour) {
		prefix := fmt.Sprintf("%s/%s/dt=%s/", kind, model, day.Format("2006-01-02"))
		keys, err := store.List(ctx, prefix)
		if err != nil {
			return nil, fmt.Errorf("inference log window: %w", err)
		}
		for _, k := range keys {
			hour, ok := partitionHour(k)
			if !ok || !strings.HasSuffix(k, ".parquet") || hour.Before(first) || !hour.Before(to) {
				continue
			}
			out = append(out, k)
		}
	}
	return out, nil
}
