package inferlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mlpipe/mlpipe/internal/artifact"
)

// Prune deletes the log files (predictions and feedback, every model) of
// hours that ended before cutoff, and returns how many it deleted. Keys
// that do not name a partition are left alone.
func Prune(ctx context.Context, store artifact.Store, cutoff time.Time) (int, error) {
	var deleted int
	var errs []error
	for _, kind := range []string{KindInference, KindFeedback} {
		keys, err := store.List(ctx, kind+"/")
		if err != nil {
			errs = append(errs, fmt.Errorf("list %s: %w", kind, err))
			continue
		}
		for _, key := range keys {
			hour, ok := partitionHour(key)
			if !ok || !hour.Add(time.Hour).Before(cutoff) {
				continue
			}
			if err := store.Delete(ctx, key); err != nil {
				errs = append(errs, err)
				continue
			}
			deleted++
		}
	}
	return deleted, errors.Join(errs...)
}
