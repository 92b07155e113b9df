package workflows

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/mlpipe/mlpipe/internal/spec"
)

// Every stage activity but the deployment's runs with a heartbeat
// timeout, so a worker killed mid-stage is noticed within it rather than
// at the stage's 30-minute timeout; a stage's `heartbeat:` sets it.
func (s *pipelineSuite) TestEveryDataStageRunsWithAHeartbeatTimeout() {
	s.mockStages()
	s.expectDeploy()
	var mu sync.Mutex
	got := map[string]time.Duration{}
	s.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		mu.Lock()
		defer mu.Unlock()
		got[info.ActivityType.Name] = info.HeartbeatTimeout
	})
	in := testSpec()
	in.Stages[2].Heartbeat = spec.Duration(7 * time.Second) // feature_engineering
	s.signalAfter(time.Hour, SignalApprove, Decision{Approver: "alice"})
	s.env.ExecuteWorkflow(TrainingPipeline, in)
	s.Equal(OutcomeDeployed, s.result().Outcome)
	for name, want := range map[string]time.Duration{
		"IngestData": time.Minute, "ValidateData": time.Minute, "EngineerFeatures": 7 * time.Second,
		"TrainModel": time.Minute, "EvaluateModel": time.Minute,
	} {
		s.Equal(want, got[name], name)
	}
}
