package workers

import (
	"runtime"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
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
	for name, fn := range map[string]any{
		"IngestData":        acts.IngestData,
		"ValidateData":      acts.ValidateData,
		"EngineerFeatures":  acts.EngineerFeatures,
		"EvaluateModel":     acts.EvaluateModel,
		"RegisterCandidate": acts.RegisterCandidate,
		"RejectCandidate":   acts.RejectCandidate,
		"DeployModel":       acts.DeployModel,
		"SetRouting":        acts.SetRouting,
		"AnalyzeRollout":    acts.AnalyzeRollout,
		"PromoteCandidate":  acts.PromoteCandidate,
		"RollbackCandidate": acts.RollbackCandidate,
	} {
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

// RegisterGPU registers the activities that want an accelerator.
func RegisterGPU(w worker.Registry, acts *activities.Activities) {
	w.RegisterActivityWithOptions(acts.TrainModel, activity.RegisterOptions{Name: "TrainModel"})
	w.RegisterActivityWithOptions(acts.TrainTrial, activity.RegisterOptions{Name: "TrainTrial"})
}

// NewCPU builds the worker for mlpipe-cpu.
func NewCPU(c client.Client, acts *activities.Activities) worker.Worker {
	w := worker.New(c, workflows.TaskQueueCPU, worker.Options{})
	RegisterCPU(w, acts)
	return w
}

// NewGPU builds the worker for mlpipe-gpu. It runs one training activity
// per slot: one per device with the CUDA engine, else one per CPU core
// (slots <= 0 picks that default).
func NewGPU(c client.Client, acts *activities.Activities, slots int) worker.Worker {
	if slots <= 0 {
		slots = DefaultSlots()
	}
	w := worker.New(c, workflows.TaskQueueGPU, worker.Options{MaxConcurrentActivityExecutionSize: slots})
	RegisterGPU(w, acts)
	return w
}

// DefaultSlots is the GPU worker's concurrency: one per CUDA device when
// the build has the CUDA engine and the driver reports devices, else one
// per CPU core.
func DefaultSlots() int {
	if n, err := model.Devices(); err == nil && n > 0 {
		return n
	}
	return runtime.NumCPU()
}
