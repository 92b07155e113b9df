package registry

import "time"

// SetClock fixes the time recorded in new versions and alias changes.
func (r *Registry) SetClock(now func() time.Time) { r.now = now }
