package model

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultKeepCheckpoints is how many checkpoints one training run keeps
// at most: the one a retry would resume from and the newer ones whose
// announcement may not have reached the resuming side yet.
const DefaultKeepCheckpoints = 3

// DefaultCheckpointInterval is the least time between two checkpoints.
// A checkpoint is the whole model and optimizer state (Adam's is three
// times the weights), written durably; a retry can only resume from one
// that its announcement (a heartbeat, throttled to one every few seconds
// or more) has carried, so checkpoints written faster than that cost I/O
// and save no work. Fast epochs therefore checkpoint every 10 s at most.
const DefaultCheckpointInterval = 10 * time.Second

// CheckpointFile is the file name of the checkpoint after epoch.
func CheckpointFile(epoch int) string { return fmt.Sprintf("epoch-%04d.json", epoch) }

// CheckpointEpoch is the epoch a checkpoint file name (or a key ending in
// one) stands for; ok is false for any other name.
func CheckpointEpoch(key string) (epoch int, ok bool) {
	name := path.Base(key)
	digits, found := strings.CutPrefix(name, "epoch-")
	if !found {
		return 0, false
	}
	digits, found = strings.CutSuffix(digits, ".json")
	if !found {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// Retention decides when one training run writes a checkpoint and which
// of its checkpoints it may delete, keeping at most Keep of them.
//
// Training announces each checkpoint it writes (in a heartbeat) and a
// retry resumes from the last announcement that arrived. An announcement
// counts as arrived once Delivery has passed since the checkpoint was
// written. The newest arrived checkpoint is the anchor: it and every
// newer checkpoint are kept, since the resuming side may name any of
// them; older ones are deleted. A new checkpoint is written only when
// there is room for it without deleting the anchor, and never sooner than
// MinInterval after the previous one.
type Retention struct {
	keep        int
	minInterval time.Duration
	delivery    time.Duration

	entries   []retained // ascending epoch
	anchor    int        // the anchor's epoch; 0 while none
	lastWrite time.Time
}

type retained struct {
	epoch   int
	key     string
	written time.Time
}

// NewRetention keeps at most keep checkpoints (DefaultKeepCheckpoints
// when 0 or less; at least 2, the anchor and one newer, or training could
// never move past its first), writes them at least minInterval apart and
// takes an announcement as arrived delivery after the write.
func NewRetention(keep int, minInterval, delivery time.Duration) *Retention {
	switch {
	case keep <= 0:
		keep = DefaultKeepCheckpoints
	case keep < 2:
		keep = 2
	}
	return &Retention{keep: keep, minInterval: minInterval, delivery: delivery}
}

// Restart takes over the checkpoints an earlier attempt of the same run
// left (keys ending in CheckpointFile names) when this attempt resumes
// after epoch resumed (0: from the start). The resumed checkpoint is the
// anchor; older ones are kept until pruned. Newer ones were never
// announced to a retry that could still run (this attempt resumes from an
// older one), and this attempt writes its own: they are returned as stale,
// for deletion.
func (r *Retention) Restart(keys []string, resumed int) (stale []string) {
	r.entries, r.anchor = nil, 0
	for _, k := range keys {
		epoch, ok := CheckpointEpoch(k)
		switch {
		case !ok:
			continue
		case epoch > resumed:
			stale = append(stale, k)
		default:
			r.entries = append(r.entries, retained{epoch: epoch, key: k})
			if epoch == resumed {
				r.anchor = resumed
			}
		}
	}
	sort.Slice(r.entries, func(i, j int) bool { return r.entries[i].epoch < r.entries[j].epoch })
	return stale
}

// Due reports whether a checkpoint may be written at now: MinInterval has
// passed since the last one and there is room for one more.
func (r *Retention) Due(now time.Time) bool {
	if !r.lastWrite.IsZero() && now.Sub(r.lastWrite) < r.minInterval {
		return false
	}
	return r.unprunable()+1 <= r.keep
}

// unprunable counts the anchor and the checkpoints newer than it.
func (r *Retention) unprunable() int {
	n := 0
	for _, e := range r.entries {
		if e.epoch >= r.anchor {
			n++
		}
	}
	return n
}

// Written records a checkpoint durably written at now under key; it is
// announced from now on.
func (r *Retention) Written(epoch int, key string, now time.Time) {
	r.lastWrite = now
	for i, e := range r.entries {
		if e.epoch == epoch {
			r.entries[i] = retained{epoch: epoch, key: key, written: now}
			return
		}
	}
	r.entries = append(r.entries, retained{epoch: epoch, key: key, written: now})
	sort.Slice(r.entries, func(i, j int) bool { return r.entries[i].epoch < r.entries[j].epoch })
}

// Deletable moves the anchor to the newest checkpoint whose announcement
// has arrived by now and returns the keys of the older ones, oldest
// first. Call Deleted for each once it is gone.
func (r *Retention) Deletable(now time.Time) []string {
	for _, e := range r.entries {
		if e.epoch > r.anchor && !e.written.IsZero() && now.Sub(e.written) >= r.delivery {
			r.anchor = e.epoch
		}
	}
	var out []string
	for _, e := range r.entries {
		if e.epoch < r.anchor {
			out = append(out, e.key)
		}
	}
	return out
}

// Deleted forgets a checkpoint that is gone from the store.
func (r *Retention) Deleted(key string) {
	for i, e := range r.entries {
		if e.key == key {
			r.entries = append(r.entries[:i], r.entries[i+1:]...)
			return
		}
	}
}

// Anchor is the epoch of the checkpoint a retry is known to resume from
// (0 while none is).
func (r *Retention) Anchor() int { return r.anchor }
