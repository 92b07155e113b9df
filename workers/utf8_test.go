package workers

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/testenv"
	"github.com/mlpipe/mlpipe/workflows"
)

type dataResult struct {
	Value  string            `json:"value"`
	Values []string          `json:"values"`
	ByName map[string]string `json:"by_name"`
	Inner  *dataResult       `json:"inner,omitempty"`
	At     time.Time         `json:"at"`
	hidden string
}

func TestValidValueEscapesEveryString(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := dataResult{Value: "act\xffive", Values: []string{"ok", "b\xe1sic"}, ByName: map[string]string{"k\xfe": "v\xfd"},
		Inner: &dataResult{Value: "x\xff"}, At: at, hidden: "h"}
	got := validValue(in).(dataResult)
	assert.Equal(t, `act\xffive`, got.Value)
	assert.Equal(t, []string{"ok", `b\xe1sic`}, got.Values)
	assert.Equal(t, map[string]string{`k\xfe`: `v\xfd`}, got.ByName)
	assert.Equal(t, `x\xff`, got.Inner.Value)
	assert.Equal(t, at, got.At)
	assert.Equal(t, "h", got.hidden, "unexported fields are copied as they are")
	assert.Equal(t, "act\xffive", in.Value, "the original is left alone")

	valid := &dataResult{Value: "básic"}
	assert.Same(t, valid, validValue(valid), "valid values pass through as they are")
	assert.Equal(t, `a\xff`, validValue("a\xff"))
	assert.Nil(t, validValue(nil))
}

func TestValidErrorKeepsTypeRetryabilityDetailsAndCause(t *testing.T) {
	cause := errors.New("cell \xe1")
	err := validError(temporal.NewNonRetryableApplicationError("value \"act\xffive\"", "ValidationFailed", cause, "report.json", 3))
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, `value "act\xffive"`, ae.Message())
	assert.Equal(t, "ValidationFailed", ae.Type())
	assert.True(t, ae.NonRetryable())
	var uri string
	var n int
	require.NoError(t, ae.Details(&uri, &n))
	assert.Equal(t, "report.json", uri)
	assert.Equal(t, 3, n)
	assert.Equal(t, `cell \xe1`, ae.Unwrap().Error())

	err = validError(fmt.Errorf("read \xff: %w", cause))
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, "wrapError", ae.Type(), "a Go error keeps the type name Temporal gives it")
	assert.False(t, ae.NonRetryable())
	assert.Equal(t, `read \xff: cell \xe1`, ae.Message())

	ok := errors.New("fine")
	assert.Same(t, ok, validError(ok))
	assert.NoError(t, validError(nil))
}

// An activity whose error quotes a value that is not UTF-8 (a data cell,
// say) fails its workflow at once with that message, on a real server,
// instead of leaving the activity unreported until its timeout.
func TestActivityFailureWithInvalidUTF8ReachesTheWorkflow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal dev server")
	}
	srv := testenv.StartTemporal(t)
	w := NewCPU(srv.Client, &activities.Activities{})
	w.RegisterActivityWithOptions(func(ctx context.Context, fail bool) (dataResult, error) {
		activity.RecordHeartbeat(ctx, "at \xff")
		if fail {
			return dataResult{}, temporal.NewNonRetryableApplicationError(`status: value "act`+"\xff"+`ive" is not in [active, inactive]`, activities.ErrValidationFailed, nil)
		}
		return dataResult{Value: "b\xe1sic"}, nil
	}, activity.RegisterOptions{Name: "dataQuoteBytes"})
	w.RegisterWorkflowWithOptions(func(ctx workflow.Context, fail bool) (dataResult, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 20 * time.Second,
			RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
		})
		var res dataResult
		err := workflow.ExecuteActivity(ctx, "dataQuoteBytes", fail).Get(ctx, &res)
		return res, err
	}, workflow.RegisterOptions{Name: "dataQuoteBytesWorkflow"})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := func(id string, fail bool) client.WorkflowRun {
		run, err := srv.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueueCPU}, "dataQuoteBytesWorkflow", fail)
		require.NoError(t, err)
		return run
	}

	err := start("data-utf8-failure", true).Get(ctx, nil)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "want the activity's own failure, got %v", err)
	assert.Equal(t, `status: value "act\xffive" is not in [active, inactive]`, ae.Message())
	assert.Equal(t, activities.ErrValidationFailed, ae.Type())
	assert.True(t, ae.NonRetryable())
	var te *temporal.TimeoutError
	assert.False(t, errors.As(err, &te), "not a timeout")

	var res dataResult
	require.NoError(t, start("data-utf8-result", false).Get(ctx, &res))
	assert.Equal(t, `b\xe1sic`, res.Value, "result strings show the bytes that were there")
}
