package workflows

import (
	"encoding/json"
	"errors"

	"go.temporal.io/sdk/temporal"
)

// A stand-alone rollout started from hand-written JSON with a misspelt key
// (here the shadow's approvers) is refused before it touches the gateway,
// naming the key, instead of running with the setting dropped.
func (s *rolloutSuite) TestAnUnknownKeyInTheJSONInputIsRefused() {
	b, err := json.Marshal(shadowInput())
	s.Require().NoError(err)
	var doc map[string]json.RawMessage
	s.Require().NoError(json.Unmarshal(b, &doc))
	doc["aprovers"] = json.RawMessage(`["alice"]`)
	b, err = json.Marshal(doc)
	s.Require().NoError(err)

	s.env.ExecuteWorkflow(ShadowRolloutName, json.RawMessage(b))
	s.True(s.env.IsWorkflowCompleted())
	werr := s.env.GetWorkflowError()
	s.Require().Error(werr)
	var app *temporal.ApplicationError
	s.Require().True(errors.As(werr, &app))
	s.Equal(ErrInvalidSpec, app.Type())
	s.Contains(app.Message(), `unknown key "aprovers" (did you mean "approvers"?)`)
	s.Empty(s.routes, "nothing was routed")
}
