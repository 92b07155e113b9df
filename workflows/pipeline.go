package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// ErrInvalidSpec is the failure type of a pipeline refused before any work.
const ErrInvalidSpec = "InvalidSpec"

// versionStrictSpec marks pipelines that refuse, before any work, JSON
// input keys no setting takes and the other checks of spec.Validate that
// spec.ValidateAsRecorded leaves out.
const versionStrictSpec = "pipeline-strict-spec"

// versionRecordedDecisions marks pipelines whose spec checks, plan and
// gate judgement run as local activities, recorded in the history.
const versionRecordedDecisions = "pipeline-recorded-decisions"

// localCtx runs a pure, quick local activity: a few tries, then fail.
func localCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 3},
	})
}

// TrainingPipeline runs a pipeline spec's DAG: ingestion, validation,
// feature engineering, training, evaluation and the gated deployment.
func TrainingPipeline(ctx workflow.Context, in spec.Pipeline) (PipelineResult, error) {
	p, err := newPipeline(ctx, in)
	if err != nil {
		return PipelineResult{}, err
	}
	return p.run(ctx)
}

// pipeline is one run's state; handlers read and write it.
type pipeline struct {
	in     spec.Pipeline
	graph  spec.Graph
	id     string
	status PipelineStatus
	// outputs maps an output name to what produced it.
	outputs map[string]output
	// limits are each stage's activity timeouts and attempts, as run.
	limits map[string]stageLimits
	// decision is set by an approve/reject signal or update.
	decision *activities.Approval
	result   PipelineResult
	// recorded: the spec's checks, plan and gate ran as local activities
	// (versionRecordedDecisions); columns is the plan's list of the
	// source columns the spec names.
	recorded bool
	columns  spec.ColumnRefs
}

// output is a stage output: exactly one field is set, by producer kind.
type output struct {
	source     string
	dataset    *activities.Dataset
	features   *activities.FeatureSet
	model      *activities.TrainedModel
	evaluation *activities.Evaluation
	deployed   *activities.DeployModelResult
}

func newPipeline(ctx workflow.Context, in spec.Pipeline) (*pipeline, error) {
	p := &pipeline{in: in, id: workflow.GetInfo(ctx).WorkflowExecution.ID, outputs: map[string]output{}, limits: map[string]stageLimits{}}
	p.status = PipelineStatus{Pipeline: in.Name, Model: in.Model, State: StatePending}
	for _, st := range in.Stages {
		p.status.Stages = append(p.status.Stages, StageStatus{Name: st.Name, Kind: st.KindOrName(), State: StatePending})
	}
	// Handlers first, so a query or signal that arrives early is served.
	if err := p.setup(ctx); err != nil {
		return nil, err
	}
	// Pipelines started before this version did not refuse keys their
	// input does not take, settings written as 0, values beyond the
	// spec's bounds or thresholds outside a metric's range; they replay
	// with the checks they ran.
	strict := workflow.GetVersion(ctx, versionStrictSpec, workflow.DefaultVersion, 1) == 1
	// Pipelines started since versionRecordedDecisions check and plan the
	// spec (and judge the gate) in local activities, so the history
	// records the outcome and a later change to the spec library cannot
	// change a running pipeline's replay.
	p.recorded = workflow.GetVersion(ctx, versionRecordedDecisions, workflow.DefaultVersion, 1) == 1
	var g spec.Graph
	if p.recorded {
		var plan activities.PipelinePlan
		if err := workflow.ExecuteLocalActivity(localCtx(ctx), activities.PlanPipeline,
			activities.PlanPipelineInput{Spec: in, Strict: strict}).Get(ctx, &plan); err != nil {
			return nil, err
		}
		if plan.Problem != "" {
			p.status.State = StateFailed
			return nil, temporal.NewNonRetryableApplicationError(plan.Problem, ErrInvalidSpec, nil)
		}
		if plan.Spec == nil {
			return nil, temporal.NewNonRetryableApplicationError("planning the pipeline returned no spec", ErrInvalidSpec, nil)
		}
		p.in, g, p.columns = *plan.Spec, plan.Graph, plan.Columns
	} else {
		validate := p.in.ValidateAsRecorded
		if strict {
			validate = p.in.Validate
		}
		// Validate ranges over maps only to sort their keys: deterministic.
		//workflowcheck:ignore
		if err := validate(); err != nil {
			p.status.State = StateFailed
			return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidSpec, nil)
		}
		var err error
		if g, err = p.in.Plan(); err != nil {
			return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidSpec, nil)
		}
	}
	p.graph = g
	p.status.Gate.Approvers = p.in.Approval.Approvers
	p.result = PipelineResult{WorkflowID: p.id, Pipeline: in.Name, Model: in.Model}
	return p, nil
}

func (p *pipeline) run(ctx workflow.Context) (PipelineResult, error) {
	p.status.State = StateRunning
	p.upsertStage(ctx, "starting")
	if p.in.Data.Source != "" {
		p.outputs[spec.SourceRaw] = output{source: p.in.Data.Source}
	}
	if p.in.Data.TestSource != "" {
		p.outputs[spec.SourceTest] = output{source: p.in.Data.TestSource}
	}
	err := p.runDAG(ctx)
	p.result.Stages = p.status.Stages
	if err != nil {
		p.status.State = StateFailed
		p.upsertStage(ctx, StateFailed)
		p.publish(ctx)
		return p.result, err
	}
	if p.result.Outcome == "" {
		p.result.Outcome = OutcomeDeployed
	}
	p.status.State = p.result.Outcome
	p.upsertStage(ctx, p.result.Outcome)
	res := p.result
	p.status.Result = &res
	p.publish(ctx)
	// Let an update that is still answering finish before completing.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return p.result, err
	}
	return p.result, nil
}

// runDAG starts every stage in its own coroutine; each waits for the
// stages that produce its inputs. The first failure cancels the rest.
func (p *pipeline) runDAG(ctx workflow.Context) error {
	ctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	done := map[string]workflow.Future{}
	sel := workflow.NewSelector(ctx)
	var first error
	for _, st := range p.graph.Order {
		f, settle := workflow.NewFuture(ctx)
		done[st.Name] = f
		deps := p.graph.Deps(st)
		workflow.Go(ctx, func(ctx workflow.Context) {
			for _, d := range deps {
				if err := done[d].Get(ctx, nil); err != nil {
					p.setState(ctx, st.Name, StateSkipped, fmt.Sprintf("not run: stage %s did not succeed", d))
					settle.SetError(errSkipped)
					return
				}
			}
			settle.SetError(p.runStage(ctx, st))
		})
		sel.AddFuture(f, func(f workflow.Future) {
			if err := f.Get(ctx, nil); err != nil && first == nil && !errors.Is(err, errSkipped) && !errors.Is(err, errNotPromoted) {
				first = err
				cancel()
			}
		})
	}
	for range p.graph.Order {
		sel.Select(ctx)
	}
	return first
}

// errSkipped settles a stage whose inputs never arrived; errNotPromoted a
// deployment the gate or a person refused. Neither fails the workflow.
var (
	errSkipped     = errors.New("skipped")
	errNotPromoted = errors.New("not promoted")
)
