package workflows

import (
	"context"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// importSpec is the test spec whose training stage imports version 7.
func importSpec() spec.Pipeline {
	p := testSpec()
	for i := range p.Stages {
		if p.Stages[i].Name == spec.KindTraining {
			p.Stages[i].Import = &spec.Import{Version: 7}
		}
	}
	return p
}

// importMocks mocks every stage up to the feature set, the evaluation and
// the registration, and records what the evaluation and the gate got.
// ImportModel answers with imported, or fails with refused.
type importMocks struct {
	evaluated  *activities.EvaluateModelInput
	registered *activities.RegisterCandidateInput
	trained    bool
}

func (s *pipelineSuite) importMocks(refused error) *importMocks {
	got := &importMocks{}
	ds := activities.Dataset{Ref: ref("raw.csv"), Rows: 5000, Columns: []string{"age", "churned"}}
	fs := activities.FeatureSet{Version: "v1", Train: ref("train.csv"), Test: ref("test.csv"), TestRaw: ref("test_raw.csv"), Transform: ref("transform.json"), TrainRows: 4000, TestRows: 1000, Labels: [2]string{"no", "yes"}}
	s.env.OnActivity(a.IngestData, mock.Anything, mock.Anything).Return(activities.IngestDataResult{Dataset: ds, Attempt: 1}, nil)
	s.env.OnActivity(a.ValidateData, mock.Anything, mock.Anything).Return(activities.ValidateDataResult{Report: ref("validation.json"), Evaluated: 9, Attempt: 1}, nil)
	s.env.OnActivity(a.EngineerFeatures, mock.Anything, mock.Anything).Return(activities.EngineerFeaturesResult{Features: fs, Attempt: 1}, nil)
	s.env.OnActivity(a.TrainModel, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.TrainModelInput) (activities.TrainModelResult, error) {
			got.trained = true
			return activities.TrainModelResult{}, nil
		}).Maybe()
	s.env.OnActivity(a.ImportModel, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ImportModelInput) (activities.ImportModelResult, error) {
			s.Equal(activities.ImportModelInput{Model: "churn-classifier", Version: 7, Stage: "model_training", Features: fs}, in)
			if refused != nil {
				return activities.ImportModelResult{}, refused
			}
			m := activities.TrainedModel{Bundle: ref("imported.json"), Features: fs, Imported: 7}
			return activities.ImportModelResult{Model: m, Source: "xgboost import", ImportedBy: "carol", Trees: 40, Attempt: 1}, nil
		}).Once()
	s.env.OnActivity(a.EvaluateModel, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.EvaluateModelInput) (activities.EvaluateModelResult, error) {
			got.evaluated = &in
			ev := activities.Evaluation{Report: ref("report.json"), HTML: ref("report.html"), Metrics: map[string]float64{"f1": s.f1}, TestRows: 1000}
			return activities.EvaluateModelResult{Evaluation: ev, Attempt: 1}, nil
		}).Maybe()
	s.env.OnActivity(a.RegisterCandidate, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RegisterCandidateInput) (activities.RegisterCandidateResult, error) {
			got.registered = &in
			return activities.RegisterCandidateResult{Version: 8, Attempt: 1}, nil
		}).Maybe()
	return got
}

// An imported version stands in for the trained model: it is evaluated,
// gated, approved and promoted; nothing is trained.
func (s *pipelineSuite) TestImportStageGatesTheImportedVersion() {
	got := s.importMocks(nil)
	var deployed activities.DeployModelInput
	s.env.OnActivity(a.DeployModel, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.DeployModelInput) (activities.DeployModelResult, error) {
			deployed = in
			return activities.DeployModelResult{Version: 8, Alias: "production", Attempt: 1}, nil
		}).Once()
	s.env.RegisterDelayedCallback(func() {
		st := s.status()
		s.True(st.Gate.Open, "the imported version waits at the gate like a trained one")
		s.env.SignalWorkflow(SignalApprove, Decision{Approver: "alice", Comment: "imported model holds"})
	}, time.Hour)
	s.env.ExecuteWorkflow(TrainingPipeline, importSpec())

	r := s.result()
	s.Equal(OutcomeDeployed, r.Outcome)
	s.Equal(8, r.Version)
	s.False(got.trained, "an import trains nothing")
	s.Require().NotNil(got.evaluated)
	s.Equal(ref("imported.json"), got.evaluated.Model.Bundle, "the evaluation scores the imported bundle")
	s.Require().NotNil(got.registered)
	s.Equal(7, got.registered.Trained.Imported, "the gate's version records the import")
	s.Equal(8, deployed.Version)
	s.Equal(ref("imported.json").URI, r.ModelURI)
	st := s.status()
	s.Equal(StateSucceeded, st.Stages[3].State)
	s.Equal("imported churn-classifier version 7 (xgboost import by carol), 40 trees; it takes the features of feature set v1", st.Stages[3].Message)
}

// An imported version below the threshold is refused at the gate with the
// reason, as a trained one is.
func (s *pipelineSuite) TestImportStageBelowTheThresholdIsRefusedAtTheGate() {
	s.f1 = 0.61
	got := s.importMocks(nil)
	s.env.ExecuteWorkflow(TrainingPipeline, importSpec())

	r := s.result()
	s.Equal(OutcomeGateFailed, r.Outcome)
	s.Contains(r.Reason, "gate rules not met: f1 >= 0.8 (got 0.6100")
	s.Nil(got.registered, "a refused import is not registered again")
}

// A version that does not fit the feature set fails the stage before any
// evaluation, with the activity's reason.
func (s *pipelineSuite) TestImportStageRefusalStopsBeforeEvaluation() {
	msg := `stages.model_training.import.version 7: churn-classifier version 7 does not fit feature set v1 that this pipeline built: the feature set has feature "plan=premium", which the version does not take`
	got := s.importMocks(temporal.NewNonRetryableApplicationError(msg, activities.ErrImportRefused, nil))
	s.env.ExecuteWorkflow(TrainingPipeline, importSpec())

	s.True(s.env.IsWorkflowCompleted())
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	s.Contains(err.Error(), msg)
	s.Nil(got.evaluated, "nothing is evaluated")
	st := s.status()
	s.Equal(StateFailed, st.Stages[3].State)
	s.Contains(st.Stages[3].Message, `the feature set has feature "plan=premium"`)
	s.Equal(StateSkipped, st.Stages[4].State)
}
