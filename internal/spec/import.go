package spec

import "fmt"

// Import makes a model_training stage take a model already in the
// registry (one `mlpipe models import` registered, say) instead of
// training one: the stage checks the version against the feature set the
// pipeline built, and the evaluation, gate, approval and rollout then
// treat it as they treat a trained model.
type Import struct {
	// Version is the registry version of the pipeline's model to take.
	Version int `json:"version" yaml:"version"`
}

// checkImport refuses an import the stage cannot run: on a stage that is
// not model_training, or without a version. The stage's hyperparameters
// and search: are left unused (the stage's status says so), so a spec
// whose params: file carries a search still imports.
func (p *Pipeline) checkImport(st Stage, probs *problems) {
	if st.Import == nil {
		return
	}
	path := fmt.Sprintf("stages.%s.import", st.Name)
	switch {
	case st.KindOrName() != KindTraining:
		probs.add("%s: only a %s stage takes import (this stage is %s); move it to the training stage", path, KindTraining, st.KindOrName())
	case st.Import.Version < 1:
		probs.add("%s.version %d: give the registry version of %s to evaluate, 1 or more (mlpipe models ls %s lists them)", path, st.Import.Version, p.Model, p.Model)
	}
}

// ImportStage is the model_training stage that imports a registered
// version, if any.
func (p *Pipeline) ImportStage() (Stage, bool) {
	for _, st := range p.Stages {
		if st.Import != nil && st.KindOrName() == KindTraining {
			return st, true
		}
	}
	return Stage{}, false
}
