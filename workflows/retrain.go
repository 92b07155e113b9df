package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
)

// RetrainLoopName is the closed loop's workflow type: one per model, ID
// RetrainLoopID(model), started (or signalled) by the alert receiver.
const RetrainLoopName = "RetrainLoop"

// SignalAlert carries one Alert to a RetrainLoop; QueryRetrainLoop returns
// its RetrainLoopStatus.
const (
	SignalAlert      = "alert"
	QueryRetrainLoop = "retrain-status"
)

// DefaultRetrainCooldown follows each retraining: however often an alert
// fires meanwhile, no other retraining of the model starts.
const DefaultRetrainCooldown = 24 * time.Hour

// retrainLoopEvents is where a loop continues as new, well below
// Temporal's 10,240-event warning (the server also suggests it).
const retrainLoopEvents = 2000

// retrainKept bounds the retrainings and alerts a status keeps.
const retrainKept = 20

// RetrainLoopID is the loop's workflow ID for a model.
func RetrainLoopID(model string) string { return "retrain-loop-" + model }

// Alert is one notification about one alert, as Alertmanager's webhook
// sends it (an alert's fingerprint and start time identify its incident).
type Alert struct {
	Name        string            `json:"name"`
	Status      string            `json:"status"` // firing or resolved
	Fingerprint string            `json:"fingerprint"`
	StartsAt    time.Time         `json:"starts_at"`
	Action      string            `json:"action,omitempty"` // retrain, or empty
	Severity    string            `json:"severity,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Summary     string            `json:"summary,omitempty"`
}

// Incident names an alert's incident: a firing alert keeps its fingerprint
// and start time for as long as it fires, however often it is re-sent.
func (a Alert) Incident() string {
	return fmt.Sprintf("%s-%s", a.Fingerprint, a.StartsAt.UTC().Format("20060102T150405Z"))
}

// RetrainLoopInput starts a loop; State is carried across continue-as-new.
type RetrainLoopInput struct {
	Model    string        `json:"model"`
	Cooldown time.Duration `json:"cooldown,omitempty"`
	State    *RetrainState `json:"state,omitempty"`
}

// RetrainState is what the loop remembers: what fires, what it started and
// until when it holds off.
type RetrainState struct {
	Firing        []FiringAlert `json:"firing"`
	Retrainings   []Retraining  `json:"retrainings"`
	CooldownUntil time.Time     `json:"cooldown_until,omitzero"`
	// Notifications counts alerts received; Suppressed those that asked
	// for a retraining during a cooldown; Failed the retrainings that
	// could not be started.
	Notifications int64  `json:"notifications"`
	Suppressed    int64  `json:"suppressed"`
	Failed        int64  `json:"failed"`
	LastError     string `json:"last_error,omitempty"`
	// Runs counts the loop's runs (continue-as-new).
	Runs int `json:"runs"`
}

// FiringAlert is an alert the loop has seen fire and not resolve.
type FiringAlert struct {
	Name     string    `json:"name"`
	Incident string    `json:"incident"`
	Since    time.Time `json:"since"`
	LastSeen time.Time `json:"last_seen"`
	Count    int64     `json:"count"`
}

// Retraining is one TrainingPipeline the loop started.
type Retraining struct {
	WorkflowID string    `json:"workflow_id"`
	RunID      string    `json:"run_id,omitempty"`
	Alert      string    `json:"alert"`
	Incident   string    `json:"incident"`
	StartedAt  time.Time `json:"started_at"`
}

// RetrainLoopStatus is the loop as its query shows it.
type RetrainLoopStatus struct {
	Model    string        `json:"model"`
	Cooldown time.Duration `json:"cooldown"`
	RetrainState
	InCooldown bool `json:"in_cooldown"`
}

// RetrainLoop is the closed loop: alerts in, at most one gated retraining
// per cooldown out. An alert whose action is retrain starts a
// TrainingPipeline on the model's current spec with a workflow ID derived
// from the model and the incident; a start that is retried, or repeated by
// a duplicate notification, finds the running pipeline instead of
// starting another. The pipeline keeps its gate and human approval.
func RetrainLoop(ctx workflow.Context, in RetrainLoopInput) error {
	if in.Model == "" {
		return temporal.NewNonRetryableApplicationError("retrain loop: model is required", ErrInvalidLoopInput, nil)
	}
	if in.Cooldown <= 0 {
		in.Cooldown = DefaultRetrainCooldown
	}
	st := RetrainState{}
	if in.State != nil {
		st = *in.State
	}
	st.Runs++
	if err := workflow.SetQueryHandler(ctx, QueryRetrainLoop, func() (RetrainLoopStatus, error) {
		return RetrainLoopStatus{Model: in.Model, Cooldown: in.Cooldown, RetrainState: st,
			InCooldown: workflow.Now(ctx).Before(st.CooldownUntil)}, nil
	}); err != nil {
		return err
	}
	alerts := workflow.GetSignalChannel(ctx, SignalAlert)
	for {
		var al Alert
		got := false
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(alerts, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &al); got = true })
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
		sel.Select(ctx)
		if !got {
			return ctx.Err() // cancelled by a person: the loop stops
		}
		handleAlert(ctx, in, &st, al)
		// Drain what is already queued before deciding to continue as
		// new, so that no signal is lost between runs.
		for alerts.ReceiveAsync(&al) {
			handleAlert(ctx, in, &st, al)
		}
		info := workflow.GetInfo(ctx)
		if info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= retrainLoopEvents {
			next := in
			next.State = &st
			return workflow.NewContinueAsNewError(ctx, RetrainLoopName, next)
		}
	}
}

// ErrInvalidLoopInput is the failure type of a loop started without a model.
const ErrInvalidLoopInput = "InvalidLoopInput"

func handleAlert(ctx workflow.Context, in RetrainLoopInput, st *RetrainState, al Alert) {
	now := workflow.Now(ctx)
	st.Notifications++
	incident := al.Incident()
	i := slices.IndexFunc(st.Firing, func(f FiringAlert) bool { return f.Incident == incident })
	if al.Status == "resolved" {
		if i >= 0 {
			st.Firing = slices.Delete(st.Firing, i, i+1)
		}
		return
	}
	if i < 0 {
		st.Firing = append(st.Firing, FiringAlert{Name: al.Name, Incident: incident, Since: al.StartsAt})
		i = len(st.Firing) - 1
		if len(st.Firing) > retrainKept {
			st.Firing = st.Firing[len(st.Firing)-retrainKept:]
			i = len(st.Firing) - 1
		}
	}
	st.Firing[i].LastSeen = now
	st.Firing[i].Count++
	if al.Action != activities.ActionRetrain {
		return
	}
	if now.Before(st.CooldownUntil) {
		st.Suppressed++
		return
	}
	id := activities.RetrainWorkflowID(in.Model, incident)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           TaskQueueCPU,
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			MaximumAttempts:        10,
			NonRetryableErrorTypes: []string{activities.ErrInvalidInput},
		},
		Summary: "start retraining " + id,
	})
	var res activities.StartRetrainingResult
	err := workflow.ExecuteActivity(actx, a.StartRetraining, activities.StartRetrainingInput{
		Model: in.Model, WorkflowID: id, Alert: al.Name, Incident: incident, FiredAt: al.StartsAt, Summary: al.Summary,
	}).Get(ctx, &res)
	if err != nil {
		// The cooldown only follows a retraining that started; the next
		// notification tries again.
		st.Failed++
		st.LastError = err.Error()
		workflow.GetLogger(ctx).Error("retraining not started", "model", in.Model, "alert", al.Name, "error", err)
		return
	}
	st.LastError = ""
	st.CooldownUntil = now.Add(in.Cooldown)
	st.Retrainings = append(st.Retrainings, Retraining{
		WorkflowID: res.WorkflowID, RunID: res.RunID, Alert: al.Name, Incident: incident, StartedAt: now,
	})
	if len(st.Retrainings) > retrainKept {
		st.Retrainings = st.Retrainings[len(st.Retrainings)-retrainKept:]
	}
}
