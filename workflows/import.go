package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/spec"
)

// importModel is model_training for a stage with `import:`: instead of
// training, ImportModel checks the registered version against the feature
// set this pipeline built and hands it on as the trained model, so the
// evaluation, the gate, the approval and the rollout treat it as they
// treat a trained one. Only a spec with `import:` reaches it, so the
// commands of pipelines started without one are unchanged.
func (p *pipeline) importModel(ctx workflow.Context, st spec.Stage, fs activities.FeatureSet) error {
	in := activities.ImportModelInput{Model: p.in.Model, Version: st.Import.Version, Stage: st.Name, Features: fs}
	summary := fmt.Sprintf("import %s version %d and check it against feature set %s", p.in.Model, in.Version, fs.Version)
	var res activities.ImportModelResult
	if err := workflow.ExecuteActivity(p.activityCtx(ctx, st, TaskQueueCPU, 10*time.Minute, 0, summary), a.ImportModel, in).Get(ctx, &res); err != nil {
		return err
	}
	m := res.Model
	msg := importMessage(p.in.Model, in.Version, fs.Version, res)
	if p.in.Search != nil {
		msg += "; search: not run, the imported version is evaluated as it is"
	}
	p.finish(st.Name, res.Attempt, []artifact.Ref{m.Bundle}, nil, msg)
	p.result.ModelURI = m.Bundle.URI
	p.produce(st, output{model: &m})
	return nil
}

// importMessage is the stage's status line: which version stands in for
// the trained model, where it came from, and how its test rows are read.
func importMessage(model string, version int, featureSet string, res activities.ImportModelResult) string {
	msg := fmt.Sprintf("imported %s version %d", model, version)
	switch {
	case res.Source != "" && res.ImportedBy != "":
		msg += fmt.Sprintf(" (%s by %s)", res.Source, res.ImportedBy)
	case res.Source != "":
		msg += fmt.Sprintf(" (%s)", res.Source)
	}
	if res.Trees > 0 {
		msg += fmt.Sprintf(", %d trees", res.Trees)
	}
	msg += fmt.Sprintf("; it takes the features of feature set %s", featureSet)
	if res.OwnTransform {
		msg += ", and its own transform, fitted on other data, encodes the test split"
	}
	return msg
}
