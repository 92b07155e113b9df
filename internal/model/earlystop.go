package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// splitValidation holds out cfg.ValidationFraction of the rows, the same
// share of every class (stratified), chosen by a generator seeded from
// cfg.Seed so a resumed run holds out the same rows. Both index lists are
// ascending; without a fraction every row trains.
func splitValidation(y []float64, rows int, cfg Config) (train, val []int, err error) {
	all := make([]int, rows)
	for i := range all {
		all[i] = i
	}
	if cfg.ValidationFraction == 0 {
		return all, nil, nil
	}
	k := max(2, cfg.Classes)
	perClass := make([][]int, k)
	for _, i := range all {
		perClass[int(y[i])] = append(perClass[int(y[i])], i)
	}
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x7a11d))
	for _, idx := range perClass {
		r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		n := int(math.Round(cfg.ValidationFraction * float64(len(idx))))
		val = append(val, idx[:n]...)
		train = append(train, idx[n:]...)
	}
	if len(val) == 0 || len(train) == 0 {
		return nil, nil, fmt.Errorf("model config: validation_fraction %v of %d rows leaves %d validation and %d training rows; both need at least one",
			cfg.ValidationFraction, rows, len(val), len(train))
	}
	slices.Sort(train)
	slices.Sort(val)
	return train, val, nil
}

// logLoss is the class-weighted mean log-loss of m on the rows in idx.
func logLoss(m *Model, X, y []float64, cols int, idx []int, cw []float64) float64 {
	ls := m.layers()
	h0, h1 := make([]float64, widest(ls)), make([]float64, widest(ls))
	z := make([]float64, m.outputs())
	var sum, wsum float64
	for _, r := range idx {
		m.forward(ls, X[r*cols:(r+1)*cols], h0, h1, z)
		c := int(y[r])
		var l float64
		if len(z) == 1 {
			l = softplus(z[0]) - y[r]*z[0]
		} else {
			hi := slices.Max(z)
			var s float64
			for _, v := range z {
				s += math.Exp(v - hi)
			}
			l = hi + math.Log(s) - z[c]
		}
		sum += cw[c] * l
		wsum += cw[c]
	}
	return sum / wsum
}

// softplus is log(1+e^z) without overflow.
func softplus(z float64) float64 { return max(z, 0) + math.Log1p(math.Exp(-math.Abs(z))) }

// track records the epoch's validation loss, keeping the best weights.
func track(es *EarlyStopState, m *Model, loss float64) *EarlyStopState {
	if es == nil || loss < es.BestLoss {
		return &EarlyStopState{BestLoss: loss, BestEpoch: m.Epoch, BestParams: m.Clone().Params}
	}
	es.SinceBest++
	return es
}

// stopped reports whether patience has run out.
func stopped(es *EarlyStopState, cfg Config) bool {
	return cfg.Patience > 0 && es != nil && es.SinceBest >= cfg.Patience
}

// best returns m, or with early stopping on, the best epoch's weights.
func best(m *Model, es *EarlyStopState, cfg Config) *Model {
	if cfg.Patience == 0 || es == nil {
		return m
	}
	b := m.Clone()
	b.Params = (&Model{Params: es.BestParams}).Clone().Params
	b.Epoch = es.BestEpoch
	return b
}
