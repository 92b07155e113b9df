package spec

import "time"

// Trigger says why a pipeline run started when no person started it: the
// alert whose action was retrain. It is set by the closed loop on the
// workflow input (JSON only; a YAML spec cannot carry it) and recorded in
// the registry's lineage of the version the run registers.
type Trigger struct {
	// Alert is the alert rule's name; Incident identifies its firing
	// (fingerprint and start time).
	Alert    string    `json:"alert"`
	Incident string    `json:"incident"`
	FiredAt  time.Time `json:"fired_at,omitzero"`
	Summary  string    `json:"summary,omitempty"`
	// Loop is the workflow ID of the loop that started the run.
	Loop string `json:"loop,omitempty"`
}
