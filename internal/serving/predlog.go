package serving

import (
	"hash/maphash"
	"sync"
)

// logShards spreads the prediction log over locks, so concurrent requests
// rarely wait for one another; a request's rows all go to one shard.
const logShards = 16

// predictionLog remembers the most recent predicted rows, by model, request
// ID and row, so that late feedback can be joined to what was predicted.
// Memory is bounded in rows: each shard is a queue of requests that
// forgets its oldest requests, whole, to make room for a new one. It is
// keyed by request, not by row, so that logging a request costs one map
// insert and one delete whatever its rows.
type predictionLog struct {
	perShard int
	seed     maphash.Seed
	shards   [logShards]logShard
}

type logKey struct {
	model, id string
}

// loggedRequest is one request's predicted rows, as answered by v; shadow
// is the candidate that also scores them, or nil.
type loggedRequest struct {
	key       logKey
	v, shadow *scoring
	// first is the number of the first row kept: a request with more rows
	// than a shard holds keeps only its last ones, as a ring of rows would.
	first int
	rows  []loggedRow
}

// loggedRow is one predicted row.
type loggedRow struct {
	label    string
	positive bool
	// shadowDone is set once the shadow's answer is in.
	shadowDone     bool
	shadowPositive bool
	shadowLabel    string
	// joined is set by the first feedback, so a resent one counts once.
	joined bool
}

// logEntry is a copy of one predicted row with the request's variants, as
// join returns it.
type logEntry struct {
	v        *scoring
	label    string
	positive bool
	shadow   *scoring
	// shadowDone is set once the shadow's answer was in.
	shadowDone     bool
	shadowLabel    string
	shadowPositive bool
}

type logShard struct {
	mu sync.Mutex
	// queue holds requests oldest first from queue[head]; seq numbers them
	// for the index, queue[0] being number base.
	queue []loggedRequest
	head  int
	base  uint64
	rows  int // rows held
	// index maps a request to its number. Forgetting a request leaves its
	// entry, which lookup knows by its number; the index is rebuilt when
	// the queue is compacted. Deleting instead left the map's groups full
	// of tombstones, and every insert and lookup probed through them.
	index map[logKey]uint64
}

func newPredictionLog(rows int) *predictionLog {
	l := &predictionLog{perShard: max(1, (rows+logShards-1)/logShards), seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].index = map[logKey]uint64{}
	}
	return l
}

func (l *predictionLog) shard(model, id string) *logShard {
	var h maphash.Hash
	h.SetSeed(l.seed)
	h.WriteString(model)
	h.WriteByte(0)
	h.WriteString(id)
	return &l.shards[h.Sum64()%logShards]
}

// record logs a request's rows as answered by v; shadow is the candidate
// that will also score them, or nil. A request ID logged again replaces
// the earlier request.
func (l *predictionLog) record(model, id string, v, shadow *scoring, preds []Prediction) {
	first := max(0, len(preds)-l.perShard)
	rows := make([]loggedRow, len(preds)-first)
	for i := range rows {
		p := preds[first+i]
		rows[i] = loggedRow{label: p.Label, positive: v.positive(p)}
	}
	sh := l.shard(model, id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.push(l.perShard, loggedRequest{key: logKey{model, id}, v: v, shadow: shadow, first: first, rows: rows})
}

// push adds a request, first forgetting the oldest ones until its rows fit.
func (sh *logShard) push(capacity int, r loggedRequest) {
	for sh.rows+len(r.rows) > capacity && sh.head < len(sh.queue) {
		sh.forgetOldest()
	}
	if sh.head > 0 && sh.head >= len(sh.queue)/2 {
		// Move the live requests to the front and index them afresh, so
		// the queue and the index stay within twice what they hold.
		n := copy(sh.queue, sh.queue[sh.head:])
		clear(sh.queue[n:])
		sh.queue = sh.queue[:n]
		sh.base += uint64(sh.head)
		sh.head = 0
		clear(sh.index)
		for i := range sh.queue {
			sh.index[sh.queue[i].key] = sh.base + uint64(i) // a reused ID ends at its latest request
		}
	}
	sh.index[r.key] = sh.base + uint64(len(sh.queue))
	sh.queue = append(sh.queue, r)
	sh.rows += len(r.rows)
}

func (sh *logShard) forgetOldest() {
	old := &sh.queue[sh.head]
	sh.rows -= len(old.rows)
	*old = loggedRequest{}
	sh.head++
}

// lookup finds the request logged under key; the shard must be locked.
func (sh *logShard) lookup(key logKey) *loggedRequest {
	seq, ok := sh.index[key]
	if !ok || seq < sh.base+uint64(sh.head) {
		return nil // never logged, or forgotten
	}
	return &sh.queue[int(seq-sh.base)]
}

// shadowed adds the shadow's answers to a request's logged rows.
func (l *predictionLog) shadowed(model, id string, shadow *scoring, preds []Prediction) {
	sh := l.shard(model, id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	r := sh.lookup(logKey{model, id})
	if r == nil || r.shadow != shadow {
		return // forgotten, or the ID was reused by a later request
	}
	for i := range r.rows {
		if j := r.first + i; j < len(preds) {
			e := &r.rows[i]
			e.shadowDone, e.shadowLabel, e.shadowPositive = true, preds[j].Label, shadow.positive(preds[j])
		}
	}
}

// joinResult says what became of one feedback.
type joinResult int

const (
	joinOK joinResult = iota
	joinUnknown
	joinDuplicate
)

// join finds the logged row for a feedback and marks it joined; check may
// refuse the entry (then it stays unjoined). It returns a copy of the entry.
func (l *predictionLog) join(model, id string, row int, check func(logEntry) error) (logEntry, joinResult, error) {
	sh := l.shard(model, id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	r := sh.lookup(logKey{model, id})
	if r == nil || row < r.first || row-r.first >= len(r.rows) {
		return logEntry{}, joinUnknown, nil
	}
	lr := &r.rows[row-r.first]
	e := logEntry{v: r.v, label: lr.label, positive: lr.positive, shadow: r.shadow,
		shadowDone: lr.shadowDone, shadowLabel: lr.shadowLabel, shadowPositive: lr.shadowPositive}
	if lr.joined {
		return e, joinDuplicate, nil
	}
	if err := check(e); err != nil {
		return e, joinOK, err
	}
	lr.joined = true
	return e, joinOK, nil
}
