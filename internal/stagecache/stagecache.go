// Package stagecache is the pipeline's content-addressed stage cache: a
// stage's result is recorded in the artifact store under the digest of
// what determines it (its kind, its inputs' digests, its config and the
// code version), so a later run on the same inputs, or a resumed run, takes
// the result instead of recomputing it.
//
// An entry is one JSON document, written whole (create-only, then replaced
// only when the entry there is unusable), so a crash never leaves half an
// entry and two runs recording the same key at once both leave a whole one.
// An entry whose document is unreadable or corrupt, or whose artifacts are
// gone or changed, is a miss, never a failure: the stage then recomputes.
package stagecache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
)

// Format names the entry document's format.
const Format = "mlpipe.stagecache.v1"

// Prefix is where entries live in the artifact store:
// stagecache/<stage>/<key>.json.
const Prefix = "stagecache/"

// Key is the sha256 of the canonical JSON of the stage kind and the parts
// that determine its result. Go's encoding/json writes struct fields in
// declaration order and map keys sorted, so the same values give the same
// key in every process.
func Key(stage string, parts ...any) (string, error) {
	h := sha256.New()
	doc := struct {
		Stage string `json:"stage"`
		Parts []any  `json:"parts"`
	}{stage, parts}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("stage cache key for %s: %w", stage, err)
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Entry is one recorded stage result.
type Entry struct {
	Format string `json:"format"`
	Stage  string `json:"stage"`
	Key    string `json:"key"`
	// WorkflowID is the run that recorded it.
	WorkflowID string    `json:"workflow_id"`
	Created    time.Time `json:"created"`
	// Artifacts are what the result refers to; every one must still be in
	// the store, with its digest, for the entry to be used.
	Artifacts []artifact.Ref `json:"artifacts"`
	// Result is the stage activity's result, as JSON.
	Result json.RawMessage `json:"result"`
}

// Cache reads and writes entries in a store.
type Cache struct {
	Store artifact.Store
}

// Miss says why a lookup found nothing usable. Reason is empty for a key
// never recorded; otherwise it says what was wrong with the entry, for a
// warning.
type Miss struct {
	Reason string
}

// path is the store key of an entry.
func path(stage, key string) string { return Prefix + stage + "/" + key + ".json" }

// Get looks key up. On a hit it decodes the recorded result into out and
// returns the entry. A key never recorded, an entry that does not decode,
// belongs to another key, or whose artifacts are missing or changed is a
// miss (with the reason); a store that cannot be read is a miss too, so a
// cache problem never fails a stage.
func (c Cache) Get(ctx context.Context, stage, key string, out any) (Entry, bool, Miss) {
	b, err := artifact.GetBytes(ctx, c.Store, path(stage, key))
	if errors.Is(err, artifact.ErrNotFound) {
		return Entry{}, false, Miss{}
	}
	if err != nil {
		return Entry{}, false, Miss{Reason: fmt.Sprintf("stage cache entry %s unreadable: %v", c.Store.URI(path(stage, key)), err)}
	}
	e, problem := c.check(ctx, stage, key, b)
	if problem != "" {
		return Entry{}, false, Miss{Reason: fmt.Sprintf("stage cache entry %s not used: %s", c.Store.URI(path(stage, key)), problem)}
	}
	if err := json.Unmarshal(e.Result, out); err != nil {
		return Entry{}, false, Miss{Reason: fmt.Sprintf("stage cache entry %s not used: its result does not decode: %v", c.Store.URI(path(stage, key)), err)}
	}
	return e, true, Miss{}
}

// check decodes an entry and verifies it; problem is empty when usable.
func (c Cache) check(ctx context.Context, stage, key string, b []byte) (Entry, string) {
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Sprintf("not an entry: %v", err)
	}
	switch {
	case e.Format != Format:
		return e, fmt.Sprintf("format %q, want %q", e.Format, Format)
	case e.Stage != stage || e.Key != key:
		return e, fmt.Sprintf("it records stage %s key %s", e.Stage, e.Key)
	case len(e.Result) == 0 || string(e.Result) == "null":
		return e, "it records no result"
	}
	for _, ref := range e.Artifacts {
		if problem := c.present(ctx, ref); problem != "" {
			return e, problem
		}
	}
	return e, ""
}

// present says what is wrong with an artifact an entry refers to, or "".
// Only artifacts of this store can be checked; a reference elsewhere (an
// http(s) source, another store) is taken as it is.
func (c Cache) present(ctx context.Context, ref artifact.Ref) string {
	if ref.URI == "" {
		return ""
	}
	base := strings.TrimSuffix(c.Store.URI("x"), "x")
	key, ok := strings.CutPrefix(ref.URI, base)
	if !ok {
		return ""
	}
	got, found, err := c.Store.Stat(ctx, key)
	switch {
	case err != nil:
		return fmt.Sprintf("artifact %s: %v", ref.URI, err)
	case !found:
		return fmt.Sprintf("artifact %s is gone", ref.URI)
	case ref.SHA256 != "" && got.SHA256 != ref.SHA256:
		return fmt.Sprintf("artifact %s changed (sha256 %.12s, recorded %.12s)", ref.URI, got.SHA256, ref.SHA256)
	}
	return ""
}

// decodesAs says whether raw decodes into a value of v's type.
func decodesAs(raw json.RawMessage, v any) bool {
	t := reflect.TypeOf(v)
	if t == nil {
		return false
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return json.Unmarshal(raw, reflect.New(t).Interface()) == nil
}

// Put records result under key, with the artifacts it refers to. The entry
// is written create-only; when one is there already it is kept if usable
// (another run recorded the same result) and replaced if not.
func (c Cache) Put(ctx context.Context, stage, key, workflowID string, artifacts []artifact.Ref, result any) error {
	res, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("stage cache %s: encode result: %w", stage, err)
	}
	var refs []artifact.Ref
	for _, r := range artifacts {
		if r.URI != "" {
			refs = append(refs, r)
		}
	}
	e := Entry{Format: Format, Stage: stage, Key: key, WorkflowID: workflowID, Created: time.Now().UTC().Truncate(time.Second), Artifacts: refs, Result: res}
	body, err := json.MarshalIndent(e, "", " ")
	if err != nil {
		return fmt.Errorf("stage cache %s: encode entry: %w", stage, err)
	}
	p := path(stage, key)
	_, err = c.Store.Create(ctx, p, bytes.NewReader(body), "application/json")
	if !errors.Is(err, artifact.ErrExists) {
		if err != nil {
			return fmt.Errorf("stage cache %s: %w", stage, err)
		}
		return nil
	}
	if old, gerr := artifact.GetBytes(ctx, c.Store, p); gerr == nil {
		if e, problem := c.check(ctx, stage, key, old); problem == "" && decodesAs(e.Result, result) {
			return nil
		}
	}
	if _, err := artifact.PutBytes(ctx, c.Store, p, body, "application/json"); err != nil {
		return fmt.Errorf("stage cache %s: replace an unusable entry: %w", stage, err)
	}
	return nil
}
