package activities_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/tune"
)

func TestSlotsHandOutEachNumberOnceAndWaitWhenAllAreHeld(t *testing.T) {
	s := activities.NewSlots(2)
	require.Equal(t, 2, s.Len())
	ctx := context.Background()
	a, releaseA, err := s.Acquire(ctx)
	require.NoError(t, err)
	b, releaseB, err := s.Acquire(ctx)
	require.NoError(t, err)
	assert.ElementsMatch(t, []int{0, 1}, []int{a, b}, "one number per slot (the device index)")

	// Both held: a third waits until its context ends, and says so.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, _, err = s.Acquire(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "waiting for a training slot")

	// Giving a slot back twice frees it once.
	releaseA(true)
	releaseA(true)
	c, releaseC, err := s.Acquire(ctx)
	require.NoError(t, err)
	assert.Equal(t, a, c)
	none, cancelNone := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancelNone()
	_, _, err = s.Acquire(none)
	require.Error(t, err, "the double release did not make a third slot")
	releaseB(true)
	releaseC(true)

	assert.Equal(t, 1, activities.NewSlots(0).Len(), "at least one slot")
}

// ShortFits tells the worker whether prefetching pays: not before a fit
// has completed, yes after a short one, no once the worker has been idle
// for the limit, no while a fit runs past it or after a long one. A fit
// that failed does not count. Each slot change closes the Changed
// channel.
func TestSlotsTellWhetherFitsAreShort(t *testing.T) {
	s := activities.NewSlots(1)
	ctx := context.Background()
	const limit = time.Hour
	assert.False(t, s.ShortFits(limit, time.Now()), "no fit has ended yet")

	changed := s.Changed()
	_, release, err := s.Acquire(ctx)
	require.NoError(t, err)
	requireClosed(t, changed, "taking a slot")
	assert.False(t, s.ShortFits(limit, time.Now()), "still no fit has completed")
	changed = s.Changed()
	release(true)
	requireClosed(t, changed, "giving it back")
	assert.True(t, s.ShortFits(limit, time.Now()), "the last fit took far less than an hour")
	assert.False(t, s.ShortFits(limit, time.Now().Add(2*limit)), "nothing fitted for two hours")

	_, release, err = s.Acquire(ctx)
	require.NoError(t, err)
	assert.True(t, s.ShortFits(limit, time.Now()), "a fit that has just started")
	assert.False(t, s.ShortFits(time.Nanosecond, time.Now()), "the last fit took longer than the limit")

	release(true)

	// Two slots: a short fit completes beside one that has run 300 ms, past
	// a limit of 200 ms; the long one then fails, and does not count.
	two := activities.NewSlots(2)
	_, long, err := two.Acquire(ctx)
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond)
	_, short, err := two.Acquire(ctx)
	require.NoError(t, err)
	short(true)
	assert.False(t, two.ShortFits(200*time.Millisecond, time.Now()), "a fit is running past the limit")
	long(false)
	assert.True(t, two.ShortFits(200*time.Millisecond, time.Now()), "the failed 300 ms fit did not count")
}

func requireClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	default:
		t.Fatalf("%s did not close the Changed channel", what)
	}
}

// A trial on a worker whose only slot is held waits for it: it does not
// fit beside the running one, and it heartbeats that it waits, so the Web
// UI tells it from a training one. Cancelled while it waits, it ends at
// once with the reason; once the slot is free it trains and scores.
func TestATrialWaitsForAFreeSlotAndCanBeCancelledWhileItWaits(t *testing.T) {
	acts, _ := newActs(t)
	tm := trained(t, acts, "wf-slots", 5)
	in := activities.TrainTrialInput{Train: tm.Features.Train, TrialID: 1, Config: exampleConfig(), Fold: 0, Folds: 3, CVSeed: 9, Scoring: "f1"}
	slots := activities.NewSlots(1)
	beats := &heartbeats{}
	run := func(ctx context.Context) <-chan error {
		var s testsuite.WorkflowTestSuite
		s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
		env := s.NewTestActivityEnvironment()
		env.SetWorkerOptions(worker.Options{
			BackgroundActivityContext: activities.WithSlots(ctx, slots),
			Interceptors:              []interceptor.WorkerInterceptor{beats},
		})
		env.RegisterActivity(acts)
		done := make(chan error, 1)
		go func() {
			val, err := env.ExecuteActivity(acts.TrainTrial, in)
			if err == nil {
				var r activities.TrainTrialResult
				if err = val.Get(&r); err == nil && r.Status != tune.StatusOK {
					t.Errorf("trial status %s: %s", r.Status, r.Reason)
				}
			}
			done <- err
		}()
		return done
	}

	_, release, err := slots.Acquire(context.Background())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := run(ctx)
	require.Eventually(t, func() bool {
		for _, b := range beats.between(time.Time{}, time.Now().Add(time.Second)) {
			if len(b.details) == 0 {
				continue
			}
			if p, ok := b.details[0].(activities.TrialProgress); ok && p.WaitingForSlot {
				return true
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond, "the waiting trial never heartbeat that it waits for a slot")
	select {
	case err := <-done:
		t.Fatalf("the trial ran while the only slot was held (err %v)", err)
	default:
	}
	cancel()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.Contains(t, err.Error(), "waiting for a training slot")
	case <-time.After(30 * time.Second):
		t.Fatal("the waiting trial did not end when cancelled")
	}

	release(true)
	select {
	case err := <-run(context.Background()):
		require.NoError(t, err, "with the slot free the trial trains")
	case <-time.After(time.Minute):
		t.Fatal("the trial did not take the free slot")
	}
}
