package workflows

import (
	"time"

	"github.com/mlpipe/mlpipe/activities"
)

// ModelMonitorName is the registered name of ModelMonitor.
const ModelMonitorName = activities.MonitorWorkflowName

// MonitorScheduleID is the Schedule that runs a model's ModelMonitor.
func MonitorScheduleID(model string) string { return activities.MonitorScheduleID(model) }

// DefaultMonitorEvery is the Schedule's interval unless one is given.
const DefaultMonitorEvery = activities.DefaultMonitorEvery

// MonitorInput is ModelMonitor's input: the model, the interval and the
// gateway whose /metrics it reads.
type MonitorInput = activities.MonitorInput

// MonitorResult is what one ModelMonitor run found, and the answer to its
// status query while it runs.
type MonitorResult struct {
	Model        string    `json:"model"`
	ModelVersion int       `json:"model_version,omitempty"`
	WindowStart  time.Time `json:"window_start,omitzero"`
	WindowEnd    time.Time `json:"window_end"`
	// Verdict is monitor's verdict ("ok", "drift", "dataset drift", "data
	// quality issues", "no traffic"); Summary says it in a line.
	Verdict     string `json:"verdict"`
	Summary     string `json:"summary,omitempty"`
	Predictions int64  `json:"predictions"`
	SnapshotURI string `json:"snapshot_uri,omitempty"`
	PageURI     string `json:"page_uri,omitempty"`
}
