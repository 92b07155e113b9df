package activities

import "github.com/mlpipe/mlpipe/internal/dataplane"

// ReadFeaturePartsRowByRow makes the feature stage read Parquet datasets
// through the row reader until the returned function restores the column
// reader.
func ReadFeaturePartsRowByRow() (restore func()) {
	readParts = (*dataplane.Engine).ReadFrameParts
	return func() { readParts = (*dataplane.Engine).ReadColumnParts }
}
