package registry

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
)

// aliasDoc is the stored form of an alias.
type aliasDoc struct {
	Alias     string    `json:"alias"`
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

func aliasKey(name, alias string) string { return root + name + "/aliases/" + alias + ".json" }

// SetAlias points alias at an existing version of the model.
func (r *Registry) SetAlias(ctx context.Context, name, alias string, version int) error {
	if err := validateName("alias", alias); err != nil {
		return fmt.Errorf("set alias: %w", err)
	}
	if _, err := r.Get(ctx, name, version); err != nil {
		return fmt.Errorf("set alias %s of %s: %w", alias, name, err)
	}
	if err := r.writeJSON(ctx, aliasKey(name, alias), aliasDoc{Alias: alias, Version: version, UpdatedAt: r.now()}); err != nil {
		return fmt.Errorf("set alias %s of %s: %w", alias, name, err)
	}
	return nil
}

// DeleteAlias removes an alias by pointing it at version 0, which Alias
// reports as unset: the artifact store has no delete.
func (r *Registry) DeleteAlias(ctx context.Context, name, alias string) error {
	if err := validateName("alias", alias); err != nil {
		return fmt.Errorf("delete alias: %w", err)
	}
	if err := r.writeJSON(ctx, aliasKey(name, alias), aliasDoc{Alias: alias, Version: 0, UpdatedAt: r.now()}); err != nil {
		return fmt.Errorf("delete alias %s of %s: %w", alias, name, err)
	}
	return nil
}

// aliasVersion returns the version number an alias points at, or 0 if unset.
func (r *Registry) aliasVersion(ctx context.Context, name, alias string) (int, error) {
	if err := validateName("model", name); err != nil {
		return 0, err
	}
	if err := validateName("alias", alias); err != nil {
		return 0, err
	}
	var doc aliasDoc
	if err := r.readJSON(ctx, aliasKey(name, alias), &doc); err != nil {
		if errors.Is(err, artifact.ErrNotFound) {
			return 0, nil
		}
		return 0, fmt.Errorf("read alias %s of %s: %w", alias, name, err)
	}
	return doc.Version, nil
}

// Alias returns the version an alias points at; ok is false when it is unset.
func (r *Registry) Alias(ctx context.Context, name, alias string) (v Version, ok bool, err error) {
	n, err := r.aliasVersion(ctx, name, alias)
	if err != nil || n == 0 {
		return Version{}, false, err
	}
	v, err = r.Get(ctx, name, n)
	if err != nil {
		return Version{}, false, fmt.Errorf("alias %s of %s: %w", alias, name, err)
	}
	return v, true, nil
}

// Aliases returns every set alias of a model and the version it points at.
func (r *Registry) Aliases(ctx context.Context, name string) (map[string]int, error) {
	if err := validateName("model", name); err != nil {
		return nil, err
	}
	keys, err := r.store.List(ctx, root+name+"/aliases/")
	if err != nil {
		return nil, fmt.Errorf("list aliases of %s: %w", name, err)
	}
	out := map[string]int{}
	for _, k := range keys {
		alias := strings.TrimSuffix(path.Base(k), ".json")
		n, err := r.aliasVersion(ctx, name, alias)
		if err != nil {
			return nil, err
		}
		if n != 0 {
			out[alias] = n
		}
	}
	return out, nil
}

// Promote makes version the production version. The version it replaces
// becomes previous (the rollback target), and candidate is cleared if it
// pointed at the promoted version. Promoting the current production version
// changes nothing. The aliases are separate documents, so two concurrent
// promotions of one model may interleave; rollouts promote one at a time.
func (r *Registry) Promote(ctx context.Context, name string, version int) error {
	if _, err := r.Get(ctx, name, version); err != nil {
		return fmt.Errorf("promote %s version %d: %w", name, version, err)
	}
	cur, err := r.aliasVersion(ctx, name, AliasProduction)
	if err != nil {
		return fmt.Errorf("promote %s version %d: %w", name, version, err)
	}
	if cur == version {
		return nil
	}
	if cur != 0 {
		if err := r.SetAlias(ctx, name, AliasPrevious, cur); err != nil {
			return fmt.Errorf("promote %s version %d: %w", name, version, err)
		}
	}
	if err := r.SetAlias(ctx, name, AliasProduction, version); err != nil {
		return fmt.Errorf("promote %s version %d: %w", name, version, err)
	}
	cand, err := r.aliasVersion(ctx, name, AliasCandidate)
	if err != nil {
		return fmt.Errorf("promote %s version %d: %w", name, version, err)
	}
	if cand == version {
		if err := r.DeleteAlias(ctx, name, AliasCandidate); err != nil {
			return fmt.Errorf("promote %s version %d: %w", name, version, err)
		}
	}
	return nil
}

// Rollback swaps production and previous, undoing the last Promote, and
// returns the version now in production.
func (r *Registry) Rollback(ctx context.Context, name string) (Version, error) {
	prev, err := r.aliasVersion(ctx, name, AliasPrevious)
	if err != nil {
		return Version{}, fmt.Errorf("rollback %s: %w", name, err)
	}
	if prev == 0 {
		return Version{}, fmt.Errorf("rollback %s: no previous production version to return to: %w", name, ErrNotFound)
	}
	if err := r.Promote(ctx, name, prev); err != nil {
		return Version{}, fmt.Errorf("rollback %s: %w", name, err)
	}
	return r.Get(ctx, name, prev)
}
