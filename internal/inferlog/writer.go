package inferlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/mlpipe/mlpipe/internal/artifact"
)

// Defaults of WriterOptions.
const (
	DefaultFlushInterval = time.Second
	DefaultFlushRows     = 10_000
	DefaultRetention     = 30 * 24 * time.Hour
)

// drainEvery is how often the writer takes what requests queued. Requests
// never wake it: a send to a buffered channel nobody waits on is cheap,
// where waking a goroutine per request costs the gateway measurably.
const drainEvery = 10 * time.Millisecond

// maxFlushAttempts bounds how often a batch the store refuses is tried
// again before its rows are dropped (and counted), so a store that stays
// down cannot hold the queue full forever.
const maxFlushAttempts = 5

// WriterOptions configure a Writer.
type WriterOptions struct {
	Store artifact.Store
	// Replica names this gateway in file names and records (default: the
	// host name and process ID).
	Replica string
	// FlushInterval and FlushRows: a batch is written when either is
	// reached (defaults 1s and 10,000 rows).
	FlushInterval time.Duration
	FlushRows     int
	// MaxPending bounds the rows queued and buffered, not yet written
	// (default 4 × FlushRows, at least 20,000); past it rows are dropped
	// and counted. A request with more rows than this is never logged.
	MaxPending int
	// Retention: partitions whose hour ended longer ago are deleted, at
	// start and every PruneEvery (default 30 days; negative keeps
	// everything).
	Retention time.Duration
	// PruneEvery is how often retention runs (default 1h).
	PruneEvery time.Duration
	Logger     *slog.Logger
	// Now is the clock for retention (default time.Now).
	Now func() time.Time
}

func (o WriterOptions) withDefaults() WriterOptions {
	if o.Replica == "" {
		host, err := os.Hostname()
		if err != nil {
			host = "gateway"
		}
		o.Replica = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	o.Replica = SafeName(o.Replica)
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.FlushRows <= 0 {
		o.FlushRows = DefaultFlushRows
	}
	if o.MaxPending <= 0 {
		o.MaxPending = max(4*o.FlushRows, 20_000)
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.PruneEvery <= 0 {
		o.PruneEvery = time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Stats are a Writer's counts since it started.
type Stats struct {
	// Rows and FeedbackRows written; Files published.
	Rows, FeedbackRows, Files uint64
	// Dropped rows (predictions and feedback): the queue was full, the
	// writer was closed, or the store refused a batch maxFlushAttempts times.
	Dropped uint64
	// FlushErrors counts failed batch writes (each retried at the next flush).
	FlushErrors uint64
	// Pending rows are queued or buffered, not yet written.
	Pending int64
	// Deleted counts partition files removed by retention.
	Deleted uint64
	// LastError is the last write or retention failure, empty if none.
	LastError string
}

// item is one hand-over from the request path.
type item struct {
	preds *Predictions
	fb    []Feedback
}

// Writer appends predictions and feedback to the store in Parquet batches.
// Its methods are safe for concurrent use and never block.
type Writer struct {
	opts    WriterOptions
	queue   chan item
	stop    chan struct{}
	done    chan struct{}
	closed  atomic.Bool
	once    sync.Once
	pending atomic.Int64

	rows, fbRows, files, dropped, flushErrs, deleted atomic.Uint64
	lastErr                                          atomic.Pointer[string]

	// Owned by the run goroutine.
	start    int64
	seq      int
	buffers  map[partition]*buffer
	buffered int
	scratch  []byte
	keys     []string
	// retries are batches the store refused, for the next flush.
	retries []*batch
	// spare is what sealed files leave for the next ones.
	spare encoders
	// lost is what the final flush could not write, for Close.
	lost error
}

type partition struct {
	kind, model string
	hour        int64 // Unix seconds of the hour's start
}

// NewWriter starts a writer; Close flushes what it holds and stops it.
func NewWriter(opts WriterOptions) (*Writer, error) {
	if opts.Store == nil {
		return nil, errors.New("inference log: no artifact store")
	}
	o := opts.withDefaults()
	w := &Writer{
		opts:    o,
		queue:   make(chan item, max(4096, o.MaxPending/4)),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		start:   time.Now().UnixMilli(),
		buffers: map[partition]*buffer{},
	}
	go w.run()
	return w, nil
}

// Replica is the name this writer logs under.
func (w *Writer) Replica() string { return w.opts.Replica }

// LogPredictions queues one request's predictions; false means they were
// dropped (and counted) because the queue is full or the writer closed.
func (w *Writer) LogPredictions(p *Predictions) bool {
	return w.enqueue(item{preds: p}, p.logRows())
}

// LogFeedback queues feedback; false means it was dropped (and counted).
func (w *Writer) LogFeedback(fb []Feedback) bool {
	return w.enqueue(item{fb: fb}, len(fb))
}

func (w *Writer) enqueue(it item, n int) bool {
	if n == 0 {
		return true
	}
	if w.closed.Load() {
		w.dropped.Add(uint64(n))
		return false
	}
	if w.pending.Add(int64(n)) > int64(w.opts.MaxPending) {
		w.pending.Add(-int64(n))
		w.dropped.Add(uint64(n))
		return false
	}
	select {
	case w.queue <- it:
		return true
	default:
		w.pending.Add(-int64(n))
		w.dropped.Add(uint64(n))
		return false
	}
}

// Stats are the writer's counts so far.
func (w *Writer) Stats() Stats {
	s := Stats{Rows: w.rows.Load(), FeedbackRows: w.fbRows.Load(), Files: w.files.Load(), Dropped: w.dropped.Load(),
		FlushErrors: w.flushErrs.Load(), Pending: w.pending.Load(), Deleted: w.deleted.Load()}
	if e := w.lastErr.Load(); e != nil {
		s.LastError = *e
	}
	return s
}

// Close writes what is queued and buffered, then stops the writer. Rows
// logged after Close are dropped. ctx bounds the wait.
func (w *Writer) Close(ctx context.Context) error {
	w.once.Do(func() {
		w.closed.Store(true)
		close(w.stop)
	})
	select {
	case <-w.done:
	case <-ctx.Done():
		return fmt.Errorf("inference log: close: %w (%d rows not written)", ctx.Err(), w.pending.Load())
	}
	if p := w.pending.Load(); p > 0 {
		return fmt.Errorf("inference log: %d rows could not be written: %s", p, w.Stats().LastError)
	}
	return w.lost
}

func (w *Writer) run() {
	defer close(w.done)
	flush := time.NewTicker(w.opts.FlushInterval)
	defer flush.Stop()
	prune := time.NewTicker(w.opts.PruneEvery)
	defer prune.Stop()
	drain := time.NewTicker(min(drainEvery, w.opts.FlushInterval))
	defer drain.Stop()
	pruned := make(chan struct{}, 1)
	w.prune(pruned)
	for {
		select {
		case <-drain.C:
			w.drain()
		case <-flush.C:
			w.drain()
			_ = w.flushAll(false) // failures are counted and logged as they happen
		case <-prune.C:
			w.prune(pruned)
		case <-w.stop:
			w.drain()
			w.lost = w.flushAll(true)
			return
		}
	}
}

// drain adds what is queued to the buffers, flushing whenever they reach
// FlushRows.
func (w *Writer) drain() {
	for {
		select {
		case it := <-w.queue:
			w.add(it)
			if w.buffered >= w.opts.FlushRows {
				_ = w.flushAll(false) // failures are counted and logged as they happen
			}
		default:
			for _, b := range w.buffers {
				if len(b.preds) >= encodeBatch {
					_ = b.encodePending(&w.spare) // kept in the buffer; its flush reports it
				}
			}
			return
		}
	}
}

// prune deletes expired partitions in the background, one run at a time.
func (w *Writer) prune(running chan struct{}) {
	if w.opts.Retention < 0 {
		return
	}
	select {
	case running <- struct{}{}:
	default:
		return // the last run is still going
	}
	go func() {
		defer func() { <-running }()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		n, err := Prune(ctx, w.opts.Store, w.opts.Now().Add(-w.opts.Retention))
		w.deleted.Add(uint64(n))
		if err != nil {
			w.fail(fmt.Errorf("retention: %w", err))
			return
		}
		if n > 0 {
			w.opts.Logger.Info("inference log retention", "deleted_files", n, "retention", w.opts.Retention)
		}
	}()
}

func (w *Writer) fail(err error) {
	msg := err.Error()
	w.lastErr.Store(&msg)
	w.opts.Logger.Error("inference log", "err", err)
}

// add encodes a hand-over into its partition's buffer.
func (w *Writer) add(it item) {
	if p := it.preds; p != nil {
		n := p.Answers.Len()
		b := w.buffer(KindInference, p.Model, p.Time)
		r := requestRow{RequestID: validUTF8(p.RequestID), Time: micros(p.Time), Model: p.Model, Version: int32(p.Version),
			Variant: p.Variant, Inputs: w.inputs(p), Predictions: make([]string, n), Probability: make([]float64, n),
			LatencyMs: float64(p.Latency.Microseconds()) / 1000, Replica: w.opts.Replica, Status: p.status()}
		multi := false
		for i := range n {
			var probs map[string]float64
			r.Predictions[i], r.Probability[i], probs = p.Answers.At(i)
			multi = multi || probs != nil
		}
		if multi {
			w.scratch = append(w.scratch[:0], '[')
			for i := range n {
				if i > 0 {
					w.scratch = append(w.scratch, ',')
				}
				_, _, probs := p.Answers.At(i)
				w.scratch, w.keys = appendObject(w.scratch, probs, w.keys)
			}
			s := string(append(w.scratch, ']'))
			r.Probabilities = &s
		}
		b.preds = append(b.preds, r)
		b.rows += p.logRows()
		w.buffered += p.logRows()
	}
	for _, f := range it.fb {
		b := w.buffer(KindFeedback, f.Model, f.Time)
		r := feedbackRow{RequestID: validUTF8(f.RequestID), Row: int32(f.Row), Time: micros(f.Time), Model: f.Model,
			Label: validUTF8(f.Label), Value: f.Value, Replica: w.opts.Replica}
		if !f.LabelTime.IsZero() {
			lt := micros(f.LabelTime)
			r.LabelTime = &lt
		}
		b.fbs = append(b.fbs, r)
		b.rows++
		w.buffered++
	}
}

// inputs is the request's rows as a JSON array: as the client sent them
// when it can be, else encoded from the decoded rows. A row count that
// does not match the answers leaves the rows null rather than misaligned.
func (w *Writer) inputs(p *Predictions) string {
	if p.Raw != nil && utf8.Valid(p.Raw) {
		// The record shares Raw's bytes rather than copying them (a
		// request's whole body, every row): the gateway hands Raw over
		// and never writes to it again, and the Parquet writer copies
		// the string when the record is encoded.
		return unsafe.String(unsafe.SliceData(p.Raw), len(p.Raw))
	}
	if len(p.Rows) != p.Answers.Len() {
		return "null"
	}
	w.scratch = append(w.scratch[:0], '[')
	for i, row := range p.Rows {
		if i > 0 {
			w.scratch = append(w.scratch, ',')
		}
		w.scratch, w.keys = appendObject(w.scratch, row, w.keys)
	}
	return string(append(w.scratch, ']'))
}

func (w *Writer) buffer(kind, model string, t time.Time) *buffer {
	k := partition{kind: kind, model: model, hour: t.UTC().Truncate(time.Hour).Unix()}
	b := w.buffers[k]
	if b == nil {
		b = &buffer{}
		w.buffers[k] = b
	}
	return b
}

// flushAll seals every buffer into one batch file and publishes it, after
// the batches an earlier flush could not publish. A batch the store
// refuses is tried again at the next flush, up to maxFlushAttempts (or,
// when final, is dropped at once); the error names what was dropped.
func (w *Writer) flushAll(final bool) error {
	batches := w.retries
	w.retries = nil
	for k, b := range w.buffers {
		delete(w.buffers, k)
		if b.len() == 0 {
			continue
		}
		body, err := b.seal(k, &w.spare)
		batches = append(batches, &batch{part: k, body: body, rows: b.len(), err: err})
	}
	w.buffered = 0
	var dropped []error
	for _, bt := range batches {
		err := bt.err
		if err == nil {
			err = w.publish(bt)
		}
		n := bt.rows
		if err != nil {
			w.flushErrs.Add(1)
			bt.attempts++
			w.fail(fmt.Errorf("write %d %s rows of %s: %w", n, bt.part.kind, bt.part.model, err))
			if !final && bt.err == nil && bt.attempts < maxFlushAttempts {
				w.retries = append(w.retries, bt)
				continue
			}
			w.dropped.Add(uint64(n))
			dropped = append(dropped, fmt.Errorf("dropped %d %s rows of %s: %w", n, bt.part.kind, bt.part.model, err))
		} else if bt.part.kind == KindInference {
			w.rows.Add(uint64(n))
			w.files.Add(1)
			w.spare.recycle(bt.body)
		} else {
			w.fbRows.Add(uint64(n))
			w.files.Add(1)
		}
		w.pending.Add(-int64(n))
	}
	return errors.Join(dropped...)
}

// batch is one sealed Parquet file waiting to be published.
type batch struct {
	part     partition
	body     []byte
	rows     int
	attempts int
	// err is an encoding failure: the batch cannot be written at all.
	err error
}

// publish writes a batch under a fresh key; Create never replaces a
// file, so a name clash only takes the next number.
func (w *Writer) publish(bt *batch) error {
	dir := hourDir(bt.part.kind, bt.part.model, time.Unix(bt.part.hour, 0))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var err error
	for range 100 {
		w.seq++
		key := fmt.Sprintf("%s/%s-%d-%06d.parquet", dir, w.opts.Replica, w.start, w.seq)
		_, err = w.opts.Store.Create(ctx, key, bytes.NewReader(bt.body), "application/vnd.apache.parquet")
		if !errors.Is(err, artifact.ErrExists) {
			return err
		}
	}
	return err
}
