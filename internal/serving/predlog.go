package serving

import (
	"hash/fnv"
	"sync"
)

// logShards spreads the prediction log over locks, so concurrent requests
// rarely wait for one another; a request's rows all go to one shard.
const logShards = 16

// predictionLog remembers the most recent predicted rows, by model, request
// ID and row, so that late feedback can be joined to what was predicted.
// Memory is bounded: each shard is a ring that forgets its oldest rows.
type predictionLog struct {
	perShard int
	shards   [logShards]logShard
}

type logKey struct {
	model, id string
	row       int
}

// logEntry is one predicted row.
type logEntry struct {
	key      logKey
	v        *scoring
	label    string
	positive bool
	// shadow is set when the request was mirrored; shadowDone once the
	// shadow's answer is in.
	shadow         *scoring
	shadowDone     bool
	shadowLabel    string
	shadowPositive bool
	// joined is set by the first feedback, so a resent one counts once.
	joined bool
}

type logShard struct {
	mu    sync.Mutex
	ring  []logEntry // grows to perShard, then wraps
	next  int        // oldest slot once the ring is full
	index map[logKey]int
}

func newPredictionLog(rows int) *predictionLog {
	l := &predictionLog{perShard: max(1, (rows+logShards-1)/logShards)}
	for i := range l.shards {
		l.shards[i].index = map[logKey]int{}
	}
	return l
}

func (l *predictionLog) shard(model, id string) *logShard {
	h := fnv.New32a()
	_, _ = h.Write([]byte(model)) // hash.Hash never fails
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(id))
	return &l.shards[h.Sum32()%logShards]
}

// record logs a request's rows as answered by v; shadow is the candidate
// that will also score them, or nil.
func (l *predictionLog) record(model, id string, v, shadow *scoring, preds []Prediction) {
	sh := l.shard(model, id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for i, p := range preds {
		sh.put(l.perShard, logEntry{key: logKey{model, id, i}, v: v, label: p.Label, positive: v.positive(p), shadow: shadow})
	}
}

func (sh *logShard) put(capacity int, e logEntry) {
	var i int
	if len(sh.ring) < capacity {
		sh.ring = append(sh.ring, e)
		i = len(sh.ring) - 1
	} else {
		i = sh.next
		if old := sh.ring[i].key; sh.index[old] == i {
			delete(sh.index, old)
		}
		sh.ring[i] = e
		sh.next = (i + 1) % capacity
	}
	sh.index[e.key] = i
}

// shadowed adds the shadow's answers to a request's logged rows.
func (l *predictionLog) shadowed(model, id string, shadow *scoring, preds []Prediction) {
	sh := l.shard(model, id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for i, p := range preds {
		j, ok := sh.index[logKey{model, id, i}]
		if !ok || sh.ring[j].shadow != shadow {
			continue // forgotten, or the ID was reused by a later request
		}
		e := &sh.ring[j]
		e.shadowDone, e.shadowLabel, e.shadowPositive = true, p.Label, shadow.positive(p)
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
	j, ok := sh.index[logKey{model, id, row}]
	if !ok {
		return logEntry{}, joinUnknown, nil
	}
	e := &sh.ring[j]
	if e.joined {
		return *e, joinDuplicate, nil
	}
	if err := check(*e); err != nil {
		return *e, joinOK, err
	}
	e.joined = true
	return *e, joinOK, nil
}
