package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/workflows"
)

func (m *Main) approve(ctx context.Context, args []string) error {
	return m.decide(ctx, "approve", workflows.UpdateApprove, args)
}

func (m *Main) reject(ctx context.Context, args []string) error {
	return m.decide(ctx, "reject", workflows.UpdateReject, args)
}

// decide sends the decision as a validated Update: a refusal (not an
// approver, gate not open) comes back at once with its reason.
func (m *Main) decide(ctx context.Context, verb, update string, args []string) error {
	fs := newFlags(verb)
	as := fs.String("as", "", "your name, as listed in the spec's approval.approvers")
	comment := fs.String("comment", "", "why")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *as == "" {
		return usageErr("usage: mlpipe %s WORKFLOW_ID --as NAME [--comment TEXT]", verb)
	}
	c, err := m.quietClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	uctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	h, err := c.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{
		WorkflowID: pos[0], UpdateName: update, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.Decision{Approver: *as, Comment: *comment}},
	})
	if err != nil {
		// The server answers NotFound for an ID it does not know and for
		// a workflow that has ended; only the first is "not found".
		if _, derr := c.DescribeWorkflow(ctx, pos[0], ""); workflowNotFound(pos[0], derr) != nil {
			return workflowNotFound(pos[0], derr)
		}
		return fmt.Errorf("%s %s: %s", verb, pos[0], rootCause(err))
	}
	var ap activities.Approval
	if err := h.Get(uctx, &ap); err != nil {
		return fmt.Errorf("%s %s: %s", verb, pos[0], rootCause(err))
	}
	fmt.Fprintf(m.Stdout, "%s %s by %s at %s\n", pos[0], ap.Decision, ap.Approver, ap.At.Format(time.RFC3339))
	return nil
}

// errNoWorkflow is wrapped by every "workflow ... not found" answer.
var errNoWorkflow = errors.New("not found")

// workflowNotFound is the answer to a workflow ID the server does not
// know, naming where the CLI looked, or nil when err is something else.
func workflowNotFound(id string, err error) error {
	var nf *serviceerror.NotFound
	if !errors.As(err, &nf) {
		return nil
	}
	ns, addr := temporalConnection()
	return fmt.Errorf("workflow %s %w in namespace %s (at %s)", id, errNoWorkflow, ns, addr)
}

// temporalConnection is the namespace and address the CLI's client uses,
// resolved as workers.Dial resolves them.
func temporalConnection() (namespace, address string) {
	if opts, err := envconfig.LoadDefaultClientOptions(); err == nil {
		namespace, address = opts.Namespace, opts.HostPort
	}
	if namespace == "" {
		namespace = client.DefaultNamespace
	}
	if address == "" {
		address = client.DefaultHostPort
	}
	return namespace, address
}
