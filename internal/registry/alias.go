package registry

import (
	"context"
	"fmt"
)

// SetAlias points alias at an existing version of the model. Pointing it where
// it already points records nothing.
func (r *Registry) SetAlias(ctx context.Context, name, alias string, version int, opts ...ChangeOption) error {
	if err := validateName("alias", alias); err != nil {
		return fmt.Errorf("set alias: %w", err)
	}
	if _, err := r.Get(ctx, name, version); err != nil {
		return fmt.Errorf("set alias %s of %s: %w", alias, name, err)
	}
	_, _, err := r.changeAliases(ctx, name, opts, func(a map[string]int, ev *AliasEvent) (bool, error) {
		ev.Action, ev.Alias, ev.Version = ActionSet, alias, version
		if a[alias] == version {
			return false, nil
		}
		a[alias] = version
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("set alias %s of %s: %w", alias, name, err)
	}
	return nil
}

// DeleteAlias unsets an alias; deleting an unset alias records nothing.
func (r *Registry) DeleteAlias(ctx context.Context, name, alias string, opts ...ChangeOption) error {
	if err := validateName("alias", alias); err != nil {
		return fmt.Errorf("delete alias: %w", err)
	}
	if err := validateName("model", name); err != nil {
		return fmt.Errorf("delete alias %s: %w", alias, err)
	}
	_, _, err := r.changeAliases(ctx, name, opts, func(a map[string]int, ev *AliasEvent) (bool, error) {
		ev.Action, ev.Alias = ActionDelete, alias
		if _, ok := a[alias]; !ok {
			return false, nil
		}
		delete(a, alias)
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("delete alias %s of %s: %w", alias, name, err)
	}
	return nil
}

// Alias returns the version an alias points at; ok is false when it is unset.
func (r *Registry) Alias(ctx context.Context, name, alias string) (v Version, ok bool, err error) {
	if err := validateName("alias", alias); err != nil {
		return Version{}, false, err
	}
	aliases, err := r.Aliases(ctx, name)
	if err != nil {
		return Version{}, false, err
	}
	n, ok := aliases[alias]
	if !ok {
		return Version{}, false, nil
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
	a, _, err := r.currentAliases(ctx, name)
	return a, err
}

// Promote makes version the production version in one change: the version it
// replaces becomes previous (the rollback target), and candidate is cleared if
// it pointed at the promoted version. Concurrent promotions are serialised by
// the alias log, so none is lost. Promoting the current production version
// changes nothing and records nothing, which keeps retries idempotent.
func (r *Registry) Promote(ctx context.Context, name string, version int, opts ...ChangeOption) error {
	if _, err := r.Get(ctx, name, version); err != nil {
		return fmt.Errorf("promote %s version %d: %w", name, version, err)
	}
	_, _, err := r.changeAliases(ctx, name, opts, func(a map[string]int, ev *AliasEvent) (bool, error) {
		ev.Action, ev.Version = ActionPromote, version
		cur, ok := a[AliasProduction]
		if ok && cur == version {
			return false, nil
		}
		if ok {
			a[AliasPrevious] = cur
		}
		a[AliasProduction] = version
		if a[AliasCandidate] == version {
			delete(a, AliasCandidate)
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("promote %s version %d: %w", name, version, err)
	}
	return nil
}

// Rollback swaps production and previous in one change, undoing the last
// Promote, and returns the version now in production.
func (r *Registry) Rollback(ctx context.Context, name string, opts ...ChangeOption) (Version, error) {
	if err := validateName("model", name); err != nil {
		return Version{}, fmt.Errorf("rollback: %w", err)
	}
	ev, _, err := r.changeAliases(ctx, name, opts, func(a map[string]int, ev *AliasEvent) (bool, error) {
		prev, ok := a[AliasPrevious]
		if !ok {
			return false, fmt.Errorf("no previous production version to return to: %w", ErrNotFound)
		}
		ev.Action, ev.Version = ActionRollback, prev
		if cur, ok := a[AliasProduction]; ok {
			a[AliasPrevious] = cur
		} else {
			delete(a, AliasPrevious)
		}
		a[AliasProduction] = prev
		return true, nil
	})
	if err != nil {
		return Version{}, fmt.Errorf("rollback %s: %w", name, err)
	}
	return r.Get(ctx, name, ev.Version)
}
