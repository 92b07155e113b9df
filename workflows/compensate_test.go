package workflows

import (
	"context"
	"errors"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/rollout"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// cmpRollbacks records every RollbackCandidate call and answers with err.
type cmpRollbacks struct {
	calls []activities.FinishRolloutInput
	// by is the workflow each call was scheduled by.
	by  []string
	err error
}

func (s *pipelineSuite) cmpMockRollback(err error) *cmpRollbacks {
	rb := &cmpRollbacks{err: err}
	s.env.OnActivity(a.RollbackCandidate, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.FinishRolloutInput) (activities.FinishRolloutResult, error) {
			rb.calls = append(rb.calls, in)
			rb.by = append(rb.by, activity.GetInfo(ctx).WorkflowExecution.ID)
			return activities.FinishRolloutResult{Version: in.Version}, rb.err
		}).Maybe()
	return rb
}

// cmpCanaryWithChampion is the canary spec with a production model to
// compare against, so the approved candidate goes to a rollout.
func (s *pipelineSuite) cmpCanaryWithChampion() spec.Pipeline {
	s.eval = func(ev *activities.Evaluation) {
		ev.Champion = &activities.Champion{Version: 2, Metrics: map[string]float64{"f1": 0.86}}
	}
	s.mockStages()
	s.signalAfter(time.Hour, SignalApprove, Decision{Approver: "alice"})
	s.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: cmpPipelineID})
	return canarySpec()
}

// cmpPipelineID is the pipeline's workflow ID in these tests.
const cmpPipelineID = "churn-cmp"

// A rollout child that is terminated (by a person, or by the server at a
// limit) runs none of its own clean-up: the pipeline rolls the candidate
// back itself and ends saying what happened.
func (s *pipelineSuite) TestATerminatedRolloutIsRolledBackByThePipeline() {
	in := s.cmpCanaryWithChampion()
	s.env.RegisterWorkflow(CanaryRollout)
	s.env.OnWorkflow(CanaryRollout, mock.Anything, mock.Anything).Return(RolloutResult{}, &temporal.TerminatedError{}).Once()
	rb := s.cmpMockRollback(nil)
	s.env.ExecuteWorkflow(TrainingPipeline, in)

	r := s.result()
	id := cmpPipelineID
	s.Equal(OutcomeRolledBack, r.Outcome)
	s.Contains(r.Reason, "the canary rollout of churn-classifier version 3 (workflow "+RolloutID(id, "canary")+") was terminated before it concluded")
	s.Contains(r.Reason, "the pipeline rolled version 3 back: the gateway sends it no traffic and production is unchanged")
	s.Equal(StateRejected, r.Stages[5].State)
	s.Equal(r.Reason, r.Stages[5].Message)
	s.Require().NotNil(r.Rollout)
	s.Equal(OutcomeRolledBack, r.Rollout.Outcome)
	s.Equal(RolloutID(id, "canary"), r.Rollout.WorkflowID)

	s.Require().Len(rb.calls, 1)
	got := rb.calls[0]
	s.Equal(3, got.Version)
	s.Equal("churn-classifier", got.Model)
	s.Equal("http://gateway", got.GatewayURL)
	s.Equal(id, got.WorkflowID)
	s.Contains(got.Reason, "was terminated before it concluded; rolled back by pipeline "+id)
	s.Require().NotNil(got.Approval)
	s.Equal("alice", got.Approval.Approver, "the registry keeps who approved what was rolled back")
	s.Equal(OutcomeRolledBack, s.status().State)
}

// A rollout that failed and whose rollback fails too ends the pipeline as
// a failure that names both and says how to clear the split by hand.
func (s *pipelineSuite) TestARolloutWhoseRollbackFailsFailsThePipelineSayingSo() {
	in := s.cmpCanaryWithChampion()
	s.env.RegisterWorkflow(CanaryRollout)
	s.env.OnWorkflow(CanaryRollout, mock.Anything, mock.Anything).Return(RolloutResult{},
		temporal.NewNonRetryableApplicationError("registry at file:///store unreadable", "RegistryFailed", nil)).Once()
	rb := s.cmpMockRollback(temporal.NewNonRetryableApplicationError("gateway at http://gateway refused the admin token (403 Forbidden)", activities.ErrGatewayRefused, nil))
	s.env.ExecuteWorkflow(TrainingPipeline, in)

	s.True(s.env.IsWorkflowCompleted())
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	var app *temporal.ApplicationError
	s.Require().True(errors.As(err, &app), "%v", err)
	s.Equal(ErrRolloutNotRolledBack, app.Type())
	s.False(app.NonRetryable() == false)
	s.Contains(err.Error(), "failed before it concluded: registry at file:///store unreadable")
	s.Contains(err.Error(), "rolling version 3 back failed: gateway at http://gateway refused the admin token (403 Forbidden)")
	s.Contains(err.Error(), `the gateway may still route traffic to it: PUT {"mode": "none"} to http://gateway/admin/models/churn-classifier/routing`)
	s.Len(rb.calls, 1, "a refusal is not retried")
	st := s.status()
	s.Equal(StateFailed, st.State)
	s.Equal(StateFailed, st.Stages[5].State)
	s.Contains(st.Stages[5].Message, "rolling version 3 back failed")
}

// A cancelled pipeline leaves the rollback to its rollout, which the
// cancellation reaches (ParentClosePolicy REQUEST_CANCEL): the candidate is
// rolled back once, by the rollout, not a second time by the pipeline.
func (s *pipelineSuite) TestACancelledPipelineLeavesTheRollbackToItsRollout() {
	in := s.cmpCanaryWithChampion()
	s.env.RegisterWorkflow(CanaryRollout)
	s.env.OnActivity(a.SetRouting, mock.Anything, mock.Anything).Return(activities.SetRoutingResult{}, nil).Maybe()
	s.env.OnActivity(a.AnalyzeRollout, mock.Anything, mock.Anything).Return(activities.AnalyzeRolloutResult{Analysis: rollout.Analysis{Verdict: rollout.VerdictPass}}, nil).Maybe()
	rb := s.cmpMockRollback(nil)
	// The canary's first step holds 24h: cancel the pipeline in it.
	s.env.RegisterDelayedCallback(s.env.CancelWorkflow, 5*time.Hour)
	s.env.ExecuteWorkflow(TrainingPipeline, in)

	s.True(s.env.IsWorkflowCompleted())
	s.Require().Error(s.env.GetWorkflowError())
	s.True(temporal.IsCanceledError(s.env.GetWorkflowError()), "%v", s.env.GetWorkflowError())
	s.Require().Len(rb.calls, 1, "rolled back once")
	s.Equal(RolloutID(cmpPipelineID, "canary"), rb.by[0], "by the rollout itself")
	s.Equal("rollout cancelled", rb.calls[0].Reason)
}

// A rollout that failed while promoting may have left the registry saying
// the candidate is production: the pipeline does not roll it back (that
// would record a refusal on production) and says what to check.
func (s *pipelineSuite) TestARolloutThatFailedMidPromotionIsNotRolledBack() {
	in := s.cmpCanaryWithChampion()
	in.Deployment.Steps = []spec.CanaryStep{{Weight: 50, Hold: hours(2)}}
	s.env.RegisterWorkflow(CanaryRollout)
	s.env.OnActivity(a.SetRouting, mock.Anything, mock.Anything).Return(activities.SetRoutingResult{}, nil).Maybe()
	s.env.OnActivity(a.AnalyzeRollout, mock.Anything, mock.Anything).Return(activities.AnalyzeRolloutResult{Analysis: rollout.Analysis{Verdict: rollout.VerdictPass}}, nil).Maybe()
	s.env.OnActivity(a.PromoteCandidate, mock.Anything, mock.Anything).Return(activities.FinishRolloutResult{},
		temporal.NewNonRetryableApplicationError("gateway at http://gateway answered 404 Not Found", activities.ErrGatewayRefused, nil)).Once()
	rb := s.cmpMockRollback(nil)
	s.env.ExecuteWorkflow(TrainingPipeline, in)

	s.True(s.env.IsWorkflowCompleted())
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	var app *temporal.ApplicationError
	s.Require().True(errors.As(err, &app), "%v", err)
	s.Equal(ErrRolloutNotRolledBack, app.Type())
	s.Contains(err.Error(), "gateway at http://gateway answered 404 Not Found")
	s.Contains(err.Error(), "while promoting it, so the pipeline did not roll it back: check `mlpipe models ls churn-classifier`")
	s.Empty(rb.calls)
}

// deployment.continue_as_new_at in the spec reaches the rollout: at 100
// events a two-hour canary analysed every minute (about 1,500 events)
// continues as new many times; at the default of 2,000 it runs in one.
func (s *pipelineSuite) TestTheSpecsContinueAsNewAtReachesTheRollout() {
	for _, at := range []int{0, MinContinueAsNewAt} {
		s.SetupTest()
		in := s.cmpCanaryWithChampion()
		in.Deployment.Steps = []spec.CanaryStep{{Weight: 50, Hold: hours(2)}}
		in.Deployment.AnalysisInterval = spec.Duration(time.Minute)
		in.Deployment.ContinueAsNewAt = at
		s.env.RegisterWorkflow(CanaryRollout)
		var given []RolloutInput
		s.env.OnWorkflow(CanaryRollout, mock.Anything, mock.Anything).Return(
			func(_ workflow.Context, in RolloutInput) (RolloutResult, error) {
				given = append(given, in)
				return RolloutResult{Outcome: OutcomeAborted}, nil
			}).Maybe()
		s.env.ExecuteWorkflow(TrainingPipeline, in)
		s.Require().True(s.env.IsWorkflowCompleted())
		s.Require().Len(given, 1)
		s.Equal(at, given[0].ContinueAsNewAt, "the child's input carries the spec's value")
		s.Equal(at, given[0].Deployment.ContinueAsNewAt)
	}

	runs := map[int]int{}
	for _, at := range []int{0, MinContinueAsNewAt} {
		s.SetupTest()
		in := s.cmpCanaryWithChampion()
		in.Deployment.Steps = []spec.CanaryStep{{Weight: 50, Hold: hours(2)}}
		in.Deployment.AnalysisInterval = spec.Duration(time.Minute)
		in.Deployment.ContinueAsNewAt = at
		s.env.RegisterWorkflow(CanaryRollout)
		seen := map[string]bool{}
		s.env.OnActivity(a.SetRouting, mock.Anything, mock.Anything).Return(activities.SetRoutingResult{}, nil).Maybe()
		s.env.OnActivity(a.AnalyzeRollout, mock.Anything, mock.Anything).Return(
			func(ctx context.Context, _ activities.AnalyzeRolloutInput) (activities.AnalyzeRolloutResult, error) {
				seen[activity.GetInfo(ctx).WorkflowExecution.RunID] = true
				return activities.AnalyzeRolloutResult{Analysis: rollout.Analysis{Verdict: rollout.VerdictPass}}, nil
			}).Maybe()
		s.env.OnActivity(a.PromoteCandidate, mock.Anything, mock.Anything).Return(activities.FinishRolloutResult{Version: 3, Alias: "production"}, nil).Once()
		s.env.ExecuteWorkflow(TrainingPipeline, in)
		r := s.result()
		s.Equal(OutcomeDeployed, r.Outcome)
		s.Require().NotNil(r.Rollout)
		s.Equal(120, r.Rollout.Analyses)
		runs[at] = len(seen)
	}
	s.Equal(1, runs[0], "2,000 events hold the canary in one run")
	s.Greater(runs[MinContinueAsNewAt], 10, "100 events: the rollout continued as new")
}

// The same for a shadow: its mirror is taken away.
func (s *pipelineSuite) TestATerminatedShadowIsRolledBackByThePipeline() {
	in := s.cmpCanaryWithChampion()
	in.Deployment = spec.Deployment{Strategy: spec.StrategyShadow, GatewayURL: "http://gateway/"}
	s.env.RegisterWorkflow(ShadowRollout)
	s.env.OnWorkflow(ShadowRollout, mock.Anything, mock.Anything).Return(RolloutResult{}, &temporal.TerminatedError{}).Once()
	rb := s.cmpMockRollback(nil)
	s.env.ExecuteWorkflow(TrainingPipeline, in)

	r := s.result()
	s.Equal(OutcomeRolledBack, r.Outcome)
	s.Contains(r.Reason, "the shadow rollout of churn-classifier version 3 (workflow "+RolloutID(cmpPipelineID, "shadow")+") was terminated before it concluded")
	s.Contains(r.Reason, "the pipeline rolled version 3 back: the gateway mirrors no traffic to it and production is unchanged")
	s.Require().Len(rb.calls, 1)
	s.Equal("http://gateway/", rb.calls[0].GatewayURL)
}
