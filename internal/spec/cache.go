package spec

// Resume says that a run replaces a failed one (`mlpipe run --resume`):
// its stages take every result the stage cache holds for their inputs,
// training and evaluation included, so only the failed stage and those
// after it compute again.
type Resume struct {
	// WorkflowID and RunID name the failed run.
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id,omitempty"`
}

// Cache use of a stage, as StageCache decides it.
const (
	// CacheDefault: the spec leaves `cache:` out.
	CacheDefault = ""
	CacheOn      = "on"
	CacheOff     = "off"
)

// StageCache is the `cache:` setting that applies to a stage: its own,
// else the pipeline's, else CacheDefault.
func (p Pipeline) StageCache(st Stage) string {
	c := p.Cache
	if st.Cache != nil {
		c = st.Cache
	}
	switch {
	case c == nil:
		return CacheDefault
	case *c:
		return CacheOn
	}
	return CacheOff
}
