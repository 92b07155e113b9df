package workflows

import "github.com/mlpipe/mlpipe/internal/artifact"

// reference is the profile of the data the pipeline ingested, the first
// dataset in stage order: the registry keeps it with the version as the
// reference the ModelMonitor measures drift against. Nil when no stage
// produced a profile (datasets from before profiles existed).
func (p *pipeline) reference() *artifact.Ref {
	for _, st := range p.graph.Order {
		for _, name := range st.Outputs {
			if o, ok := p.outputs[name]; ok && o.dataset != nil && o.dataset.Profile.URI != "" {
				r := o.dataset.Profile
				return &r
			}
		}
	}
	return nil
}
