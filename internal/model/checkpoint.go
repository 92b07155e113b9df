package model

// Checkpoint is everything needed to resume training exactly where it
// stopped: resuming from a checkpoint written after epoch k gives the same
// model, bit for bit, as an uninterrupted run with the same Config.
type Checkpoint struct {
	Model Model `json:"model"`
	// Epoch is the number of completed epochs; training resumes at this
	// zero-based epoch index.
	Epoch int `json:"epoch"`
	// Seed is Config.Seed of the run. Each epoch's shuffle is drawn from
	// (Seed, epoch index), so no RNG position needs saving.
	Seed      int64          `json:"seed"`
	Optimizer OptimizerState `json:"optimizer"`
	// EarlyStopping is set when Config.ValidationFraction is; nil otherwise.
	EarlyStopping *EarlyStopState `json:"early_stopping,omitempty"`
}

// OptimizerState is the optimizer's memory between steps. First and Second
// hold one slice per entry of Model.Params, in the same order.
type OptimizerState struct {
	Name string `json:"name"`
	// Step counts updates applied so far (Adam's bias correction uses it);
	// with lbfgs, the iterations done.
	Step int `json:"step"`
	// First is the momentum velocity or Adam's first moment; empty for sgd.
	First [][]float64 `json:"first,omitempty"`
	// Second is Adam's second moment; empty otherwise.
	Second [][]float64 `json:"second,omitempty"`
	// LBFGS is set for optimizer lbfgs once its first objective is known.
	LBFGS *LBFGSState `json:"lbfgs,omitempty"`
}

// LBFGSState is what L-BFGS carries from one iteration to the next. Vectors
// are flat: the entries of Model.Params concatenated in order.
type LBFGSState struct {
	// S and Y are the last (at most lbfgsMemory) steps x_{k+1} − x_k and
	// gradient changes g_{k+1} − g_k, oldest first.
	S [][]float64 `json:"s"`
	Y [][]float64 `json:"y"`
	// Loss and Grad are the objective and its gradient at the model's
	// current parameters, so a resumed run need not recompute them.
	Loss float64   `json:"loss"`
	Grad []float64 `json:"grad"`
	// Evaluations counts objective-and-gradient evaluations (full passes
	// over the training rows), line-search trials included.
	Evaluations int `json:"evaluations"`
	// Converged is the reason training stopped before its last epoch
	// ("" while it runs), so a resumed run stops where the original did.
	Converged string `json:"converged,omitempty"`
}

func (s OptimizerState) clone() OptimizerState {
	c := s
	c.First = cloneSlices(s.First)
	c.Second = cloneSlices(s.Second)
	if s.LBFGS != nil {
		l := *s.LBFGS
		l.S, l.Y = cloneSlices(l.S), cloneSlices(l.Y)
		l.Grad = append([]float64(nil), l.Grad...)
		c.LBFGS = &l
	}
	return c
}

func cloneSlices(in [][]float64) [][]float64 {
	if in == nil {
		return nil
	}
	out := make([][]float64, len(in))
	for i, s := range in {
		out[i] = append([]float64{}, s...)
	}
	return out
}

// EarlyStopState is what early stopping remembers between epochs, carried
// in the checkpoint so a resumed run stops at the same epoch with the same
// best weights.
type EarlyStopState struct {
	BestLoss  float64 `json:"best_loss"`
	BestEpoch int     `json:"best_epoch"`
	// BestParams are the parameters after BestEpoch.
	BestParams []Param `json:"best_params"`
	// SinceBest counts epochs finished after BestEpoch without a lower loss.
	SinceBest int `json:"since_best"`
}

func (e *EarlyStopState) clone() *EarlyStopState {
	if e == nil {
		return nil
	}
	c := *e
	c.BestParams = (&Model{Params: e.BestParams}).Clone().Params
	return &c
}
