package stack

import (
	"context"
	"fmt"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/mlpipe/mlpipe/activities"
)

// Trial is one TrainTrial activity as the history records it.
type Trial struct {
	Scheduled, Started, Closed time.Time
	// Fit is the seconds model.Train took inside the activity, as the
	// activity reports it.
	Fit    float64
	Status string // completed, failed, canceled, timed_out
}

// Span is the activity's time on the worker, started to closed.
func (t Trial) Span() time.Duration { return t.Closed.Sub(t.Started) }

func (r *Run) readHistory(ctx context.Context, c client.Client) error {
	byID := map[int64]*Trial{} // lookups only
	var order []int64
	it := c.GetWorkflowHistory(ctx, r.ID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	dc := converter.GetDefaultDataConverter()
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return fmt.Errorf("history of %s: %w", r.ID, err)
		}
		at := e.GetEventTime().AsTime()
		if r.Started.IsZero() {
			r.Started = at
		}
		r.Closed = at
		switch {
		case e.GetActivityTaskScheduledEventAttributes() != nil:
			a := e.GetActivityTaskScheduledEventAttributes()
			if a.GetActivityType().GetName() == "TrainTrial" {
				byID[e.GetEventId()] = &Trial{Scheduled: at}
				order = append(order, e.GetEventId())
			}
		case e.GetActivityTaskStartedEventAttributes() != nil:
			if t := byID[e.GetActivityTaskStartedEventAttributes().GetScheduledEventId()]; t != nil {
				t.Started = at
			}
		case e.GetActivityTaskCompletedEventAttributes() != nil:
			a := e.GetActivityTaskCompletedEventAttributes()
			if t := byID[a.GetScheduledEventId()]; t != nil {
				t.Closed, t.Status = at, "completed"
				var res activities.TrainTrialResult
				if err := dc.FromPayloads(a.GetResult(), &res); err != nil {
					return fmt.Errorf("history of %s: event %d: %w", r.ID, e.GetEventId(), err)
				}
				t.Fit = res.Seconds
			}
		case e.GetActivityTaskFailedEventAttributes() != nil:
			if t := byID[e.GetActivityTaskFailedEventAttributes().GetScheduledEventId()]; t != nil {
				t.Closed, t.Status = at, "failed"
			}
		case e.GetActivityTaskCanceledEventAttributes() != nil:
			if t := byID[e.GetActivityTaskCanceledEventAttributes().GetScheduledEventId()]; t != nil {
				t.Closed, t.Status = at, "canceled"
			}
		case e.GetActivityTaskTimedOutEventAttributes() != nil:
			if t := byID[e.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()]; t != nil {
				t.Closed, t.Status = at, "timed_out"
			}
		}
	}
	for _, id := range order {
		r.Trials = append(r.Trials, *byID[id])
	}
	return nil
}

// Stats splits the workers' time (wall × slots) into what trials spent
// training and what went elsewhere, per trial:
//
//	wall × slots − Σ fit = the time the slots did not train
//
// Fit is model.Train inside the activity; the span is the history's
// ActivityTaskStarted → Completed. A worker with prefetch holds more
// activities than slots, so a span also holds the wait for a slot.
type Stats struct {
	Trials int
	Wall   time.Duration
	Slots  int
	// SumFit and SumSpan are seconds summed over trials.
	SumFit, SumSpan float64
	// Efficiency is SumFit / (Wall × Slots).
	Efficiency float64
	// Overhead is (Wall × Slots − SumFit) / Trials: the slot time per
	// trial that was not training. Held is (SumSpan − SumFit) / Trials:
	// time per trial inside the activity but not fitting (reading and
	// cutting the fold, waiting for a slot, scoring, reporting).
	Overhead, Held time.Duration
	// Refill is measured directly from the timestamps: when a trial ends,
	// how long until the worker starts its next one (the k-th start after
	// the first held pairs with the k-th completion, held being the
	// activities the worker holds at once: slots plus prefetch). Mean and
	// 95th percentile.
	Refill, Refill95 time.Duration
	// Lead is from the workflow's start to the first trial's start, Trail
	// from the last trial's end to the workflow's end (server times).
	Lead, Trail time.Duration
}

// Stats summarises the run for a worker of slots slots holding up to held
// activities at once.
func (r Run) Stats(slots, held int) Stats {
	s := Stats{Trials: len(r.Trials), Wall: r.Wall, Slots: slots}
	if s.Trials == 0 {
		return s
	}
	var starts, ends []time.Time
	for _, t := range r.Trials {
		s.SumFit += t.Fit
		s.SumSpan += t.Span().Seconds()
		starts, ends = append(starts, t.Started), append(ends, t.Closed)
	}
	slices.SortFunc(starts, time.Time.Compare)
	slices.SortFunc(ends, time.Time.Compare)
	capacity := r.Wall.Seconds() * float64(slots)
	n := float64(s.Trials)
	s.Efficiency = s.SumFit / capacity
	s.Overhead = seconds((capacity - s.SumFit) / n)
	s.Held = seconds((s.SumSpan - s.SumFit) / n)
	var gaps []time.Duration
	for k := 0; k+held < len(starts); k++ {
		gaps = append(gaps, starts[k+held].Sub(ends[k]))
	}
	if len(gaps) > 0 {
		var sum time.Duration
		for _, g := range gaps {
			sum += g
		}
		s.Refill = sum / time.Duration(len(gaps))
		slices.Sort(gaps)
		s.Refill95 = gaps[min(len(gaps)-1, len(gaps)*95/100)]
	}
	s.Lead, s.Trail = starts[0].Sub(r.Started), r.Closed.Sub(ends[len(ends)-1])
	return s
}

func seconds(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }
