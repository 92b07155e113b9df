package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/rollout"
	"github.com/mlpipe/mlpipe/internal/routing"
	"github.com/mlpipe/mlpipe/internal/spec"
)

type rolloutSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
	// verdict answers the n-th analysis (1-based) at elapsed time t.
	verdict  func(n int, t time.Duration) rollout.Verdict
	start    time.Time
	routes   []routing.Routing
	analyses int
	promoted *activities.FinishRolloutInput
	rolled   *activities.FinishRolloutInput
}

func TestRollouts(t *testing.T) { suite.Run(t, new(rolloutSuite)) }

func (s *rolloutSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.RegisterWorkflow(CanaryRollout)
	s.env.RegisterWorkflow(ShadowRollout)
	s.env.RegisterActivity(a)
	s.start = s.env.Now()
	s.routes, s.analyses, s.promoted, s.rolled = nil, 0, nil, nil
	s.verdict = func(int, time.Duration) rollout.Verdict { return rollout.VerdictPass }
	s.env.OnActivity(a.SetRouting, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SetRoutingInput) (activities.SetRoutingResult, error) {
			s.routes = append(s.routes, in.Routing)
			return activities.SetRoutingResult{Routing: in.Routing}, nil
		}).Maybe()
	s.env.OnActivity(a.AnalyzeRollout, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AnalyzeRolloutInput) (activities.AnalyzeRolloutResult, error) {
			s.analyses++
			v := s.verdict(s.analyses, s.env.Now().Sub(s.start))
			return activities.AnalyzeRolloutResult{Analysis: rollout.Analysis{Verdict: v, Summary: "canary " + string(v)}}, nil
		}).Maybe()
	s.env.OnActivity(a.PromoteCandidate, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FinishRolloutInput) (activities.FinishRolloutResult, error) {
			s.promoted = &in
			return activities.FinishRolloutResult{Version: in.Version, Alias: "production"}, nil
		}).Maybe()
	s.env.OnActivity(a.RollbackCandidate, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FinishRolloutInput) (activities.FinishRolloutResult, error) {
			s.rolled = &in
			return activities.FinishRolloutResult{Version: in.Version}, nil
		}).Maybe()
}

func canaryInput(steps ...spec.CanaryStep) RolloutInput {
	return RolloutInput{Model: "churn-classifier", Candidate: 4, Deployment: spec.Deployment{
		Strategy: spec.StrategyCanary, GatewayURL: "http://gateway", Steps: steps,
		AnalysisInterval: spec.Duration(time.Hour), FailureLimit: 2,
	}}
}

func hours(n int) spec.Duration { return spec.Duration(time.Duration(n) * time.Hour) }

func (s *rolloutSuite) result() RolloutResult {
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var r RolloutResult
	s.Require().NoError(s.env.GetWorkflowResult(&r))
	return r
}

func (s *rolloutSuite) weights() []float64 {
	var w []float64
	for _, r := range s.routes {
		w = append(w, r.Weight)
	}
	return w
}

func (s *rolloutSuite) status() RolloutStatus {
	v, err := s.env.QueryWorkflow(QueryStatus)
	s.Require().NoError(err)
	var st RolloutStatus
	s.Require().NoError(v.Get(&st))
	return st
}

func (s *rolloutSuite) command(name string, c RolloutCommand) *error {
	var got error
	cb := &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   func(err error) { got = err },
		OnComplete: func(_ any, err error) { got = err },
	}
	s.env.UpdateWorkflow(name, "", cb, c)
	return &got
}

// The seed's schedule, compressed by nothing: 5% for 24 hours, then 25%
// and 50% for 8 hours each, analysed every hour, then the cutover.
func (s *rolloutSuite) TestTheSeedsScheduleIsPromotedAfter40Hours() {
	s.env.ExecuteWorkflow(CanaryRollout, canaryInput()) // no steps: the seed's default
	r := s.result()
	s.Equal(OutcomePromoted, r.Outcome)
	s.Equal([]float64{5, 25, 50}, s.weights(), "5%, 25%, 50%, then the cutover by promotion")
	s.Equal(40, r.Analyses, "one analysis an hour for 24+8+8 hours")
	s.Equal(40*time.Hour, s.env.Now().Sub(s.start).Round(time.Minute))
	s.Require().NotNil(s.promoted)
	s.Equal(4, s.promoted.Version)
	s.Nil(s.rolled)
	for _, rt := range s.routes[:3] {
		s.Equal(routing.ModeCanary, rt.Mode)
		s.Equal(4, rt.Candidate)
	}
}

func (s *rolloutSuite) TestA48HourScheduleRunsItsFullLength() {
	s.env.ExecuteWorkflow(CanaryRollout, canaryInput(
		spec.CanaryStep{Weight: 5, Hold: hours(24)}, spec.CanaryStep{Weight: 25, Hold: hours(12)},
		spec.CanaryStep{Weight: 50, Hold: hours(8)}, spec.CanaryStep{Weight: 100, Hold: hours(4)}))
	r := s.result()
	s.Equal(OutcomePromoted, r.Outcome)
	s.Equal(48, r.Analyses)
	s.Equal(48*time.Hour, s.env.Now().Sub(s.start).Round(time.Minute))
}

func (s *rolloutSuite) TestMoreThan48HoursIsRefused() {
	s.env.ExecuteWorkflow(CanaryRollout, canaryInput(spec.CanaryStep{Weight: 5, Hold: hours(30)}, spec.CanaryStep{Weight: 50, Hold: hours(20)}))
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	s.Contains(err.Error(), "keep it within 48h")
	s.Empty(s.routes, "nothing was routed")
}

func (s *rolloutSuite) TestABadCanaryIsRolledBackOnItsOwn() {
	// Fine for 3 hours, then two failed analyses in a row.
	s.verdict = func(n int, _ time.Duration) rollout.Verdict {
		if n > 3 {
			return rollout.VerdictFail
		}
		return rollout.VerdictPass
	}
	s.env.ExecuteWorkflow(CanaryRollout, canaryInput())
	r := s.result()
	s.Equal(OutcomeRolledBack, r.Outcome)
	s.Contains(r.Reason, "2 failed analyses in a row")
	s.Equal(5, r.Analyses)
	s.Equal(5*time.Hour, s.env.Now().Sub(s.start).Round(time.Minute), "rolled back at the second failure, not at the end of the step")
	s.Require().NotNil(s.rolled)
	s.Nil(s.promoted)
	s.Equal([]float64{5}, s.weights(), "never ramped past 5%")
}

func (s *rolloutSuite) TestOneFailureFollowedByAPassIsForgiven() {
	s.verdict = func(n int, _ time.Duration) rollout.Verdict {
		if n == 2 || n == 30 {
			return rollout.VerdictFail
		}
		return rollout.VerdictPass
	}
	s.env.ExecuteWorkflow(CanaryRollout, canaryInput())
	s.Equal(OutcomePromoted, s.result().Outcome)
}

func (s *rolloutSuite) TestPauseStopsTheClockAndResumeGoesOn() {
	var pauseErr, resumeErr, twice *error
	s.env.RegisterDelayedCallback(func() {
		pauseErr = s.command(ControlPause, RolloutCommand{By: "alice", Reason: "checking a dashboard"})
	}, 2*time.Hour+30*time.Minute)
	s.env.RegisterDelayedCallback(func() {
		twice = s.command(ControlPause, RolloutCommand{By: "bob"})
		st := s.status()
		s.Equal(RolloutPaused, st.State)
		s.Equal("alice", st.PausedBy)
		s.Equal(2, st.Analyses, "no analysis while paused")
	}, 5*time.Hour)
	s.env.RegisterDelayedCallback(func() {
		resumeErr = s.command(ControlResume, RolloutCommand{By: "alice"})
	}, 10*time.Hour+30*time.Minute)
	s.env.ExecuteWorkflow(CanaryRollout, canaryInput())
	r := s.result()
	s.Require().NoError(*pauseErr)
	s.Require().NoError(*resumeErr)
	s.ErrorContains(*twice, "already paused by alice")
	s.Equal(OutcomePromoted, r.Outcome)
	s.Equal(48*time.Hour, s.env.Now().Sub(s.start).Round(time.Minute), "40 hours of holds plus 8 paused")
}

func (s *rolloutSuite) TestAbortTakesTheCandidateOut() {
	var stranger, abort *error
	s.env.RegisterDelayedCallback(func() {
		stranger = s.command(ControlAbort, RolloutCommand{})
		abort = s.command(ControlAbort, RolloutCommand{By: "bob", Reason: "support tickets spiking"})
	}, 30*time.Hour)
	s.env.ExecuteWorkflow(CanaryRollout, canaryInput())
	r := s.result()
	s.ErrorContains(*stranger, "say who you are")
	s.Require().NoError(*abort)
	s.Equal(OutcomeAborted, r.Outcome)
	s.Contains(r.Reason, "aborted by bob: support tickets spiking")
	s.Require().NotNil(s.rolled)
	s.Nil(s.promoted)
	s.Equal([]float64{5, 25}, s.weights())
}

func (s *rolloutSuite) TestPromoteNowSkipsTheRest() {
	s.env.RegisterDelayedCallback(func() {
		s.NoError(*s.command(ControlPromote, RolloutCommand{By: "alice", Reason: "incident fix must ship"}))
	}, 3*time.Hour+10*time.Minute)
	s.env.ExecuteWorkflow(CanaryRollout, canaryInput())
	r := s.result()
	s.Equal(OutcomePromoted, r.Outcome)
	s.Contains(r.Reason, "promoted early by alice")
	s.NotNil(s.promoted)
	s.Less(s.env.Now().Sub(s.start), 4*time.Hour)
}

func (s *rolloutSuite) TestAnInconclusiveStepPausesForAPerson() {
	// Too little traffic in the first step: every analysis is inconclusive.
	s.verdict = func(_ int, t time.Duration) rollout.Verdict {
		if t <= 24*time.Hour {
			return rollout.VerdictInconclusive
		}
		return rollout.VerdictPass
	}
	s.env.RegisterDelayedCallback(func() {
		st := s.status()
		s.Equal(RolloutPaused, st.State)
		s.Equal("analysis", st.PausedBy)
		s.Equal(1, st.Step)
		s.Equal(5.0, st.Weight)
		s.NoError(*s.command(ControlResume, RolloutCommand{By: "alice", Reason: "traffic was low on a holiday"}))
	}, 30*time.Hour)
	s.env.ExecuteWorkflow(CanaryRollout, canaryInput())
	r := s.result()
	s.Equal(OutcomePromoted, r.Outcome)
	s.Equal(46*time.Hour, s.env.Now().Sub(s.start).Round(time.Minute), "24h, 6h waiting for a person, then 16h")
}

func (s *rolloutSuite) TestAFailedGatewayCallRollsBack() {
	// A gateway that refuses the admin call for good (a 4xx) ends the
	// rollout with the candidate taken out, not left at its weight.
	s.SetupTest()
	s.env = s.NewTestWorkflowEnvironment()
	s.env.RegisterWorkflow(CanaryRollout)
	s.env.RegisterActivity(a)
	s.env.OnActivity(a.SetRouting, mock.Anything, mock.Anything).Return(activities.SetRoutingResult{}, nil)
	s.env.OnActivity(a.AnalyzeRollout, mock.Anything, mock.Anything).Return(activities.AnalyzeRolloutResult{},
		temporal.NewNonRetryableApplicationError("gateway refused: 401 Unauthorized", activities.ErrInvalidInput, nil))
	s.env.OnActivity(a.RollbackCandidate, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FinishRolloutInput) (activities.FinishRolloutResult, error) {
			s.rolled = &in
			return activities.FinishRolloutResult{}, nil
		})
	s.env.ExecuteWorkflow(CanaryRollout, canaryInput())
	r := s.result()
	s.Equal(OutcomeRolledBack, r.Outcome)
	s.Contains(r.Reason, "401 Unauthorized")
	s.NotNil(s.rolled)
}

func shadowInput() RolloutInput {
	return RolloutInput{Model: "churn-classifier", Candidate: 4, Approvers: []string{"alice"}, Deployment: spec.Deployment{
		Strategy: spec.StrategyShadow, GatewayURL: "http://gateway", Window: hours(24), AnalysisInterval: hours(2), FailureLimit: 3,
	}}
}

func (s *rolloutSuite) TestAShadowThatAgreesIsSwitchedTo() {
	s.env.ExecuteWorkflow(ShadowRollout, shadowInput())
	r := s.result()
	s.Equal(OutcomePromoted, r.Outcome)
	s.Equal(12, r.Analyses)
	s.Require().NotEmpty(s.routes)
	s.Equal(routing.ModeShadow, s.routes[0].Mode)
	s.Equal(100.0, s.routes[0].Mirror, "mirrors all traffic by default")
	s.NotNil(s.promoted)
}

func (s *rolloutSuite) TestAShadowThatDisagreesIsDiscarded() {
	s.verdict = func(n int, _ time.Duration) rollout.Verdict {
		if n >= 4 {
			return rollout.VerdictFail
		}
		return rollout.VerdictPass
	}
	s.env.ExecuteWorkflow(ShadowRollout, shadowInput())
	r := s.result()
	s.Equal(OutcomeDiscarded, r.Outcome)
	s.NotNil(s.rolled)
	s.Nil(s.promoted)
}

func (s *rolloutSuite) TestAShadowSwitchCanNeedAPerson() {
	in := shadowInput()
	in.Deployment.ApproveSwitch = true
	var stranger, early *error
	s.env.RegisterDelayedCallback(func() {
		var err error
		cb := &testsuite.TestUpdateCallback{OnAccept: func() {}, OnReject: func(e error) { err = e }, OnComplete: func(any, error) {}}
		s.env.UpdateWorkflow(SignalApprove, "", cb, Decision{Approver: "alice"})
		early = &err
	}, time.Hour)
	s.env.RegisterDelayedCallback(func() {
		s.Equal(RolloutDeciding, s.status().State)
		var err error
		cb := &testsuite.TestUpdateCallback{OnAccept: func() {}, OnReject: func(e error) { err = e }, OnComplete: func(any, error) {}}
		s.env.UpdateWorkflow(SignalApprove, "", cb, Decision{Approver: "mallory"})
		stranger = &err
		s.env.SignalWorkflow(SignalApprove, Decision{Approver: "alice", Comment: "agreement 99.2%"})
	}, 25*time.Hour)
	s.env.ExecuteWorkflow(ShadowRollout, in)
	r := s.result()
	s.ErrorContains(*early, "nothing to approve")
	s.ErrorContains(*stranger, "mallory is not an approver")
	s.Equal(OutcomePromoted, r.Outcome)
	s.Require().NotNil(s.promoted)
	s.Require().NotNil(s.promoted.Approval)
	s.Equal("alice", s.promoted.Approval.Approver)
}

// unreachable is what SetRouting and the others return while nothing
// listens at the gateway's address: retryable, within the bound.
func unreachable() error {
	return temporal.NewApplicationError("gateway at http://127.0.0.1:9 unreachable: connection refused", activities.ErrGatewayUnreachable)
}

// gatewayMocks replaces the suite's mocks with a fresh environment whose
// SetRouting and RollbackCandidate answer with setRouting and rollback
// (nil: succeed); analyses pass.
func (s *rolloutSuite) gatewayMocks(setRouting func(attempt int) error, rollback func() error) {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.RegisterWorkflow(CanaryRollout)
	s.env.RegisterActivity(a)
	attempt := 0
	s.env.OnActivity(a.SetRouting, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SetRoutingInput) (activities.SetRoutingResult, error) {
			attempt++
			if setRouting != nil {
				if err := setRouting(attempt); err != nil {
					return activities.SetRoutingResult{}, err
				}
			}
			s.routes = append(s.routes, in.Routing)
			return activities.SetRoutingResult{Routing: in.Routing}, nil
		}).Maybe()
	s.env.OnActivity(a.AnalyzeRollout, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AnalyzeRolloutInput) (activities.AnalyzeRolloutResult, error) {
			s.analyses++
			v := s.verdict(s.analyses, s.env.Now().Sub(s.start))
			return activities.AnalyzeRolloutResult{Analysis: rollout.Analysis{Verdict: v, Summary: "canary " + string(v)}}, nil
		}).Maybe()
	s.env.OnActivity(a.PromoteCandidate, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FinishRolloutInput) (activities.FinishRolloutResult, error) {
			s.promoted = &in
			return activities.FinishRolloutResult{Version: in.Version, Alias: "production"}, nil
		}).Maybe()
	s.env.OnActivity(a.RollbackCandidate, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FinishRolloutInput) (activities.FinishRolloutResult, error) {
			s.rolled = &in
			if rollback != nil {
				if err := rollback(); err != nil {
					return activities.FinishRolloutResult{}, err
				}
			}
			res := activities.FinishRolloutResult{Version: in.Version}
			if in.NeverRouted {
				res.GatewayNotTold = "gateway at http://127.0.0.1:9 unreachable: connection refused"
			}
			return res, nil
		}).Maybe()
}

// down is a gateway that never answers, counting the attempts.
func down(attempts *int) func(int) error {
	return func(n int) error { *attempts = n; return unreachable() }
}

// A gateway that never answers is retried for the rollout's gateway_retry,
// not forever: the rollout then ends rolled back with the reason, the
// registry is told, and nobody claims the step was applied.
func (s *rolloutSuite) TestAGatewayThatNeverAnswersEndsTheRolloutWithinItsBound() {
	attempts := new(int)
	s.gatewayMocks(down(attempts), nil)
	in := canaryInput()
	in.GatewayRetry = spec.Duration(time.Minute)
	s.env.RegisterDelayedCallback(func() {
		st := s.status()
		s.Equal(RolloutRunning, st.State)
		s.Equal(1, st.Step)
		s.Zero(st.Weight, "the gateway has not acknowledged 5%")
		s.Require().NotNil(st.Pending, "the step is shown as not applied")
		s.Equal(5.0, st.Pending.Weight)
		s.Contains(st.Pending.What, "canary step 1 of 3")
	}, 10*time.Second)
	s.env.ExecuteWorkflow(CanaryRollout, in)
	r := s.result()
	s.Equal(OutcomeRolledBack, r.Outcome)
	s.Contains(r.Reason, "gateway at http://127.0.0.1:9 unreachable: connection refused")
	s.Contains(r.Reason, "gave up after retrying for 1m0s")
	s.NotContains(r.Reason, "type: GatewayUnreachable", "the reason reads as a sentence")
	s.Equal(int(gatewayRetryPolicy(time.Minute).MaximumAttempts), *attempts)
	s.Less(s.env.Now().Sub(s.start), 2*time.Minute)
	s.Require().NotNil(s.rolled, "the registry records the refusal")
	s.True(s.rolled.NeverRouted, "the gateway never held a split")
	s.Contains(r.Reason, "the gateway never acknowledged a split, so it serves production only")
	st := s.status()
	s.Nil(st.Pending)
	s.Zero(st.Weight)
}

// The status says a step is pending until the gateway acknowledges it,
// and counts its weight from then on.
func (s *rolloutSuite) TestAStepCountsOnlyOnceTheGatewayAcknowledgesIt() {
	s.gatewayMocks(func(n int) error {
		if n <= 3 {
			return unreachable()
		}
		return nil
	}, nil)
	var before, after RolloutStatus
	s.env.RegisterDelayedCallback(func() { before = s.status() }, 2*time.Second)
	s.env.RegisterDelayedCallback(func() { after = s.status() }, time.Minute)
	s.env.ExecuteWorkflow(CanaryRollout, canaryInput())
	s.Equal(OutcomePromoted, s.result().Outcome, "a gateway down for seconds is waited for")
	s.Require().NotNil(before.Pending)
	s.Zero(before.Weight)
	s.Nil(after.Pending)
	s.Equal(5.0, after.Weight)
	s.Equal([]float64{5, 25, 50}, s.weights())
}

// An abort ends a rollout whose gateway does not answer at once, without
// waiting out the retries; production stays production.
func (s *rolloutSuite) TestAbortDoesNotWaitForAGatewayThatNeverAnswers() {
	s.gatewayMocks(down(new(int)), nil)
	var abort *error
	s.env.RegisterDelayedCallback(func() {
		abort = s.command(ControlAbort, RolloutCommand{By: "bob", Reason: "gateway is gone"})
	}, 20*time.Second)
	s.env.ExecuteWorkflow(CanaryRollout, canaryInput()) // the default bound: 10 minutes
	r := s.result()
	s.Require().NoError(*abort)
	s.Equal(OutcomeAborted, r.Outcome)
	s.Contains(r.Reason, "aborted by bob: gateway is gone")
	s.Contains(r.Reason, "the gateway never acknowledged a split")
	s.Less(s.env.Now().Sub(s.start), time.Minute, "ended at the abort, not after 10 minutes of retries")
	s.Require().NotNil(s.rolled)
	s.True(s.rolled.NeverRouted)
	s.Nil(s.promoted)
	s.Empty(s.routes)
}

// A gateway that refuses (a wrong token) is not retried: the rollout rolls
// back at once with the message that says what to fix.
func (s *rolloutSuite) TestAGatewayThatRefusesTheRoutingRollsBackAtOnce() {
	calls := 0
	s.gatewayMocks(func(n int) error {
		calls = n
		return temporal.NewNonRetryableApplicationError(
			"gateway at http://gw refused the admin token (401 Unauthorized): set MLPIPE_ADMIN_TOKEN on the workers", activities.ErrGatewayRefused, nil)
	}, nil)
	s.env.ExecuteWorkflow(CanaryRollout, canaryInput())
	r := s.result()
	s.Equal(OutcomeRolledBack, r.Outcome)
	s.Contains(r.Reason, "MLPIPE_ADMIN_TOKEN")
	s.Equal(1, calls, "a refusal is not retried")
	s.NotNil(s.rolled)
}

// A rollback the gateway cannot take (it went away mid-canary) still ends
// the rollout, and the status does not claim the split is gone.
func (s *rolloutSuite) TestARollbackTheGatewayCannotTakeEndsSayingSo() {
	s.verdict = func(int, time.Duration) rollout.Verdict { return rollout.VerdictFail }
	rollbacks := 0
	s.gatewayMocks(nil, func() error { rollbacks++; return unreachable() })
	in := canaryInput()
	in.GatewayRetry = spec.Duration(30 * time.Second)
	s.env.ExecuteWorkflow(CanaryRollout, in)
	r := s.result()
	s.Equal(OutcomeRolledBack, r.Outcome)
	s.Contains(r.Reason, "2 failed analyses in a row")
	s.Contains(r.Reason, "may still send 5% of traffic to version 4")
	s.Contains(r.Reason, `PUT {"mode": "none"} to http://gateway/admin/models/churn-classifier/routing`)
	s.False(s.rolled.NeverRouted, "step 1 was acknowledged")
	s.Equal(int(gatewayRetryPolicy(30*time.Second).MaximumAttempts), rollbacks)
	st := s.status()
	s.Equal(OutcomeRolledBack, st.State)
	s.Equal(5.0, st.Weight, "the gateway may still route 5%%")
}

// Once the rollout is finishing, a control is refused rather than
// accepted and ignored.
func (s *rolloutSuite) TestAControlWhileFinishingIsRefused() {
	s.verdict = func(int, time.Duration) rollout.Verdict { return rollout.VerdictFail }
	s.gatewayMocks(nil, unreachable)
	var pause *error
	s.env.RegisterDelayedCallback(func() {
		pause = s.command(ControlPause, RolloutCommand{By: "alice"})
	}, 2*time.Hour+5*time.Second)
	s.env.ExecuteWorkflow(CanaryRollout, canaryInput())
	s.Equal(OutcomeRolledBack, s.result().Outcome)
	s.ErrorContains(*pause, "already finishing")
}

func (s *rolloutSuite) TestAGatewayRetryOutOfRangeIsRefused() {
	for _, bad := range []time.Duration{-time.Second, time.Millisecond, 25 * time.Hour} {
		s.SetupTest()
		in := canaryInput()
		in.GatewayRetry = spec.Duration(bad)
		s.env.ExecuteWorkflow(CanaryRollout, in)
		s.Require().Error(s.env.GetWorkflowError(), bad)
		s.Contains(s.env.GetWorkflowError().Error(), "gateway_retry "+spec.Duration(bad).String()+" is out of range: use 1s to 24h0m0s (0 means 10m0s)")
		s.Empty(s.routes)
	}
}

func TestGatewayRetryPolicyIsBounded(t *testing.T) {
	for _, c := range []struct {
		budget   time.Duration
		attempts int32
	}{
		{0, 1},
		{5 * time.Second, 3},                   // 1s, 2s
		{time.Minute, 6},                       // 1s, 2s, 4s, 8s, 16s
		{10 * time.Minute, 24},                 // 31s, then 18 × 30s
		{time.Duration(MaxGatewayRetry), 2884}, // every 30s for a day
	} {
		p := gatewayRetryPolicy(c.budget)
		if p.MaximumAttempts != c.attempts {
			t.Errorf("budget %s: %d attempts, want %d", c.budget, p.MaximumAttempts, c.attempts)
		}
		if p.MaximumInterval != 30*time.Second {
			t.Errorf("budget %s: maximum interval %s", c.budget, p.MaximumInterval)
		}
	}
}
