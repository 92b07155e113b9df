package rollout

import (
	"fmt"
	"strings"
)

// Sources of an analysis's figures.
const (
	// SourceInferenceLog: the durable inference and feedback logs of every
	// gateway replica, read from the artifact store.
	SourceInferenceLog = "inference-log"
	// SourceGateway: the in-memory counters of the one gateway the rollout
	// steers, which see only its share of the traffic and start again
	// when it restarts.
	SourceGateway = "gateway"
)

// maxNamedReplicas bounds the replicas a summary names.
const maxNamedReplicas = 4

// Provenance is where an analysis's figures came from.
type Provenance struct {
	Source string
	// Replicas are the gateway replicas whose logs held the epoch's requests.
	Replicas []string
	// Warning says why the figures may not be the whole traffic.
	Warning string
}

// From records where the analysis's figures came from and says so at the
// end of its summary, so the CLI and the Web UI show it.
func (a Analysis) From(p Provenance) Analysis {
	a.Source, a.Replicas, a.Warning = p.Source, append([]string(nil), p.Replicas...), p.Warning
	var note string
	switch p.Source {
	case SourceInferenceLog:
		names := p.Replicas
		more := ""
		if len(names) > maxNamedReplicas {
			names, more = names[:maxNamedReplicas], fmt.Sprintf(", and %d more", len(p.Replicas)-maxNamedReplicas)
		}
		switch len(p.Replicas) {
		case 0:
			note = "from the inference log: no replica logged a request yet"
		case 1:
			note = "from the inference log of 1 replica: " + names[0]
		default:
			note = fmt.Sprintf("from the inference log of %d replicas: %s%s", len(p.Replicas), strings.Join(names, ", "), more)
		}
	case SourceGateway:
		note = "from the counters of the one gateway the rollout steers"
	default:
		return a
	}
	if p.Warning != "" {
		note += "; warning: " + p.Warning
	}
	a.Summary += " [" + note + "]"
	return a
}
