package workflows

import (
	"context"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// A 3-class spec trains a softmax over the listed classes, gates on a
// multi-class metric and says so in the evaluation stage's line.
func (s *pipelineSuite) TestMultiClassPipelineTrainsGatesAndSummarisesThreeClasses() {
	in := testSpec()
	in.Data = spec.Data{Source: "file:///data/plans.csv", Target: "plan", Classes: []string{"basic", "plus", "premium"}}
	in.Validation.Freshness = nil
	in.Stages[1].Checks = []string{"schema", "completeness"}
	in.EvaluationThreshold = map[string]float64{"f1_macro": 0.6}

	var engineered activities.EngineerFeaturesInput
	s.env.OnActivity(a.EngineerFeatures, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.EngineerFeaturesInput) (activities.EngineerFeaturesResult, error) {
			engineered = in
			return activities.EngineerFeaturesResult{Features: activities.FeatureSet{Version: "v1", Classes: []string{"basic", "plus", "premium"}}, Attempt: 1}, nil
		})
	var trained activities.TrainModelInput
	s.env.OnActivity(a.TrainModel, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.TrainModelInput) (activities.TrainModelResult, error) {
			trained = in
			return activities.TrainModelResult{Model: activities.TrainedModel{Bundle: ref("bundle.json"), Features: in.Features, Epochs: 40}, Attempt: 1}, nil
		})
	s.eval = func(ev *activities.Evaluation) {
		ev.Metrics = map[string]float64{"f1_macro": 0.71, "accuracy": 0.74, "roc_auc_ovr": 0.88}
		ev.Classes = []string{"basic", "plus", "premium"}
		ev.ClassConfusion = [][]int{{300, 30, 10}, {40, 220, 40}, {20, 50, 290}}
	}
	s.mockStages()
	s.expectDeploy()
	s.signalAfter(time.Hour, SignalApprove, Decision{Approver: "alice"})
	s.env.ExecuteWorkflow(TrainingPipeline, in)

	r := s.result()
	s.Equal(OutcomeDeployed, r.Outcome)
	s.Equal([]string{"basic", "plus", "premium"}, engineered.Spec.Classes, "the feature stage encodes labels in the listed order")
	s.Empty(engineered.Spec.Positive)
	s.Equal(3, trained.Config.Classes, "one softmax output per class")
	s.Equal("f1_macro 0.710, accuracy 0.740, roc_auc_ovr 0.880 on 1000 rows, 3 classes", r.Stages[4].Message)
	st := s.status()
	s.Require().Len(st.Gate.Thresholds, 1)
	s.Equal("f1_macro >= 0.6", st.Gate.Thresholds[0].Rule)
	s.True(st.Gate.Thresholds[0].Passed)
}
