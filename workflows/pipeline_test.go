package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/rollout"
	"github.com/mlpipe/mlpipe/internal/spec"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// seedStages is the seed playbook's DAG.
func seedStages() spec.Stages {
	return spec.Stages{
		{Name: "data_ingestion", Inputs: []string{"raw_data_source"}, Outputs: []string{"raw_dataset"}},
		{Name: "data_validation", Inputs: []string{"raw_dataset"}, Outputs: []string{"validated_dataset"}, Checks: []string{"schema", "completeness", "freshness"}},
		{Name: "feature_engineering", Inputs: []string{"validated_dataset"}, Outputs: []string{"feature_store"}},
		{Name: "model_training", Inputs: []string{"feature_store"}, Outputs: []string{"trained_model"}},
		{Name: "model_evaluation", Inputs: []string{"trained_model", "test_dataset"}, Outputs: []string{"evaluation_report"}},
		{Name: "model_deployment", Inputs: []string{"trained_model", "evaluation_report"}, Outputs: []string{"deployed_model"}, Gate: []string{"evaluation_threshold"}},
	}
}

func testSpec() spec.Pipeline {
	return spec.Pipeline{
		Name: "churn", Model: "churn-classifier",
		Data: spec.Data{Source: "file:///data/churn.csv", Target: "churned", Positive: "yes"},
		Validation: expect.Checks{
			Schema:       map[string]string{"age": "float", "churned": "string"},
			Completeness: &expect.Completeness{MaxNullFraction: 0.05},
			Freshness:    &expect.Freshness{Column: "last_activity", MaxAge: "720h"},
		},
		EvaluationThreshold: map[string]float64{"f1": 0.8},
		Approval:            spec.Approval{Approvers: []string{"alice", "bob"}, Timeout: spec.Duration(72 * time.Hour)},
		Stages:              seedStages(),
	}
}

func ref(name string) artifact.Ref {
	return artifact.Ref{URI: "file:///store/" + name, SHA256: "0123456789abcdef0123456789abcdef", Size: 10}
}

type pipelineSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
	f1  float64
	// eval adjusts the mocked evaluation (intervals, champion).
	eval func(*activities.Evaluation)
	// rejected is what RejectCandidate recorded.
	rejected *activities.RejectCandidateInput
}

func TestPipeline(t *testing.T) { suite.Run(t, new(pipelineSuite)) }

func (s *pipelineSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.RegisterWorkflow(TrainingPipeline)
	s.env.RegisterActivity(a)
	s.f1 = 0.87
	s.eval = nil
	s.rejected = nil
}

func (s *pipelineSuite) AfterTest(_, _ string) { s.env.AssertExpectations(s.T()) }

// mockStages makes every activity but DeployModel succeed.
func (s *pipelineSuite) mockStages() {
	ds := activities.Dataset{Ref: ref("raw.csv"), Rows: 5000, Columns: []string{"age", "churned"}}
	fs := activities.FeatureSet{Version: "v1", Train: ref("train.csv"), Test: ref("test.csv"), TestRaw: ref("test_raw.csv"), Transform: ref("transform.json"), TrainRows: 4000, TestRows: 1000, Labels: [2]string{"no", "yes"}}
	s.env.OnActivity(a.IngestData, mock.Anything, mock.Anything).Return(activities.IngestDataResult{Dataset: ds, Attempt: 1}, nil).Maybe()
	s.env.OnActivity(a.ValidateData, mock.Anything, mock.Anything).Return(activities.ValidateDataResult{Report: ref("validation.json"), Evaluated: 9, Attempt: 1}, nil).Maybe()
	s.env.OnActivity(a.EngineerFeatures, mock.Anything, mock.Anything).Return(activities.EngineerFeaturesResult{Features: fs, Attempt: 1}, nil).Maybe()
	s.env.OnActivity(a.TrainModel, mock.Anything, mock.Anything).Return(activities.TrainModelResult{Model: activities.TrainedModel{Bundle: ref("bundle.json"), Features: fs, Epochs: 40, Loss: 0.2}, Attempt: 1}, nil).Maybe()
	s.env.OnActivity(a.EvaluateModel, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.EvaluateModelInput) (activities.EvaluateModelResult, error) {
			ev := activities.Evaluation{Report: ref("report.json"), HTML: ref("report.html"), Metrics: map[string]float64{"f1": s.f1, "accuracy": 0.93}, TestRows: 1000}
			if s.eval != nil {
				s.eval(&ev)
			}
			return activities.EvaluateModelResult{Evaluation: ev, Attempt: 1}, nil
		}).Maybe()
	s.env.OnActivity(a.RegisterCandidate, mock.Anything, mock.Anything).Return(activities.RegisterCandidateResult{Version: 3, Attempt: 1}, nil).Maybe()
	s.env.OnActivity(a.RejectCandidate, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RejectCandidateInput) (activities.RejectCandidateResult, error) {
			s.rejected = &in
			return activities.RejectCandidateResult{Attempt: 1}, nil
		}).Maybe()
}

func (s *pipelineSuite) expectDeploy() *activities.DeployModelInput {
	// DeployModel promotes the registered candidate (version 3).
	var got activities.DeployModelInput
	s.env.OnActivity(a.DeployModel, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.DeployModelInput) (activities.DeployModelResult, error) {
			got = in
			return activities.DeployModelResult{Version: 3, Alias: "production", Attempt: 1}, nil
		}).Once()
	return &got
}

func (s *pipelineSuite) signalAfter(d time.Duration, name string, dec Decision) {
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(name, dec) }, d)
}

func (s *pipelineSuite) result() PipelineResult {
	s.True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var r PipelineResult
	s.Require().NoError(s.env.GetWorkflowResult(&r))
	return r
}

func (s *pipelineSuite) status() PipelineStatus {
	v, err := s.env.QueryWorkflow(QueryStatus)
	s.Require().NoError(err)
	var st PipelineStatus
	s.Require().NoError(v.Get(&st))
	return st
}

func (s *pipelineSuite) TestHappyPathDeploysAfterApproval() {
	s.mockStages()
	deploy := s.expectDeploy()
	s.signalAfter(time.Hour, SignalApprove, Decision{Approver: "alice", Comment: "ship it"})
	s.env.ExecuteWorkflow(TrainingPipeline, testSpec())

	r := s.result()
	s.Equal(OutcomeDeployed, r.Outcome)
	s.Equal(3, r.Version)
	s.InDelta(0.87, r.Metrics["f1"], 1e-9)
	s.Equal("file:///store/report.json", r.ReportURI)
	s.Require().NotNil(r.Approval)
	s.Equal("alice", r.Approval.Approver)
	s.Equal("signal", r.Approval.Via)
	s.Equal("ship it", deploy.Approval.Comment)
	s.Equal("file:///store/bundle.json", deploy.Trained.Bundle.URI)
	s.Equal(3, deploy.Version, "the registered candidate is what gets promoted")
	s.Len(r.Stages, 6)
	for _, st := range r.Stages {
		s.Equal(StateSucceeded, st.State, st.Name)
		s.NotNil(st.StartedAt, st.Name)
		s.NotNil(st.EndedAt, st.Name)
		s.EqualValues(1, st.Attempts, st.Name)
	}
	s.Equal([]artifact.Ref{ref("train.csv"), ref("test.csv"), ref("test_raw.csv"), ref("transform.json")}, r.Stages[2].Artifacts)
	st := s.status()
	s.Equal(OutcomeDeployed, st.State)
	s.Require().Len(st.Gate.Thresholds, 1)
	s.True(st.Gate.Thresholds[0].Passed)
	s.Equal("f1 >= 0.8", st.Gate.Thresholds[0].Rule)
}

func (s *pipelineSuite) TestStatusShowsTheGateWaitingForApproval() {
	s.mockStages()
	s.expectDeploy()
	s.env.RegisterDelayedCallback(func() {
		st := s.status()
		s.Equal(StateWaiting, st.State)
		s.True(st.Gate.Open)
		s.Equal(StateWaiting, st.Stages[5].State)
		s.Contains(st.Stages[5].Message, "approve-promotion")
		s.Contains(st.Stages[5].Message, "alice, bob")
		s.Equal(StateSucceeded, st.Stages[4].State)
		s.env.SignalWorkflow(SignalApprove, Decision{Approver: "bob"})
	}, time.Minute)
	s.env.ExecuteWorkflow(TrainingPipeline, testSpec())
	s.Equal(OutcomeDeployed, s.result().Outcome)
}

func (s *pipelineSuite) TestThresholdThatFailsDeploysNothing() {
	s.f1 = 0.62
	s.mockStages()
	s.env.ExecuteWorkflow(TrainingPipeline, testSpec())
	r := s.result()
	s.Equal(OutcomeGateFailed, r.Outcome)
	s.Contains(r.Reason, "f1 >= 0.8 (got 0.6200, point estimate)")
	s.env.AssertNotCalled(s.T(), "RegisterCandidate", mock.Anything, mock.Anything)
	s.Equal(0, r.Version)
	s.Equal(StateRejected, r.Stages[5].State)
	s.Require().Len(r.Thresholds, 1)
	s.False(r.Thresholds[0].Passed)
	s.env.AssertNotCalled(s.T(), "DeployModel", mock.Anything, mock.Anything)
}

func (s *pipelineSuite) TestChangeThresholdAgainstTheChampion() {
	in := testSpec()
	in.ChampionThreshold = map[string]float64{"f1": 0.01}
	s.eval = func(ev *activities.Evaluation) {
		ev.Champion = &activities.Champion{Version: 2, Metrics: map[string]float64{"f1": 0.90}}
	}
	s.mockStages()
	s.env.ExecuteWorkflow(TrainingPipeline, in)
	r := s.result()
	s.Equal(OutcomeGateFailed, r.Outcome, "0.87 is more than 0.01 below the champion's 0.90")
	s.Contains(r.Reason, "f1 >= champion - 0.01")
	s.Require().Len(r.Thresholds, 2)
	s.True(r.Thresholds[0].Passed)
	s.False(r.Thresholds[1].Passed)
	s.Equal(2, r.Champion.Version)
}

func (s *pipelineSuite) TestFirstModelSkipsChangeThresholds() {
	in := testSpec()
	in.ChampionThreshold = map[string]float64{"f1": 0.01}
	s.mockStages()
	s.expectDeploy()
	s.signalAfter(time.Hour, SignalApprove, Decision{Approver: "alice"})
	s.env.ExecuteWorkflow(TrainingPipeline, in)
	r := s.result()
	s.Equal(OutcomeDeployed, r.Outcome)
	s.Len(r.Thresholds, 1, "no champion, no change rule")
}

func (s *pipelineSuite) TestGateOnTheLowerConfidenceBound() {
	in := testSpec()
	in.Evaluation.GateOn = spec.GateOnLowerBound
	s.eval = func(ev *activities.Evaluation) {
		ev.Low = map[string]float64{"f1": 0.78}
		ev.High = map[string]float64{"f1": 0.91}
	}
	s.mockStages()
	s.env.ExecuteWorkflow(TrainingPipeline, in)
	r := s.result()
	s.Equal(OutcomeGateFailed, r.Outcome, "the point estimate 0.87 passes, its lower bound 0.78 does not")
	s.Contains(r.Reason, "lower bound of the 95% interval")
}

func (s *pipelineSuite) TestRejectionDeploysNothing() {
	s.mockStages()
	s.signalAfter(time.Hour, SignalReject, Decision{Approver: "bob", Comment: "recall too low for the VIP segment"})
	s.env.ExecuteWorkflow(TrainingPipeline, testSpec())
	r := s.result()
	s.Equal(OutcomeRejected, r.Outcome)
	s.Contains(r.Reason, "rejected by bob: recall too low")
	s.Require().NotNil(r.Approval)
	s.Equal(DecisionRejected, r.Approval.Decision)
	s.env.AssertNotCalled(s.T(), "DeployModel", mock.Anything, mock.Anything)
	s.Require().NotNil(s.rejected, "the registry keeps the refusal")
	s.Equal(3, s.rejected.Version)
	s.Equal("bob", s.rejected.Approval.Approver)
	s.Equal("recall too low for the VIP segment", s.rejected.Approval.Comment)
}

func (s *pipelineSuite) TestApprovalTimesOutAfterTheSpecTimeout() {
	s.mockStages()
	in := testSpec()
	in.Approval.Timeout = spec.Duration(48 * time.Hour)
	start := s.env.Now()
	// An approval one minute too late must not count.
	s.signalAfter(48*time.Hour+time.Minute, SignalApprove, Decision{Approver: "alice"})
	s.env.ExecuteWorkflow(TrainingPipeline, in)
	r := s.result()
	s.Equal(OutcomeApprovalTimeout, r.Outcome)
	s.Contains(r.Reason, "48h0m0s")
	s.GreaterOrEqual(s.env.Now().Sub(start), 48*time.Hour)
	s.env.AssertNotCalled(s.T(), "DeployModel", mock.Anything, mock.Anything)
	s.Require().NotNil(s.rejected)
	s.Equal("timeout", s.rejected.Approval.Via)
	s.Equal(DecisionRejected, s.rejected.Approval.Decision)
	// The registry refuses a decision with nobody named: the timeout is
	// named as who refused, with when and why.
	s.Equal(ApproverTimeout, s.rejected.Approval.Approver)
	s.True(start.Add(48*time.Hour).Equal(s.rejected.Approval.At), "decided when the timeout passed")
	s.Contains(s.rejected.Approval.Comment, "nobody approved within 48h0m0s")
	s.Equal(s.rejected.Approval, *r.Approval, "the result shows the same decision")
}

func (s *pipelineSuite) TestDefaultApprovalTimeoutIs72h() {
	s.mockStages()
	in := testSpec()
	in.Approval.Timeout = 0
	start := s.env.Now()
	s.env.ExecuteWorkflow(TrainingPipeline, in)
	s.Equal(OutcomeApprovalTimeout, s.result().Outcome)
	s.Equal(72*time.Hour, s.env.Now().Sub(start).Round(time.Hour))
}

func (s *pipelineSuite) TestNoApprovalNeededWhenTheSpecSaysSo() {
	s.mockStages()
	deploy := s.expectDeploy()
	in := testSpec()
	no := false
	in.Approval.Required = &no
	s.env.ExecuteWorkflow(TrainingPipeline, in)
	s.Equal(OutcomeDeployed, s.result().Outcome)
	s.Equal("gate", deploy.Approval.Via)
}

func (s *pipelineSuite) TestActivityFailingOnceIsRetried() {
	// Registered before the succeeding mock, so it answers the first call.
	s.env.OnActivity(a.TrainModel, mock.Anything, mock.Anything).Return(activities.TrainModelResult{}, errors.New("worker lost the GPU")).Once()
	s.mockStages()
	s.expectDeploy()
	s.signalAfter(time.Hour, SignalApprove, Decision{Approver: "alice"})
	s.env.ExecuteWorkflow(TrainingPipeline, testSpec())
	s.Equal(OutcomeDeployed, s.result().Outcome)
}

func (s *pipelineSuite) TestValidationFailureStopsThePipelineWithoutRetry() {
	msg := "data validation failed: age: expect_column_values_to_be_between, 12 unexpected of 5000"
	calls := 0
	s.env.OnActivity(a.ValidateData, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ activities.ValidateDataInput) (activities.ValidateDataResult, error) {
			calls++
			return activities.ValidateDataResult{}, temporal.NewNonRetryableApplicationError(msg, activities.ErrValidationFailed, nil)
		})
	s.mockStages()
	s.env.ExecuteWorkflow(TrainingPipeline, testSpec())
	s.True(s.env.IsWorkflowCompleted())
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	var app *temporal.ApplicationError
	s.Require().True(errors.As(err, &app))
	s.Equal(activities.ErrValidationFailed, app.Type())
	s.Contains(err.Error(), "age: expect_column_values_to_be_between, 12 unexpected of 5000")
	s.Equal(1, calls, "a non-retryable failure is not retried")
	st := s.status()
	s.Equal(StateFailed, st.State)
	s.Equal(StateFailed, st.Stages[1].State)
	s.Contains(st.Stages[1].Message, "12 unexpected")
	for _, later := range st.Stages[2:] {
		s.Equal(StateSkipped, later.State, later.Name)
	}
	s.env.AssertNotCalled(s.T(), "TrainModel", mock.Anything, mock.Anything)
}

func (s *pipelineSuite) TestInvalidDAGIsRefusedBeforeAnyWork() {
	for name, mutate := range map[string]func(*spec.Pipeline){
		"cycle": func(p *spec.Pipeline) {
			p.Stages[2].Inputs = []string{"validated_dataset", "trained_model"}
		},
		"dangling input": func(p *spec.Pipeline) { p.Stages[3].Inputs = []string{"feature_stor"} },
		"unknown stage": func(p *spec.Pipeline) {
			p.Stages = append(p.Stages, spec.Stage{Name: "model_explain", Outputs: []string{"shap"}})
		},
		"duplicate output": func(p *spec.Pipeline) {
			p.Stages[1].Outputs = []string{"raw_dataset"}
		},
		"unknown metric": func(p *spec.Pipeline) { p.EvaluationThreshold = map[string]float64{"f2": 0.8} },
	} {
		s.Run(name, func() {
			env := s.NewTestWorkflowEnvironment()
			env.RegisterWorkflow(TrainingPipeline)
			env.RegisterActivity(a)
			in := testSpec()
			mutate(&in)
			env.ExecuteWorkflow(TrainingPipeline, in)
			err := env.GetWorkflowError()
			s.Require().Error(err)
			var app *temporal.ApplicationError
			s.Require().True(errors.As(err, &app))
			s.Equal(ErrInvalidSpec, app.Type())
			s.True(app.NonRetryable())
		})
	}
}

func (s *pipelineSuite) TestDAGErrorsNameTheStage() {
	in := testSpec()
	in.Stages[2].Inputs = []string{"validated_dataset", "trained_model"}
	s.env.ExecuteWorkflow(TrainingPipeline, in)
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	s.Contains(err.Error(), "cycle")
	s.Contains(err.Error(), "feature_engineering")
}

func (s *pipelineSuite) TestSignalWithoutApproverIsIgnoredAndSaysWhy() {
	s.mockStages()
	s.expectDeploy()
	s.signalAfter(time.Hour, SignalApprove, Decision{Comment: "lgtm"})
	s.signalAfter(2*time.Hour, SignalApprove, Decision{Approver: "mallory"})
	s.env.RegisterDelayedCallback(func() {
		st := s.status()
		s.Require().Len(st.Gate.Ignored, 2)
		s.Contains(st.Gate.Ignored[0], "approver is required")
		s.Contains(st.Gate.Ignored[1], "mallory is not an approver")
		s.Equal(StateWaiting, st.State, "ignored signals do not decide")
		s.env.SignalWorkflow(SignalApprove, Decision{Approver: "bob"})
	}, 3*time.Hour)
	s.env.ExecuteWorkflow(TrainingPipeline, testSpec())
	r := s.result()
	s.Equal(OutcomeDeployed, r.Outcome)
	s.Equal("bob", r.Approval.Approver)
}

type updateResult struct {
	testsuite.TestUpdateCallback
	err error
	ap  activities.Approval
}

func (s *pipelineSuite) update(name string, d Decision) *updateResult {
	u := &updateResult{}
	u.OnReject = func(err error) { u.err = err }
	u.OnAccept = func() {}
	u.OnComplete = func(v any, err error) {
		if err != nil {
			u.err = err
			return
		}
		u.ap = v.(activities.Approval)
	}
	s.env.UpdateWorkflow(name, "", u, d)
	return u
}

func (s *pipelineSuite) TestApprovalByUpdateIsValidated() {
	s.mockStages()
	deploy := s.expectDeploy()
	var early, stranger, anon, ok, twice *updateResult
	// Before the gate opens (training has not finished at t=0).
	s.env.RegisterDelayedCallback(func() { early = s.update(UpdateApprove, Decision{Approver: "alice"}) }, 0)
	s.env.RegisterDelayedCallback(func() {
		stranger = s.update(UpdateApprove, Decision{Approver: "mallory"})
		anon = s.update(UpdateApprove, Decision{})
		ok = s.update(UpdateApprove, Decision{Approver: "alice", Comment: "numbers hold"})
		twice = s.update(UpdateReject, Decision{Approver: "bob"})
	}, time.Hour)
	s.env.ExecuteWorkflow(TrainingPipeline, testSpec())
	r := s.result()

	s.Require().NotNil(early)
	s.ErrorContains(early.err, "gate is not open")
	s.ErrorContains(stranger.err, "mallory is not an approver of this pipeline; approvers: alice, bob")
	s.ErrorContains(anon.err, "approver is required")
	s.Require().NoError(ok.err)
	s.Equal(DecisionApproved, ok.ap.Decision)
	s.Equal("update", ok.ap.Via)
	s.ErrorContains(twice.err, "already approved by alice")
	s.Equal(OutcomeDeployed, r.Outcome)
	s.Equal("numbers hold", deploy.Approval.Comment)
}

func TestWorkflowNamesArePublicAPI(t *testing.T) {
	// Renaming any of these breaks running workflows and users' scripts.
	assert.Equal(t, "TrainingPipeline", TrainingPipelineName)
	assert.Equal(t, "mlpipe-cpu", TaskQueueCPU)
	assert.Equal(t, "mlpipe-gpu", TaskQueueGPU)
	assert.Equal(t, "approve-promotion", SignalApprove)
	assert.Equal(t, "reject-promotion", SignalReject)
	assert.Equal(t, "status", QueryStatus)
	require.Len(t, SearchAttributes, 2)
}

func (s *pipelineSuite) mockRollout(verdict rollout.Verdict) (promoted, rolled *bool) {
	var p, r bool
	s.env.RegisterWorkflow(CanaryRollout)
	s.env.OnActivity(a.SetRouting, mock.Anything, mock.Anything).Return(activities.SetRoutingResult{}, nil).Maybe()
	s.env.OnActivity(a.AnalyzeRollout, mock.Anything, mock.Anything).Return(activities.AnalyzeRolloutResult{Analysis: rollout.Analysis{Verdict: verdict, Summary: string(verdict)}}, nil).Maybe()
	s.env.OnActivity(a.PromoteCandidate, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.FinishRolloutInput) (activities.FinishRolloutResult, error) {
			p = true
			return activities.FinishRolloutResult{}, nil
		}).Maybe()
	s.env.OnActivity(a.RollbackCandidate, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.FinishRolloutInput) (activities.FinishRolloutResult, error) {
			r = true
			return activities.FinishRolloutResult{}, nil
		}).Maybe()
	return &p, &r
}

func canarySpec() spec.Pipeline {
	in := testSpec()
	in.Deployment = spec.Deployment{Strategy: spec.StrategyCanary, GatewayURL: "http://gateway"}
	return in
}

func (s *pipelineSuite) TestCanaryStrategyRunsTheRolloutAfterApproval() {
	s.eval = func(ev *activities.Evaluation) {
		ev.Champion = &activities.Champion{Version: 2, Metrics: map[string]float64{"f1": 0.86}}
	}
	s.mockStages()
	promoted, rolled := s.mockRollout(rollout.VerdictPass)
	s.signalAfter(time.Hour, SignalApprove, Decision{Approver: "alice"})
	start := s.env.Now()
	s.env.ExecuteWorkflow(TrainingPipeline, canarySpec())
	r := s.result()
	s.Equal(OutcomeDeployed, r.Outcome)
	s.Equal(3, r.Version)
	s.Require().NotNil(r.Rollout)
	s.Equal(OutcomePromoted, r.Rollout.Outcome)
	s.Equal(40, r.Rollout.Analyses, "the seed's schedule: 24h + 8h + 8h, hourly")
	s.True(*promoted)
	s.False(*rolled)
	s.GreaterOrEqual(s.env.Now().Sub(start), 41*time.Hour, "an hour at the gate, then 40 hours of canary")
	s.env.AssertNotCalled(s.T(), "DeployModel", mock.Anything, mock.Anything)
}

func (s *pipelineSuite) TestARolledBackCanaryEndsThePipelineWithoutPromotion() {
	s.eval = func(ev *activities.Evaluation) {
		ev.Champion = &activities.Champion{Version: 2, Metrics: map[string]float64{"f1": 0.86}}
	}
	s.mockStages()
	promoted, rolled := s.mockRollout(rollout.VerdictFail)
	s.signalAfter(time.Hour, SignalApprove, Decision{Approver: "alice"})
	s.env.ExecuteWorkflow(TrainingPipeline, canarySpec())
	r := s.result()
	s.Equal(OutcomeRolledBack, r.Outcome)
	s.Contains(r.Reason, "2 failed analyses in a row")
	s.True(*rolled)
	s.False(*promoted)
	s.Equal(StateRejected, r.Stages[5].State)
}

func (s *pipelineSuite) TestTheFirstVersionSkipsTheCanary() {
	s.mockStages()
	deploy := s.expectDeploy()
	s.signalAfter(time.Hour, SignalApprove, Decision{Approver: "alice"})
	s.env.ExecuteWorkflow(TrainingPipeline, canarySpec())
	r := s.result()
	s.Equal(OutcomeDeployed, r.Outcome)
	s.Nil(r.Rollout, "nothing in production to compare a canary with")
	s.Equal(3, deploy.Version)
}

func (s *pipelineSuite) TestSearchPicksTheConfigurationThatIsTrained() {
	in := testSpec()
	sr := searchInput(tune.StrategyRandom, 6).Search
	in.Search = &sr
	s.env.RegisterWorkflow(HyperparameterSearch)
	f := &fakeTrials{}
	s.env.OnActivity(a.TrainTrial, mock.Anything, mock.Anything).Return(f.run)
	var trained model.Config
	s.env.OnActivity(a.TrainModel, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.TrainModelInput) (activities.TrainModelResult, error) {
			trained = in.Config
			return activities.TrainModelResult{Model: activities.TrainedModel{Bundle: ref("bundle.json"), Epochs: 40}, Attempt: 1}, nil
		})
	var evaluated activities.EvaluateModelInput
	s.env.OnActivity(a.EvaluateModel, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.EvaluateModelInput) (activities.EvaluateModelResult, error) {
			evaluated = in
			return activities.EvaluateModelResult{Evaluation: activities.Evaluation{Metrics: map[string]float64{"f1": 0.6}}}, nil
		})
	s.mockStages()
	s.env.ExecuteWorkflow(TrainingPipeline, in)
	r := s.result()
	s.Require().NotNil(r.Search)
	s.Equal(18, f.calls, "6 trials × 3 folds on the GPU queue")
	s.Equal(r.Search.BestConfig.LearningRate, trained.LearningRate, "the best trial's parameters are retrained")
	s.Equal(r.Search.BestConfig.BatchSize, trained.BatchSize)
	s.Len(evaluated.Search, 6, "the results table goes into the evaluation report")
	s.Contains(r.Stages[3].Message, "40 epochs")
}
