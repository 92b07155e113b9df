package spec

import (
	"slices"
	"strings"

	"github.com/mlpipe/mlpipe/internal/metrics"
	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// MultiClass reports whether the spec trains a model over three or more
// classes: data.classes lists them, or hyperparameters.classes counts them
// and the data names them.
func (p *Pipeline) MultiClass() bool {
	if n := len(p.Data.Classes); n > 0 {
		return n >= 3
	}
	return p.Hyperparameters.Classes >= 3
}

// checkTarget checks data.positive, data.classes and hyperparameters.classes
// against one another, fills what follows from them (the class count, a
// two-class list's positive) and hands the label encoding to the feature
// stage.
func (p *Pipeline) checkTarget(probs *problems) {
	d, hp := &p.Data, &p.Hyperparameters
	p.checkClassList(probs)
	switch n := len(d.Classes); {
	case n >= 3:
		if d.Positive != "" {
			probs.add("data.positive %q applies to a binary target; data.classes lists %d classes and every one is scored, so remove positive", d.Positive, n)
		}
		if hp.Classes == 0 {
			hp.Classes = n
		} else if hp.Classes != n {
			probs.add("hyperparameters.classes is %d but data.classes lists %d; remove hyperparameters.classes or make them agree", hp.Classes, n)
		}
	case n == 2:
		if d.Positive == "" {
			d.Positive = d.Classes[1] // [negative, positive], as the bundle's labels are written
		} else if !slices.Contains(d.Classes, d.Positive) {
			probs.add("data.positive %q is not one of data.classes (%s)", d.Positive, strings.Join(d.Classes, ", "))
		}
		if hp.Classes > 2 {
			probs.add("hyperparameters.classes is %d but data.classes lists 2; remove hyperparameters.classes for a binary model", hp.Classes)
		}
	case n == 1:
		probs.add("data.classes lists one class (%s); a classifier needs at least 2: list them all, or remove data.classes", d.Classes[0])
	case hp.Classes >= 3:
		if d.Positive != "" {
			probs.add("data.positive %q applies to a binary target; hyperparameters.classes is %d, so remove positive (or hyperparameters.classes for a binary model)", d.Positive, hp.Classes)
		}
	case d.Positive == "":
		probs.add("data.positive: name the label value of the positive class (e.g. \"yes\"); for a target of three or more classes, list data.classes (e.g. [basic, plus, premium]) or set hyperparameters.classes to their number")
	}
	p.Features.Target, p.Features.Positive = d.Target, d.Positive
	p.Features.Classes, p.Features.NumClasses = d.Classes, 0
	if len(d.Classes) == 0 && hp.Classes >= 3 {
		p.Features.NumClasses = hp.Classes
	}
}

func (p *Pipeline) checkClassList(probs *problems) {
	seen := map[string]bool{}
	for i, c := range p.Data.Classes {
		switch {
		case strings.TrimSpace(c) == "":
			probs.add("data.classes[%d] is empty; name every class as the data spells it", i)
		case seen[c]:
			probs.add("data.classes lists %q twice", c)
		}
		seen[c] = true
	}
}

// checkSearch fills the search's defaults for this model, whose scoring is
// f1_macro with three or more classes, and refuses a scoring the model
// cannot have, naming the multi-class counterpart of a binary one as the
// gate rules do.
func (p *Pipeline) checkSearch(probs *problems, strict bool) {
	if p.Search == nil {
		return
	}
	s := p.Search.DefaultsFor(p.Hyperparameters.Classes)
	p.Search = &s
	if err := s.Validate(); err != nil {
		probs.add("search: %v", err)
		return
	}
	if err := tune.CheckScoring(s.Scoring, p.Hyperparameters.Classes); err != nil {
		probs.add("search.scoring: %v", err)
	}
	if _, ok := s.ParamDistributions.Get("hidden_units"); strict && ok && p.Hyperparameters.Kind != model.KindMLP {
		if _, kindSearched := s.ParamDistributions.Get("kind"); !kindSearched {
			probs.add("search.param_distributions.hidden_units is the width of an mlp's hidden layer, but hyperparameters.kind is %s; set kind: mlp", p.Hyperparameters.Kind)
		}
	}
	p.checkSearchKind(probs, s, strict)
}

// knownMetric reports whether a gate rule names a metric this spec's model
// has, and otherwise says which to use: a binary-only metric on a
// multi-class model names its multi-class counterpart.
func (p *Pipeline) knownMetric(block, m string, probs *problems) bool {
	names := metrics.Names()
	if p.MultiClass() {
		names = metrics.MultiClassNames()
		if slices.Contains(metrics.Names(), m) && !slices.Contains(names, m) {
			if eq := metrics.MultiClassEquivalent(m); eq != "" {
				probs.add("%s.%s: %s is a binary metric and this model has %d classes; use %s (or another of %s)", block, m, m, p.Hyperparameters.Classes, eq, strings.Join(names, ", "))
			} else {
				probs.add("%s.%s: %s is a binary metric with no multi-class counterpart; use one of %s", block, m, m, strings.Join(names, ", "))
			}
			return false
		}
	}
	if !slices.Contains(names, m) {
		probs.add("%s: unknown metric %q; use one of %s", block, m, strings.Join(names, ", "))
		return false
	}
	return true
}
