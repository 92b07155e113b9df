package workers

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/workflows"
)

// RegisterCPU registers the workflows and the CPU activities.
func RegisterCPU(w worker.Registry, acts *activities.Activities) {
	w.RegisterWorkflowWithOptions(workflows.TrainingPipeline, workflow.RegisterOptions{Name: workflows.TrainingPipelineName})
	w.RegisterWorkflowWithOptions(workflows.CanaryRollout, workflow.RegisterOptions{Name: workflows.CanaryRolloutName})
	w.RegisterWorkflowWithOptions(workflows.ShadowRollout, workflow.RegisterOptions{Name: workflows.ShadowRolloutName})
	w.RegisterWorkflowWithOptions(workflows.HyperparameterSearch, workflow.RegisterOptions{Name: workflows.HyperparameterSearchName})
	w.RegisterWorkflowWithOptions(workflows.ModelMonitor, workflow.RegisterOptions{Name: workflows.ModelMonitorName})
	w.RegisterWorkflowWithOptions(workflows.RetrainLoop, workflow.RegisterOptions{Name: workflows.RetrainLoopName})
	for _, fn := range CPUActivities(acts) {
		w.RegisterActivity(fn)
	}
}

// CPUActivities are the activities mlpipe-cpu runs, as method values: each
// is registered under its method's name, the name the workflows schedule
// it by (they call the same method values), so a rename cannot leave the
// two apart.
func CPUActivities(acts *activities.Activities) []any {
	return []any{
		acts.IngestData, acts.ValidateData, acts.EngineerFeatures, acts.EvaluateModel,
		acts.RegisterCandidate, acts.RejectCandidate, acts.DeployModel, acts.ImportModel,
		acts.SetRouting, acts.AnalyzeRollout, acts.PromoteCandidate, acts.RollbackCandidate,
		acts.AnalyzeWindow, acts.StartRetraining,
		acts.LookupSearch, acts.RecordSearch,
	}
}

// GPUActivities are the activities that want an accelerator.
func GPUActivities(acts *activities.Activities) []any {
	return []any{acts.TrainModel, acts.TrainTrial}
}

// RegisterGPU registers the activities that want an accelerator.
func RegisterGPU(w worker.Registry, acts *activities.Activities) {
	for _, fn := range GPUActivities(acts) {
		w.RegisterActivity(fn)
	}
}

// NewCPU builds the worker for mlpipe-cpu.
func NewCPU(c client.Client, acts *activities.Activities) worker.Worker {
	if acts.Temporal == nil {
		// The deployment schedules each production model's monitor with it.
		acts.Temporal = c
	}
	w := worker.New(c, workflows.TaskQueueCPU, worker.Options{Interceptors: []interceptor.WorkerInterceptor{ValidUTF8()}})
	RegisterCPU(w, acts)
	return w
}

// GPUOptions shape the worker for mlpipe-gpu.
type GPUOptions struct {
	// Slots is how many fits run at once: one per CUDA device, or one per
	// CPU core on the CPU engine (<= 0 picks DefaultSlots).
	Slots int
	// Prefetch is how many training activities the worker may hold beyond
	// its slots, their data read and their fold cut, each waiting for a
	// slot: 0 is none, PrefetchPerSlot one per slot. A freed slot then
	// passes to the next fit at once instead of waiting a poll round trip.
	// The worker prefetches only while its fits are short
	// (PrefetchFitsUnder): before its first fit ends, and while a fit runs
	// longer, it holds no more activities than slots.
	Prefetch int
	// PrefetchFitsUnder overrides the package's PrefetchFitsUnder (tests).
	PrefetchFitsUnder time.Duration
}

// PrefetchPerSlot, as GPUOptions.Prefetch, holds one activity per slot
// beyond the slots (`mlpipe worker --prefetch`'s default).
const PrefetchPerSlot = -1

// minActivityPollers is the least number of pollers the GPU worker runs on
// mlpipe-gpu: one per task-queue partition of a Temporal server's default
// configuration (4). A queued task waits in its partition until a poll
// reaches that partition. A poller polls only while the worker has a
// permit free (see prefetchSupplier), so the pollers cover the partitions
// together with prefetch, not alone.
const minActivityPollers = 4

// Resolve returns o with its defaults filled in: the default slots, the
// prefetch of PrefetchPerSlot as a count, PrefetchFitsUnder. A prefetch
// below PrefetchPerSlot is an error.
func (o GPUOptions) Resolve() (GPUOptions, error) {
	if o.Slots <= 0 {
		o.Slots = DefaultSlots()
	}
	switch {
	case o.Prefetch == PrefetchPerSlot:
		o.Prefetch = o.Slots
	case o.Prefetch < 0:
		return o, fmt.Errorf("prefetch %d: want 0 or more, or %d for one per slot", o.Prefetch, PrefetchPerSlot)
	}
	if o.PrefetchFitsUnder <= 0 {
		o.PrefetchFitsUnder = PrefetchFitsUnder
	}
	return o, nil
}

// NewGPU builds the worker for mlpipe-gpu. Its training activities hold
// one of its slots while they fit (activities.Slots).
func NewGPU(c client.Client, acts *activities.Activities, o GPUOptions) (worker.Worker, error) {
	o, err := o.Resolve()
	if err != nil {
		return nil, err
	}
	slots, prefetch := o.Slots, o.Prefetch
	pool := activities.NewSlots(slots)
	base, err := worker.NewFixedSizeTuner(worker.FixedSizeTunerOptions{})
	if err != nil {
		return nil, err
	}
	tuner, err := worker.NewCompositeTuner(worker.CompositeTunerOptions{
		WorkflowSlotSupplier:        base.GetWorkflowTaskSlotSupplier(),
		ActivitySlotSupplier:        newPrefetchSupplier(pool, prefetch, o.PrefetchFitsUnder),
		LocalActivitySlotSupplier:   base.GetLocalActivitySlotSupplier(),
		NexusSlotSupplier:           base.GetNexusSlotSupplier(),
		SessionActivitySlotSupplier: base.GetSessionActivitySlotSupplier(),
	})
	if err != nil {
		return nil, err
	}
	w := worker.New(c, workflows.TaskQueueGPU, worker.Options{
		Tuner:                            tuner,
		MaxConcurrentActivityTaskPollers: max(minActivityPollers, slots+prefetch),
		BackgroundActivityContext:        activities.WithSlots(context.Background(), pool),
		Interceptors:                     []interceptor.WorkerInterceptor{ValidUTF8()},
		// A training's progress (its epoch, shown by mlpipe status) reaches
		// the server at most this often, instead of every 0.8 × its
		// heartbeat timeout (48 s by default). Checkpoint retention assumes
		// the SDK's 60 s cap, so it stays safe.
		MaxHeartbeatThrottleInterval: HeartbeatThrottle,
	})
	RegisterGPU(w, acts)
	return w, nil
}

// HeartbeatThrottle bounds how long a GPU worker holds back a heartbeat.
const HeartbeatThrottle = 5 * time.Second

// DefaultSlots is the GPU worker's concurrency: one per CUDA device when
// the build has the CUDA engine and the driver reports devices, else one
// per CPU core.
func DefaultSlots() int {
	if n, err := model.Devices(); err == nil && n > 0 {
		return n
	}
	return runtime.NumCPU()
}
