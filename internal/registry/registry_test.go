package registry_test

import (
	"context"
	"fmt"
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

	t.Run("concurrent promotions are all recorded in one sequence", func(t *testing.T) {
		reg := open(t)
		for range 10 {
			_, err := reg.Register(ctx, registry.Version{Name: "churn", Model: model("u")})
			require.NoError(t, err)
		}
		errs := make([]error, 10)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				errs[i] = reg.Promote(ctx, "churn", i+1, registry.Actor(fmt.Sprintf("worker-%d", i+1)))
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}

		hist, err := reg.History(ctx, "churn")
		require.NoError(t, err)
		require.Len(t, hist, 10, "one event per promotion")
		var order []int
		for k, ev := range hist {
			assert.Equal(t, k+1, ev.Seq)
			assert.Equal(t, registry.ActionPromote, ev.Action)
			assert.Equal(t, fmt.Sprintf("worker-%d", ev.Version), ev.Actor)
			assert.Equal(t, ev.Version, ev.Aliases["production"])
			if k > 0 {
				// Each promotion built on the one before it: none was lost.
				prev := hist[k-1].Version
				assert.Equal(t, prev, ev.Before["production"], "event %d", k+1)
				assert.Equal(t, prev, ev.Aliases["previous"], "event %d", k+1)
			}
			order = append(order, ev.Version)
		}
		sorted := append([]int(nil), order...)
		sort.Ints(sorted)
		assert.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, sorted, "each version was production exactly once")

		aliases, err := reg.Aliases(ctx, "churn")
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"production": order[9], "previous": order[8]}, aliases)
	})

	t.Run("history records who changed aliases and why", func(t *testing.T) {
		reg := open(t)
		at := time.Date(2025, 4, 1, 8, 0, 0, 0, time.UTC)
		reg.SetClock(func() time.Time { return at })
		for range 3 {
			_, err := reg.Register(ctx, registry.Version{Name: "churn", Model: model("u")})
			require.NoError(t, err)
		}
		require.NoError(t, reg.Promote(ctx, "churn", 1, registry.Workflow("churn-wf-1")))
		c, err := reg.RegisterCandidate(ctx, registry.Version{Name: "churn", Model: model("u"), ReportURI: "file:///r/4.html"}, registry.Workflow("churn-wf-4"))
		require.NoError(t, err)
		assert.Equal(t, 4, c.Version)
		require.NoError(t, reg.Promote(ctx, "churn", 4, registry.Actor("alice"), registry.Workflow("churn-wf-4")))
		require.NoError(t, reg.Promote(ctx, "churn", 4), "promoting production again is a no-op")
		_, err = reg.Rollback(ctx, "churn", registry.Actor("bob"), registry.Reason("f1 dropped in prod"))
		require.NoError(t, err)
		require.NoError(t, reg.DeleteAlias(ctx, "churn", registry.AliasPrevious, registry.Actor("bob")))
		require.NoError(t, reg.DeleteAlias(ctx, "churn", registry.AliasCandidate), "deleting an unset alias is a no-op")

		hist, err := reg.History(ctx, "churn")
		require.NoError(t, err)
		want := []registry.AliasEvent{
			{Seq: 1, At: at, Action: "promote", Version: 1, WorkflowID: "churn-wf-1",
				Before: map[string]int{}, Aliases: map[string]int{"production": 1}},
			{Seq: 2, At: at, Action: "set", Alias: "candidate", Version: 4, WorkflowID: "churn-wf-4",
				Before: map[string]int{"production": 1}, Aliases: map[string]int{"production": 1, "candidate": 4}},
			{Seq: 3, At: at, Action: "promote", Version: 4, Actor: "alice", WorkflowID: "churn-wf-4",
				Before: map[string]int{"production": 1, "candidate": 4}, Aliases: map[string]int{"production": 4, "previous": 1}},
			{Seq: 4, At: at, Action: "rollback", Version: 1, Actor: "bob", Reason: "f1 dropped in prod",
				Before: map[string]int{"production": 4, "previous": 1}, Aliases: map[string]int{"production": 1, "previous": 4}},
			{Seq: 5, At: at, Action: "delete", Alias: "previous", Actor: "bob",
				Before: map[string]int{"production": 1, "previous": 4}, Aliases: map[string]int{"production": 1}},
		}
		assert.Equal(t, want, hist)

		assert.True(t, hist[4].Concerns(4), "deleting previous moved the alias off version 4")
		assert.False(t, hist[4].Concerns(1), "version 1 stayed production")
		assert.False(t, hist[1].Concerns(1))

		_, err = reg.Rollback(ctx, "churn")
		assert.ErrorIs(t, err, registry.ErrNotFound, "no previous after it was deleted")
		empty, err := reg.History(ctx, "fraud")
		require.NoError(t, err)
		assert.Empty(t, empty)
	})

	t.Run("a rejection is recorded with the version's lineage", func(t *testing.T) {
		reg := open(t)
		v, err := reg.Register(ctx, registry.Version{Name: "churn", Model: model("u"), ReportURI: "s3://b/reports/churn-7.html", WorkflowID: "churn-7"})
		require.NoError(t, err)
		at := time.Date(2025, 3, 2, 10, 0, 0, 0, time.UTC)
		_, err = reg.RecordApproval(ctx, "churn", v.Version, registry.Approval{Approver: "carol", Comment: "recall too low", Decision: registry.DecisionRejected, At: at})
		require.NoError(t, err)
		got, err := reg.Get(ctx, "churn", v.Version)
		require.NoError(t, err)
		assert.Equal(t, "s3://b/reports/churn-7.html", got.ReportURI)
		require.NotNil(t, got.Approval)
		assert.Equal(t, registry.Approval{Approver: "carol", Comment: "recall too low", Decision: "rejected", At: at}, *got.Approval)
	})
}
