package spec

import (
	"fmt"
	"slices"
	"strings"
)

// Producer describes where a stage input comes from.
type Producer struct {
	// Stage is the producing stage's name; empty for an external source.
	Stage string
	// Kind is the producing stage's kind, or "source" for an external one.
	Kind string
}

// KindSource marks an input that no stage produces.
const KindSource = "source"

// Graph is a checked DAG: stages in dependency order and, for every input
// name, what produces it.
type Graph struct {
	Order     []Stage
	Producers map[string]Producer
}

// Deps lists the names of the stages a stage waits for, in order.
func (g Graph) Deps(st Stage) []string {
	var out []string
	for _, in := range st.Inputs {
		if p, ok := g.Producers[in]; ok && p.Stage != "" && !slices.Contains(out, p.Stage) {
			out = append(out, p.Stage)
		}
	}
	return out
}

// Plan checks the stage DAG and orders it. Every problem found is reported
// in one error, each line naming the stage and what to fix.
func (p *Pipeline) Plan() (Graph, error) {
	var probs problems
	g := Graph{Producers: map[string]Producer{}}
	names := map[string]bool{}
	for _, st := range p.Stages {
		if st.Name == "" {
			probs.add("a stage has no name")
			continue
		}
		if names[st.Name] {
			probs.add("stage %s is listed twice", st.Name)
		}
		names[st.Name] = true
		if !slices.Contains(Kinds, st.KindOrName()) {
			probs.add("stage %s: unknown stage kind %q; name the stage after one of %s or set `kind:` to one", st.Name, st.KindOrName(), strings.Join(Kinds, ", "))
		}
		if len(st.Outputs) == 0 && st.KindOrName() != KindDeployment {
			probs.add("stage %s: lists no outputs", st.Name)
		}
		for _, out := range st.Outputs {
			if prev, dup := g.Producers[out]; dup {
				probs.add("output %s is produced by both stage %s and stage %s; rename one", out, prev.Stage, st.Name)
				continue
			}
			g.Producers[out] = Producer{Stage: st.Name, Kind: st.KindOrName()}
		}
	}
	if len(p.Stages) == 0 {
		probs.add("stages: the spec has no stages; copy the seed's six-stage DAG")
	}
	hasFeatures := false
	for _, st := range p.Stages {
		hasFeatures = hasFeatures || st.KindOrName() == KindFeatures
	}
	for _, st := range p.Stages {
		for _, in := range st.Inputs {
			if _, ok := g.Producers[in]; ok {
				continue
			}
			switch {
			case in == SourceRaw && p.Data.Source != "":
				g.Producers[in] = Producer{Kind: KindSource}
			case in == SourceRaw:
				probs.add("stage %s: input %s needs data.source (a file://, s3:// or https:// CSV)", st.Name, in)
			case in == SourceTest && (p.Data.TestSource != "" || hasFeatures):
				g.Producers[in] = Producer{Kind: KindSource}
			default:
				probs.add("stage %s: input %s is produced by no stage and is not an external source (%s, %s); fix the name or add the stage that outputs it", st.Name, in, SourceRaw, SourceTest)
			}
		}
	}
	if probs.empty() {
		order, cycle := topoSort(p.Stages, g)
		if cycle != nil {
			probs.add("stages form a cycle: %s; a stage cannot depend on its own output", strings.Join(cycle, " -> "))
		}
		g.Order = order
	}
	if probs.empty() {
		p.checkRoles(g, &probs)
	}
	return g, probs.err("stages")
}

// checkRoles makes sure every stage gets the kinds of input its work needs.
func (p *Pipeline) checkRoles(g Graph, probs *problems) {
	for _, st := range p.Stages {
		kinds := map[string]bool{}
		for _, in := range st.Inputs {
			kinds[g.Producers[in].Kind] = true
		}
		need := func(what string, ok bool) {
			if !ok {
				probs.add("stage %s (%s): needs %s among its inputs %v", st.Name, st.KindOrName(), what, st.Inputs)
			}
		}
		switch st.KindOrName() {
		case KindIngestion:
			need("an external source such as "+SourceRaw, kinds[KindSource])
		case KindValidation, KindFeatures:
			need("a dataset (the output of data_ingestion or data_validation)", kinds[KindIngestion] || kinds[KindValidation])
		case KindTraining:
			need("a feature set (the output of feature_engineering)", kinds[KindFeatures])
		case KindEvaluation:
			need("a trained model (the output of model_training)", kinds[KindTraining])
		case KindDeployment:
			need("a trained model (the output of model_training)", kinds[KindTraining])
			need("an evaluation report (the output of model_evaluation)", kinds[KindEvaluation])
		}
	}
}

// topoSort orders stages so each comes after its producers, keeping the
// spec's order among independent stages. It returns a cycle when there is one.
func topoSort(stages Stages, g Graph) ([]Stage, []string) {
	done := map[string]bool{}
	var order []Stage
	for len(order) < len(stages) {
		progressed := false
		for _, st := range stages {
			if done[st.Name] {
				continue
			}
			ready := true
			for _, d := range g.Deps(st) {
				ready = ready && done[d]
			}
			if ready {
				done[st.Name] = true
				order = append(order, st)
				progressed = true
			}
		}
		if !progressed {
			return nil, findCycle(stages, g, done)
		}
	}
	return order, nil
}

func findCycle(stages Stages, g Graph, done map[string]bool) []string {
	var path []string
	onPath := map[string]int{}
	var visit func(name string) []string
	visit = func(name string) []string {
		if i, ok := onPath[name]; ok {
			return append(slices.Clone(path[i:]), name)
		}
		if done[name] {
			return nil
		}
		onPath[name] = len(path)
		path = append(path, name)
		st, _ := stages.ByName(name)
		for _, d := range g.Deps(st) {
			if c := visit(d); c != nil {
				return c
			}
		}
		path = path[:len(path)-1]
		delete(onPath, name)
		done[name] = true
		return nil
	}
	for _, st := range stages {
		if c := visit(st.Name); c != nil {
			slices.Reverse(c)
			return c
		}
	}
	return []string{"(unknown)"}
}

// problems collects every fault found, so a user fixes them in one pass.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }
func (p problems) empty() bool                     { return len(p) == 0 }
func (p problems) err(what string) error {
	if len(p) == 0 {
		return nil
	}
	if len(p) == 1 {
		return &Error{Msg: p[0]}
	}
	return &Error{Msg: fmt.Sprintf("%s: %d problems:\n  - %s", what, len(p), strings.Join(p, "\n  - "))}
}

// Error is a spec that cannot run; its message says what to fix.
type Error struct{ Msg string }

func (e *Error) Error() string { return "invalid pipeline spec: " + e.Msg }
