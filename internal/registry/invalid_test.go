package registry_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/registry"
)

// Every refusal of bad input matches ErrInvalid, so callers can tell it
// from a store that failed (worth retrying) without reading the message;
// the message itself still says what to fix.
func TestRefusalsMatchErrInvalid(t *testing.T) {
	ctx := context.Background()
	reg, err := registry.Open(ctx, "file://"+t.TempDir())
	require.NoError(t, err)
	v, err := reg.Register(ctx, registry.Version{Name: "churn", Model: model("file:///m/1")})
	require.NoError(t, err)

	for name, err := range map[string]error{
		"bad model name": func() error {
			_, err := reg.Register(ctx, registry.Version{Name: "../etc", Model: model("u")})
			return err
		}(),
		"empty model reference": func() error {
			_, err := reg.Register(ctx, registry.Version{Name: "churn"})
			return err
		}(),
		"empty approver": func() error {
			_, err := reg.RecordApproval(ctx, "churn", v.Version, registry.Approval{Decision: registry.DecisionRejected, Comment: "timed out"})
			return err
		}(),
		"blank approver": func() error {
			_, err := reg.RecordApproval(ctx, "churn", v.Version, registry.Approval{Approver: "  ", Decision: registry.DecisionRejected})
			return err
		}(),
		"unknown decision": func() error {
			_, err := reg.RecordApproval(ctx, "churn", v.Version, registry.Approval{Approver: "bob", Decision: "maybe"})
			return err
		}(),
		"bad alias name": reg.SetAlias(ctx, "churn", "a/b", v.Version),
	} {
		assert.ErrorIs(t, err, registry.ErrInvalid, name)
		assert.NotContains(t, err.Error(), ": invalid", "%s: the message is the reason, not the sentinel", name)
	}
	assert.ErrorContains(t, func() error {
		_, err := reg.RecordApproval(ctx, "churn", v.Version, registry.Approval{Decision: registry.DecisionRejected})
		return err
	}(), "approver is empty: name who decided")

	// A missing version is not found, not invalid.
	_, err = reg.RecordApproval(ctx, "churn", 9, registry.Approval{Approver: "bob", Decision: registry.DecisionRejected})
	assert.ErrorIs(t, err, registry.ErrNotFound)
	assert.NotErrorIs(t, err, registry.ErrInvalid)
}
