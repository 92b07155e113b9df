package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/stretchr/testify/mock"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// specJSONWith is testSpec as JSON with one top-level key renamed, as a
// user who edits `mlpipe spec`'s output might.
func (s *pipelineSuite) specJSONWith(from, to string) json.RawMessage {
	b, err := json.Marshal(testSpec())
	s.Require().NoError(err)
	var doc map[string]json.RawMessage
	s.Require().NoError(json.Unmarshal(b, &doc))
	doc[to] = doc[from]
	delete(doc, from)
	b, err = json.Marshal(doc)
	s.Require().NoError(err)
	return b
}

func (s *pipelineSuite) TestUnknownKeyInTheJSONInputIsRefusedBeforeAnyWork() {
	s.mockStages()
	s.env.ExecuteWorkflow(TrainingPipelineName, s.specJSONWith("approval", "aproval"))
	s.True(s.env.IsWorkflowCompleted())
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	var app *temporal.ApplicationError
	s.Require().True(errors.As(err, &app))
	s.Equal(ErrInvalidSpec, app.Type())
	s.True(app.NonRetryable())
	s.Equal(`invalid pipeline spec: unknown key "aproval" (did you mean "approval"?)`, app.Message())
	s.env.AssertNotCalled(s.T(), "IngestData", mock.Anything, mock.Anything)
}

// A pipeline started before the check replays as it ran: the unknown key
// was dropped then, and its history goes on.
func (s *pipelineSuite) TestPipelinesStartedBeforeTheStrictCheckStillRun() {
	s.env.OnGetVersion(versionStrictSpec, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	s.mockStages()
	s.expectDeploy()
	s.signalAfter(time.Hour, SignalApprove, Decision{Approver: "mallory"})
	s.env.ExecuteWorkflow(TrainingPipelineName, s.specJSONWith("approval", "aproval"))
	s.Equal(OutcomeDeployed, s.result().Outcome, "without approvers anyone could approve: the bug the check closes")
}

func (s *pipelineSuite) TestIngestionGetsTheColumnsTheSpecNames() {
	var got activities.IngestDataInput
	s.env.OnActivity(a.IngestData, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.IngestDataInput) (activities.IngestDataResult, error) {
			got = in
			return activities.IngestDataResult{}, temporal.NewNonRetryableApplicationError("stop here", activities.ErrInvalidInput, nil)
		}).Once()
	s.env.ExecuteWorkflow(TrainingPipeline, testSpec())
	s.Require().Error(s.env.GetWorkflowError())
	s.Equal(spec.ColumnRefs{
		{Path: "data.target", Column: "churned"},
		{Path: "validation.schema.age", Column: "age"},
		{Path: "validation.schema.churned", Column: "churned"},
		{Path: "validation.freshness.column", Column: "last_activity"},
	}, got.Columns)
}

func (s *pipelineSuite) TestAStageTimeoutNamesItsSetting() {
	in := testSpec()
	in.Stages[3].Timeout = spec.Duration(90 * time.Second)
	in.Stages[3].Retries = 2
	calls := 0
	s.env.OnActivity(a.TrainModel, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ activities.TrainModelInput) (activities.TrainModelResult, error) {
			calls++
			return activities.TrainModelResult{}, temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_START_TO_CLOSE, nil)
		})
	s.mockStages()
	s.env.ExecuteWorkflow(TrainingPipeline, in)
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	var app *temporal.ApplicationError
	s.Require().True(errors.As(err, &app))
	s.Equal(ErrStageTimedOut, app.Type())
	s.Equal("stage model_training timed out: each of its 2 attempts ran longer than its timeout "+
		"(stages.model_training.timeout is 1m30s); raise stages.model_training.timeout", app.Message())
	s.Equal(2, calls)
	s.Contains(s.status().Stages[3].Message, "stages.model_training.timeout is 1m30s")
}

func (s *pipelineSuite) TestAHeartbeatTimeoutNamesTheDefault() {
	s.env.OnActivity(a.TrainModel, mock.Anything, mock.Anything).Return(
		activities.TrainModelResult{}, temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_HEARTBEAT, nil))
	s.mockStages()
	s.env.ExecuteWorkflow(TrainingPipeline, testSpec())
	var app *temporal.ApplicationError
	s.Require().True(errors.As(s.env.GetWorkflowError(), &app))
	s.Equal("stage model_training timed out: each of its 5 attempts went without a heartbeat for longer than its heartbeat "+
		"(stages.model_training.heartbeat is not set, so the default 1m applies); raise stages.model_training.heartbeat", app.Message())
}
