package tune

import (
	"fmt"
	"slices"
)

// Halving configures successive halving (the synchronous form of ASHA and
// of one Hyperband bracket): every trial trains for MinEpochs, the best
// 1/Eta go on for Eta times more epochs, and so on up to MaxEpochs.
type Halving struct {
	MinEpochs int `json:"min_epochs" yaml:"min_epochs"`
	MaxEpochs int `json:"max_epochs" yaml:"max_epochs"`
	Eta       int `json:"eta" yaml:"eta"`
}

// Validate reports the first field out of range.
func (h Halving) Validate() error {
	switch {
	case h.MinEpochs < 1:
		return fmt.Errorf("tune: halving.min_epochs is %d; it must be >= 1", h.MinEpochs)
	case h.MaxEpochs < h.MinEpochs:
		return fmt.Errorf("tune: halving.max_epochs is %d; it must be >= min_epochs (%d)", h.MaxEpochs, h.MinEpochs)
	case h.Eta < 2:
		return fmt.Errorf("tune: halving.eta is %d; it must be >= 2 (3 is usual)", h.Eta)
	}
	return nil
}

// Rung is one round of successive halving: Survivors trials each train for
// Epochs epochs.
type Rung struct {
	Epochs    int `json:"epochs"`
	Survivors int `json:"survivors"`
}

// Plan lays out the rungs for nTrials trials, by this rule:
//   - rung 0 runs all nTrials for MinEpochs;
//   - each next rung keeps max(1, floor(previous survivors / Eta)) trials
//     and trains them for min(previous epochs × Eta, MaxEpochs);
//   - a rung left with a single trial trains it for MaxEpochs straight away,
//     since there is nothing left to compare;
//   - the plan ends with the first rung at MaxEpochs.
//
// So (27 trials, 1..27 epochs, eta 3) gives 27@1, 9@3, 3@9, 1@27, and one
// trial, or MinEpochs == MaxEpochs, gives a single rung at MaxEpochs.
func (h Halving) Plan(nTrials int) ([]Rung, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	if nTrials < 1 {
		return nil, fmt.Errorf("tune: successive halving needs at least one trial, got %d", nTrials)
	}
	first := Rung{Epochs: h.MinEpochs, Survivors: nTrials}
	if nTrials == 1 {
		first.Epochs = h.MaxEpochs
	}
	plan := []Rung{first}
	for last := first; last.Epochs < h.MaxEpochs; {
		next := Rung{
			Epochs:    min(last.Epochs*h.Eta, h.MaxEpochs),
			Survivors: max(1, last.Survivors/h.Eta),
		}
		if next.Survivors == 1 {
			next.Epochs = h.MaxEpochs
		}
		plan = append(plan, next)
		last = next
	}
	return plan, nil
}

// Promote decides, after a rung, which trials go on to the next one: it
// ranks results (see Rank) and keeps the first `survivors` trials with
// status ok; the other ok trials are to be stopped. Failed and already
// stopped trials are in neither list, as they are not running. keep is best
// first; stop is in ascending TrialID order. Ties at the cut go to the lower
// TrialID, so the choice is deterministic.
func Promote(results []TrialResult, survivors int, scoring string) (keep, stop []int) {
	for _, r := range Rank(results, scoring) {
		if r.Status != StatusOK {
			continue
		}
		if len(keep) < survivors {
			keep = append(keep, r.TrialID)
		} else {
			stop = append(stop, r.TrialID)
		}
	}
	slices.Sort(stop)
	return keep, stop
}
