package activities

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// Error types carried by non-retryable application errors. Workflows and
// users see them as the failure's type.
const (
	// ErrInvalidInput: a file, row, column or setting is wrong; retrying
	// cannot help.
	ErrInvalidInput = "InvalidInput"
	// ErrValidationFailed: the data broke its expectations.
	ErrValidationFailed = "ValidationFailed"
	// ErrDiverged: training produced a NaN or infinite loss.
	ErrDiverged = "TrainingDiverged"
	// ErrSourceChanged: a source file changed while it was read (it is
	// still being written). Retryable: a later attempt may find it complete.
	ErrSourceChanged = "SourceChanged"
)

// invalid wraps a bad-input error so Temporal does not retry it.
// ErrNoCUDA: a worker started with --xgboost-device cuda loaded a
// libxgboost built without CUDA.
const ErrNoCUDA = "XGBoostWithoutCUDA"

func invalid(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrInvalidInput, nil)
}
