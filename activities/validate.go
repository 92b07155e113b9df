package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/expect"
)

// ValidateData runs the expectations and the seed's checks (schema,
// completeness, freshness) and stores the report. A failure is
// non-retryable: its message names each failing column, check and count.
func (a *Activities) ValidateData(ctx context.Context, in ValidateDataInput) (ValidateDataResult, error) {
	attempt := activity.GetInfo(ctx).Attempt
	if err := in.Checks.Validate(); err != nil {
		return ValidateDataResult{}, invalid("validation checks: %v", err)
	}
	if err := expect.ValidateAll(in.Expectations); err != nil {
		return ValidateDataResult{}, invalid("expectations: %v", err)
	}
	f, err := readFrame(ctx, in.Dataset.Ref)
	if err != nil {
		return ValidateDataResult{}, err
	}
	rep := expect.Run(f, in.Expectations, in.Checks, time.Now())
	body, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return ValidateDataResult{}, err
	}
	key := fmt.Sprintf("reports/validation/%s/%s.json", in.Dataset.Ref.SHA256[:16], digestJSON(in.Expectations, in.Checks)[:16])
	ref, err := artifact.PutBytes(ctx, a.Store, key, body, "application/json")
	if err != nil {
		return ValidateDataResult{}, fmt.Errorf("store validation report: %w", err)
	}
	if !rep.Success {
		return ValidateDataResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s (report: %s)", rep.Summary(), ref.URI), ErrValidationFailed, nil, ref)
	}
	return ValidateDataResult{Report: ref, Evaluated: rep.Evaluated, Failed: rep.Failed, Attempt: attempt}, nil
}
