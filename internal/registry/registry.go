package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
)

const root = "registry/"

// Registry reads and writes model versions and aliases in an artifact.Store.
// It is safe for concurrent use, including from several processes sharing a store.
type Registry struct {
	store artifact.Store
	now   func() time.Time
}

// New returns a registry kept in store.
func New(store artifact.Store) *Registry {
	return &Registry{store: store, now: func() time.Time { return time.Now().UTC() }}
}

// Open opens the artifact store at location (see artifact.Open) and returns the
// registry inside it.
func Open(ctx context.Context, location string) (*Registry, error) {
	s, err := artifact.Open(ctx, location)
	if err != nil {
		return nil, fmt.Errorf("open registry: %w", err)
	}
	return New(s), nil
}

// Store is the artifact store the registry lives in.
func (r *Registry) Store() artifact.Store { return r.store }

func versionKey(name string, n int) string {
	return root + name + "/versions/" + strconv.Itoa(n) + ".json"
}

// Register records v as the next version of v.Name and returns it with
// Version and CreatedAt filled in. The number is claimed with a create-only
// write; when another registration wins it, the next number is tried.
func (r *Registry) Register(ctx context.Context, v Version) (Version, error) {
	if err := validateName("model", v.Name); err != nil {
		return Version{}, fmt.Errorf("register: %w", err)
	}
	if v.ModelURI == "" {
		v.ModelURI = v.Model.URI
	}
	if v.ModelURI == "" {
		return Version{}, invalidf("register %s: the model reference is empty: set Model to the artifact.Ref of the model bundle", v.Name)
	}
	if v.Model.URI != "" && v.Model.URI != v.ModelURI {
		return Version{}, invalidf("register %s: ModelURI %q differs from Model.URI %q: set only Model", v.Name, v.ModelURI, v.Model.URI)
	}
	if v.CreatedAt.IsZero() {
		v.CreatedAt = r.now()
	}
	versions, err := r.versionNumbers(ctx, v.Name)
	if err != nil {
		return Version{}, fmt.Errorf("register %s: %w", v.Name, err)
	}
	next := 1
	if len(versions) > 0 {
		next = versions[len(versions)-1] + 1
	}
	for ; ; next++ {
		v.Version = next
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return Version{}, fmt.Errorf("register %s: encode: %w", v.Name, err)
		}
		_, err = r.store.Create(ctx, versionKey(v.Name, next), bytes.NewReader(data), "application/json")
		if errors.Is(err, artifact.ErrExists) {
			continue
		}
		if err != nil {
			return Version{}, fmt.Errorf("register %s: %w", v.Name, err)
		}
		return v, nil
	}
}

// RegisterCandidate registers v and points the candidate alias at it: the
// state of a trained model awaiting the approval gate. The two steps are not
// one write: if the alias change fails, the version stays registered and the
// error says which version to SetAlias (or Promote) by hand.
func (r *Registry) RegisterCandidate(ctx context.Context, v Version, opts ...ChangeOption) (Version, error) {
	v, err := r.Register(ctx, v)
	if err != nil {
		return Version{}, err
	}
	if err := r.SetAlias(ctx, v.Name, AliasCandidate, v.Version, opts...); err != nil {
		return v, fmt.Errorf("registered %s version %d but could not make it the candidate: %w", v.Name, v.Version, err)
	}
	return v, nil
}

// Get returns one version; a missing one is an error wrapping ErrNotFound.
func (r *Registry) Get(ctx context.Context, name string, version int) (Version, error) {
	if err := validateName("model", name); err != nil {
		return Version{}, err
	}
	var v Version
	if err := r.readJSON(ctx, versionKey(name, version), &v); err != nil {
		if errors.Is(err, artifact.ErrNotFound) {
			return Version{}, fmt.Errorf("model %s has no version %d: %w", name, version, ErrNotFound)
		}
		return Version{}, fmt.Errorf("get %s version %d: %w", name, version, err)
	}
	return v, nil
}

// List returns all versions of a model, oldest first; none is an empty list.
func (r *Registry) List(ctx context.Context, name string) ([]Version, error) {
	if err := validateName("model", name); err != nil {
		return nil, err
	}
	nums, err := r.versionNumbers(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", name, err)
	}
	out := make([]Version, 0, len(nums))
	for _, n := range nums {
		v, err := r.Get(ctx, name, n)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Latest returns the highest-numbered version.
func (r *Registry) Latest(ctx context.Context, name string) (Version, error) {
	nums, err := r.versionNumbers(ctx, name)
	if err != nil {
		return Version{}, fmt.Errorf("latest %s: %w", name, err)
	}
	if len(nums) == 0 {
		return Version{}, fmt.Errorf("model %s has no versions: %w", name, ErrNotFound)
	}
	return r.Get(ctx, name, nums[len(nums)-1])
}

// Models returns the names of all models with at least one version, sorted.
func (r *Registry) Models(ctx context.Context) ([]string, error) {
	keys, err := r.store.List(ctx, root)
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	seen := map[string]bool{}
	var names []string
	for _, k := range keys {
		parts := strings.Split(strings.TrimPrefix(k, root), "/")
		if len(parts) == 3 && parts[1] == "versions" && !seen[parts[0]] {
			seen[parts[0]] = true
			names = append(names, parts[0])
		}
	}
	sort.Strings(names)
	return names, nil
}

// RecordApproval stores the gate's decision on a version, approved or
// rejected; Get returns it afterwards. Repeating it replaces the earlier
// decision (last writer wins: a decision is a fact about the version, not a
// change built on the previous one). It moves no alias.
func (r *Registry) RecordApproval(ctx context.Context, name string, version int, a Approval) (Version, error) {
	if a.Decision != DecisionApproved && a.Decision != DecisionRejected {
		return Version{}, invalidf("record approval for %s version %d: decision %q must be %q or %q", name, version, a.Decision, DecisionApproved, DecisionRejected)
	}
	if strings.TrimSpace(a.Approver) == "" {
		return Version{}, invalidf("record approval for %s version %d: approver is empty: name who decided", name, version)
	}
	v, err := r.Get(ctx, name, version)
	if err != nil {
		return Version{}, err
	}
	if a.At.IsZero() {
		a.At = r.now()
	}
	v.Approval = &a
	if err := r.writeJSON(ctx, versionKey(name, version), v); err != nil {
		return Version{}, fmt.Errorf("record approval for %s version %d: %w", name, version, err)
	}
	return v, nil
}

// versionNumbers lists a model's version numbers in ascending order.
func (r *Registry) versionNumbers(ctx context.Context, name string) ([]int, error) {
	keys, err := r.store.List(ctx, root+name+"/versions/")
	if err != nil {
		return nil, err
	}
	nums := make([]int, 0, len(keys))
	for _, k := range keys {
		n, err := strconv.Atoi(strings.TrimSuffix(path.Base(k), ".json"))
		if err != nil || !strings.HasSuffix(k, ".json") {
			continue // not ours; a stray file must not break the registry
		}
		nums = append(nums, n)
	}
	sort.Ints(nums)
	return nums, nil
}

func (r *Registry) readJSON(ctx context.Context, key string, v any) error {
	data, err := artifact.GetBytes(ctx, r.store, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", r.store.URI(key), err)
	}
	return nil
}

func (r *Registry) writeJSON(ctx context.Context, key string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	_, err = artifact.PutBytes(ctx, r.store, key, data, "application/json")
	return err
}
