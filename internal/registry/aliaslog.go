package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
)

// A model's aliases are an append-only log: registry/<name>/aliases/<seq>.json
// holds the whole alias map after change number seq, and what that change was.
// The current aliases are the highest seq. A writer reads seq n and claims n+1
// with the store's create-only write, so two writers can never both build on n:
// the loser re-reads and tries again. Nothing is ever overwritten, which also
// gives the audit trail History returns.

// Actions an AliasEvent records.
const (
	ActionPromote  = "promote"
	ActionRollback = "rollback"
	ActionSet      = "set"
	ActionDelete   = "delete"
)

// maxAliasAttempts bounds the read-compute-create loop. Each lost attempt means
// another writer's change landed, so this many losses in a row only happens
// under sustained contention from many writers.
const maxAliasAttempts = 20

// ErrConflict is wrapped by alias changes that lost to other writers
// maxAliasAttempts times in a row.
var ErrConflict = errors.New("conflict")

// AliasEvent is one change to a model's aliases: the stored document and an
// entry of History.
type AliasEvent struct {
	Seq        int            `json:"seq"`
	At         time.Time      `json:"at"`
	Action     string         `json:"action"`            // ActionPromote, ActionRollback, ActionSet or ActionDelete
	Alias      string         `json:"alias,omitempty"`   // set and delete: the alias changed
	Version    int            `json:"version,omitempty"` // promote, rollback, set: the version it now points at
	Actor      string         `json:"actor,omitempty"`
	WorkflowID string         `json:"workflow_id,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	Before     map[string]int `json:"before"`  // every alias before the change
	Aliases    map[string]int `json:"aliases"` // every alias after it: the model's state as of Seq
}

// Concerns reports whether the change involved version: it was the target, or
// an alias pointed at it before or after and moved.
func (e AliasEvent) Concerns(version int) bool {
	if e.Version == version {
		return true
	}
	for a, v := range e.Before {
		if v == version && e.Aliases[a] != version {
			return true
		}
	}
	for a, v := range e.Aliases {
		if v == version && e.Before[a] != version {
			return true
		}
	}
	return false
}

// ChangeOption adds who changed the aliases, and why, to the recorded event.
type ChangeOption func(*AliasEvent)

// Actor names the person or service making the change.
func Actor(name string) ChangeOption { return func(e *AliasEvent) { e.Actor = name } }

// Workflow names the workflow making the change.
func Workflow(id string) ChangeOption { return func(e *AliasEvent) { e.WorkflowID = id } }

// Reason says why the change was made.
func Reason(text string) ChangeOption { return func(e *AliasEvent) { e.Reason = text } }

func aliasSeqKey(name string, seq int) string {
	return fmt.Sprintf("%s%s/aliases/%010d.json", root, name, seq)
}

// aliasSeqs lists a model's alias log sequence numbers in ascending order.
func (r *Registry) aliasSeqs(ctx context.Context, name string) ([]int, error) {
	keys, err := r.store.List(ctx, root+name+"/aliases/")
	if err != nil {
		return nil, fmt.Errorf("list aliases of %s: %w", name, err)
	}
	seqs := make([]int, 0, len(keys))
	for _, k := range keys {
		if !strings.HasSuffix(k, ".json") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(path.Base(k), ".json"))
		if err != nil || n <= 0 {
			continue // not part of the log; a stray file must not break the registry
		}
		seqs = append(seqs, n)
	}
	// Keys sort as strings; past the padding width they would not sort as numbers.
	slices.Sort(seqs)
	return seqs, nil
}

// currentAliases returns the latest alias map and its seq (0 and an empty map
// before the first change).
func (r *Registry) currentAliases(ctx context.Context, name string) (map[string]int, int, error) {
	seqs, err := r.aliasSeqs(ctx, name)
	if err != nil {
		return nil, 0, err
	}
	if len(seqs) == 0 {
		return map[string]int{}, 0, nil
	}
	ev, err := r.readAliasEvent(ctx, name, seqs[len(seqs)-1])
	if err != nil {
		return nil, 0, err
	}
	return ev.Aliases, ev.Seq, nil
}

func (r *Registry) readAliasEvent(ctx context.Context, name string, seq int) (AliasEvent, error) {
	var ev AliasEvent
	if err := r.readJSON(ctx, aliasSeqKey(name, seq), &ev); err != nil {
		return AliasEvent{}, fmt.Errorf("read aliases of %s (change %d): %w", name, seq, err)
	}
	ev.Seq = seq // the key is authoritative
	if ev.Aliases == nil {
		ev.Aliases = map[string]int{}
	}
	if ev.Before == nil {
		ev.Before = map[string]int{}
	}
	return ev, nil
}

// History returns every change to a model's aliases, oldest first; a model
// whose aliases never changed has an empty history.
func (r *Registry) History(ctx context.Context, name string) ([]AliasEvent, error) {
	if err := validateName("model", name); err != nil {
		return nil, err
	}
	seqs, err := r.aliasSeqs(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make([]AliasEvent, 0, len(seqs))
	for _, s := range seqs {
		ev, err := r.readAliasEvent(ctx, name, s)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// changeAliases applies edit to the current alias map and appends the result
// as the next change. edit fills in the event's Action, Alias and Version and
// reports whether anything changed; when nothing did, no event is written and
// ok is false. On losing the race for the next seq it starts over from the
// newer state, so edit must be a pure function of the map it is given.
func (r *Registry) changeAliases(ctx context.Context, name string, opts []ChangeOption, edit func(aliases map[string]int, ev *AliasEvent) (changed bool, err error)) (ev AliasEvent, ok bool, err error) {
	for attempt := 1; attempt <= maxAliasAttempts; attempt++ {
		cur, seq, err := r.currentAliases(ctx, name)
		if err != nil {
			return AliasEvent{}, false, err
		}
		next := maps.Clone(cur)
		ev := AliasEvent{Seq: seq + 1, Before: cur, Aliases: next}
		changed, err := edit(next, &ev)
		if err != nil || !changed {
			return AliasEvent{}, false, err
		}
		for _, o := range opts {
			o(&ev)
		}
		ev.At = r.now()
		data, err := json.MarshalIndent(ev, "", "  ")
		if err != nil {
			return AliasEvent{}, false, fmt.Errorf("encode aliases of %s: %w", name, err)
		}
		_, err = r.store.Create(ctx, aliasSeqKey(name, ev.Seq), bytes.NewReader(data), "application/json")
		if err == nil {
			return ev, true, nil
		}
		if !errors.Is(err, artifact.ErrExists) {
			return AliasEvent{}, false, fmt.Errorf("write aliases of %s: %w", name, err)
		}
		// Another writer took this seq. A short random pause keeps writers in
		// other processes from colliding in lockstep.
		select {
		case <-ctx.Done():
			return AliasEvent{}, false, ctx.Err()
		case <-time.After(time.Duration(rand.IntN(attempt*5)+1) * time.Millisecond):
		}
	}
	return AliasEvent{}, false, fmt.Errorf("aliases of %s changed under %d attempts in a row by other writers; try again: %w", name, maxAliasAttempts, ErrConflict)
}
