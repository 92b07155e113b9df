package activities_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
)

// recordedBeat is one heartbeat call an activity made.
type recordedBeat struct {
	at      time.Time
	details []any
}

// heartbeats records every heartbeat call, before the SDK throttles them.
type heartbeats struct {
	interceptor.WorkerInterceptorBase
	mu    sync.Mutex
	beats []recordedBeat
}

func (h *heartbeats) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &heartbeatsInbound{root: h}
	i.Next = next
	return i
}

func (h *heartbeats) between(from, to time.Time) []recordedBeat {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []recordedBeat
	for _, b := range h.beats {
		if b.at.After(from) && b.at.Before(to) {
			out = append(out, b)
		}
	}
	return out
}

type heartbeatsInbound struct {
	interceptor.ActivityInboundInterceptorBase
	root *heartbeats
}

func (i *heartbeatsInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	o := &heartbeatsOutbound{root: i.root}
	o.Next = outbound
	return i.Next.Init(o)
}

type heartbeatsOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	root *heartbeats
}

func (o *heartbeatsOutbound) RecordHeartbeat(ctx context.Context, details ...any) {
	o.root.mu.Lock()
	o.root.beats = append(o.root.beats, recordedBeat{at: time.Now(), details: details})
	o.root.mu.Unlock()
	o.Next.RecordHeartbeat(ctx, details...)
}

// slowCheckpoint is a store where writing one checkpoint holds the epoch
// up, as a long epoch (an L-BFGS iteration on a big split) would: until
// done says so, or for at most limit. No timing is asserted: with
// heartbeats on their own clock the hold ends as soon as two have gone
// out; with heartbeats once per epoch it runs to the limit and the test
// fails on the count.
type slowCheckpoint struct {
	artifact.Store
	suffix   string
	limit    time.Duration
	done     func(from time.Time) bool
	mu       sync.Mutex
	from, to time.Time
}

func (s *slowCheckpoint) Put(ctx context.Context, key string, r io.Reader, mediaType string) (artifact.Ref, error) {
	if strings.HasSuffix(key, s.suffix) {
		from := time.Now()
		s.mu.Lock()
		s.from = from
		s.mu.Unlock()
		for deadline := from.Add(s.limit); time.Now().Before(deadline) && !s.done(from); {
			time.Sleep(20 * time.Millisecond)
		}
		s.mu.Lock()
		s.to = time.Now()
		s.mu.Unlock()
	}
	return s.Store.Put(ctx, key, r, mediaType)
}

// Training heartbeats on its own clock, not once per epoch: while an epoch
// takes longer than the heartbeat interval, heartbeats still go out, and
// they carry the last epoch's progress and checkpoint a retry resumes from.
// A retry heartbeats the checkpoint it resumed from until its own epochs
// write another, so being killed early loses nothing.
func TestTrainModelHeartbeatsBetweenEpochs(t *testing.T) {
	acts, store := newActs(t)
	fs := engineer(t, acts, ingest(t, acts, 200), churnFeatures())
	slow := &slowCheckpoint{Store: store, suffix: "/epoch-0002.json", limit: 20 * activities.TrialHeartbeatInterval}
	acts.Store, acts.CheckpointEvery = slow, 1
	acts.Checkpoints.MinInterval = time.Nanosecond
	cfg := exampleConfig()
	cfg.Epochs = 3

	run := func(details ...any) (activities.TrainModelResult, []recordedBeat) {
		t.Helper()
		rec := &heartbeats{}
		slow.done = func(from time.Time) bool { return len(rec.between(from, time.Now().Add(time.Second))) >= 2 }
		var s testsuite.WorkflowTestSuite
		s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
		env := s.NewTestActivityEnvironment()
		env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{rec}})
		env.RegisterActivity(acts)
		if len(details) > 0 {
			env.SetHeartbeatDetails(details[0])
		}
		val, err := env.ExecuteActivity(acts.TrainModel, activities.TrainModelInput{
			Pipeline: "churn", Model: "churn-classifier", WorkflowID: "wf-beat", Features: fs, Config: cfg})
		require.NoError(t, err)
		var res activities.TrainModelResult
		require.NoError(t, val.Get(&res))
		slow.mu.Lock()
		from, to := slow.from, slow.to
		slow.mu.Unlock()
		require.False(t, from.IsZero(), "the epoch-2 checkpoint was written")
		return res, rec.between(from, to)
	}
	check := func(during []recordedBeat) (last activities.TrainingProgress) {
		t.Helper()
		require.GreaterOrEqual(t, len(during), 2, "heartbeats while epoch 2 ran long")
		for _, b := range during {
			require.Len(t, b.details, 1)
			p, ok := b.details[0].(activities.TrainingProgress)
			require.True(t, ok, "details are the training progress, got %T", b.details[0])
			assert.Equal(t, 1, p.Epoch, "the last finished epoch")
			assert.Equal(t, 3, p.Epochs)
			assert.True(t, strings.HasSuffix(p.Checkpoint.URI, "/epoch-0001.json"), "the checkpoint a retry resumes from: %q", p.Checkpoint.URI)
			assert.NotEmpty(t, p.Checkpoint.SHA256)
			last = p
		}
		return last
	}

	res, during := run()
	require.Equal(t, 3, res.Model.Epochs)
	progress := check(during)

	res, during = run(progress)
	assert.Equal(t, 1, res.Model.ResumedFrom)
	assert.Equal(t, progress, check(during), "the previous attempt's progress until the resumed epoch 2 ends")
}
