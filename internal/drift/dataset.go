package drift

// DatasetResult is the verdict on a window as a whole.
type DatasetResult struct {
	// Features counts the columns measured; skipped ones are left out.
	Features int `json:"features"`
	// DriftedFeatures counts those that drifted and Share is their share.
	DriftedFeatures int     `json:"drifted_features"`
	Share           float64 `json:"share"`
	// Threshold is the share at which the dataset drifts.
	Threshold float64 `json:"threshold"`
	Drifted   bool    `json:"drifted"`
	// DriftedColumns and SkippedColumns name the columns, in input order.
	DriftedColumns []string `json:"drifted_columns,omitempty"`
	SkippedColumns []string `json:"skipped_columns,omitempty"`
}

// Dataset judges a window from its features' results: it drifts when the
// share of measured features that drifted is at least cfg.DatasetShare.
// Pass the features only: the prediction's drift is reported beside it.
func Dataset(results []Result, cfg Config) DatasetResult {
	d := DatasetResult{Threshold: cfg.DatasetShare}
	for _, r := range results {
		if r.Skipped != "" {
			d.SkippedColumns = append(d.SkippedColumns, r.Column)
			continue
		}
		d.Features++
		if r.Drifted {
			d.DriftedFeatures++
			d.DriftedColumns = append(d.DriftedColumns, r.Column)
		}
	}
	if d.Features > 0 {
		d.Share = float64(d.DriftedFeatures) / float64(d.Features)
		d.Drifted = d.Share >= cfg.DatasetShare
	}
	return d
}
