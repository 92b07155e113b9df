package registry_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/testenv"
)

// The same behaviour must hold on both backends.
func TestRegistryOnFiles(t *testing.T) {
	runRegistryTests(t, func(t *testing.T) *registry.Registry {
		reg, err := registry.Open(context.Background(), "file://"+t.TempDir())
		require.NoError(t, err)
		return reg
	})
}

func TestRegistryOnS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw")
	}
	srv := testenv.StartS3(t)
	runRegistryTests(t, func(t *testing.T) *registry.Registry {
		reg, err := registry.Open(context.Background(), srv.URI(t.Name()))
		require.NoError(t, err)
		return reg
	})
}

func model(uri string) artifact.Ref {
	return artifact.Ref{URI: uri, SHA256: "ab", Size: 2, MediaType: "application/json"}
}

func runRegistryTests(t *testing.T, open func(*testing.T) *registry.Registry) {
	ctx := context.Background()

	t.Run("register numbers versions and round-trips fields", func(t *testing.T) {
		reg := open(t)
		created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		v1, err := reg.Register(ctx, registry.Version{
			Name: "churn", Model: model("file:///m/1"), Metrics: map[string]float64{"f1": 0.84},
			Params: map[string]any{"hidden": 16.0, "optimizer": "adam"}, DataDigest: "d1", WorkflowID: "churn-1", CreatedAt: created,
		})
		require.NoError(t, err)
		assert.Equal(t, 1, v1.Version)
		assert.Equal(t, "file:///m/1", v1.ModelURI)

		v2, err := reg.Register(ctx, registry.Version{Name: "churn", Model: model("file:///m/2")})
		require.NoError(t, err)
		assert.Equal(t, 2, v2.Version)
		assert.False(t, v2.CreatedAt.IsZero(), "CreatedAt is filled in")

		got, err := reg.Get(ctx, "churn", 1)
		require.NoError(t, err)
		assert.Equal(t, v1, got)

		all, err := reg.List(ctx, "churn")
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.Equal(t, []int{1, 2}, []int{all[0].Version, all[1].Version})

		latest, err := reg.Latest(ctx, "churn")
		require.NoError(t, err)
		assert.Equal(t, 2, latest.Version)

		_, err = reg.Get(ctx, "churn", 3)
		assert.ErrorIs(t, err, registry.ErrNotFound)
		_, err = reg.Register(ctx, registry.Version{Name: "churn"})
		assert.ErrorContains(t, err, "model reference is empty")
		_, err = reg.Register(ctx, registry.Version{Name: "../etc", Model: model("x")})
		assert.ErrorContains(t, err, `model name "../etc" is invalid`)
	})

	t.Run("versions past nine sort numerically", func(t *testing.T) {
		reg := open(t)
		for range 11 {
			_, err := reg.Register(ctx, registry.Version{Name: "m", Model: model("u")})
			require.NoError(t, err)
		}
		latest, err := reg.Latest(ctx, "m")
		require.NoError(t, err)
		assert.Equal(t, 11, latest.Version)
	})

	t.Run("concurrent registrations get distinct versions", func(t *testing.T) {
		reg := open(t)
		got := make([]int, 10)
		errs := make([]error, 10)
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() {
				v, err := reg.Register(ctx, registry.Version{Name: "churn", Model: model("u")})
				got[i], errs[i] = v.Version, err
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		sort.Ints(got)
		assert.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, got)
		all, err := reg.List(ctx, "churn")
		require.NoError(t, err)
		assert.Len(t, all, 10)
	})

	t.Run("promote moves production to previous and rollback undoes it", func(t *testing.T) {
		reg := open(t)
		for range 3 {
			_, err := reg.Register(ctx, registry.Version{Name: "churn", Model: model("u")})
			require.NoError(t, err)
		}
		_, ok, err := reg.Alias(ctx, "churn", registry.AliasProduction)
		require.NoError(t, err)
		assert.False(t, ok, "no production before the first promotion")

		require.NoError(t, reg.Promote(ctx, "churn", 1))
		require.NoError(t, reg.SetAlias(ctx, "churn", registry.AliasCandidate, 2))
		require.NoError(t, reg.Promote(ctx, "churn", 2))

		aliases, err := reg.Aliases(ctx, "churn")
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"production": 2, "previous": 1}, aliases, "candidate is cleared once promoted")

		prod, ok, err := reg.Alias(ctx, "churn", registry.AliasProduction)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, 2, prod.Version)

		back, err := reg.Rollback(ctx, "churn")
		require.NoError(t, err)
		assert.Equal(t, 1, back.Version)
		aliases, err = reg.Aliases(ctx, "churn")
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"production": 1, "previous": 2}, aliases)

		err = reg.Promote(ctx, "churn", 9)
		assert.ErrorIs(t, err, registry.ErrNotFound)
		err = reg.SetAlias(ctx, "churn", registry.AliasCandidate, 9)
		assert.ErrorIs(t, err, registry.ErrNotFound)
	})

	t.Run("models and approvals", func(t *testing.T) {
		reg := open(t)
		for _, name := range []string{"fraud", "churn", "churn"} {
			_, err := reg.Register(ctx, registry.Version{Name: name, Model: model("u")})
			require.NoError(t, err)
		}
		names, err := reg.Models(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"churn", "fraud"}, names)

		at := time.Date(2025, 3, 2, 9, 30, 0, 0, time.UTC)
		_, err = reg.RecordApproval(ctx, "churn", 2, registry.Approval{Approver: "alice", Comment: "f1 ok", Decision: registry.DecisionApproved, At: at})
		require.NoError(t, err)
		v, err := reg.Get(ctx, "churn", 2)
		require.NoError(t, err)
		require.NotNil(t, v.Approval)
		assert.Equal(t, registry.Approval{Approver: "alice", Comment: "f1 ok", Decision: "approved", At: at}, *v.Approval)

		_, err = reg.RecordApproval(ctx, "churn", 2, registry.Approval{Approver: "bob", Decision: "maybe"})
		assert.ErrorContains(t, err, `decision "maybe" must be "approved" or "rejected"`)
	})
}
