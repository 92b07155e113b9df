package spec

import (
	"gopkg.in/yaml.v3"

	"github.com/mlpipe/mlpipe/internal/model"
	"github.com/mlpipe/mlpipe/internal/tune"
)

// markUnlimitedDepth sets max_depth to unlimited where the hyperparameters
// mapping hp writes `max_depth: null`: YAML's null never reaches
// model.Depth's decoder, which would leave the default depth instead.
func markUnlimitedDepth(hp *yaml.Node, c *model.Config) {
	if v := valueOfMapping(hp, "max_depth"); v != nil && isNull(v) {
		c.MaxDepth = model.DepthUnlimited
	}
}

// checkSearchKind refuses a searched parameter the model's kind does not
// have (n_estimators with an mlp, epochs with gradient_boosting): every
// trial would fail, or train a model the search did not mean. A search
// that also searches kind is left to the trials.
func (p *Pipeline) checkSearchKind(probs *problems, s tune.Search, strict bool) {
	if !strict {
		return
	}
	if _, kindSearched := s.ParamDistributions.Get("kind"); kindSearched {
		return
	}
	kind := p.Hyperparameters.Kind
	for _, param := range s.ParamDistributions {
		if param.Name == "hidden_units" && kind != model.KindGradientBoosting {
			continue // checkSearch says it for an mlp's own parameter
		}
		if ok, msg := model.KindHas(kind, param.Name); !ok {
			probs.add("search.param_distributions.%s: %s", param.Name, msg)
		}
	}
}
