package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written as text ("72h", "90m", "3d") in specs
// and in the JSON workflow input, so both stay readable.
type Duration time.Duration

const day = 24 * time.Hour

// maxDays is the most whole days a time.Duration holds (about 292 years).
const maxDays = math.MaxInt64 / int64(day)

// goDuration is the form time.ParseDuration accepts; a string of that form
// it refuses is out of range, not misspelt.
var goDuration = regexp.MustCompile(`^([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+$`)

// errTooLong is a duration beyond time.Duration's range.
var errTooLong = fmt.Errorf("a duration can be at most %dd (about 292 years)", maxDays)

// ParseDuration accepts Go durations plus a day suffix ("3d", "1d12h"). A
// value beyond what a duration can hold (about 292 years) is an error that
// says so, rather than wrapping around to a negative one.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	orig := s // messages quote what was written, not the part left after "d"
	if s == "" {
		return 0, nil
	}
	form := func() error { return fmt.Errorf("duration %q: want a form like 72h, 90m or 3d", orig) }
	tooLong := func() error {
		return fmt.Errorf("duration %q is too long: %w", orig, errTooLong)
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return 0, form()
	}
	var total time.Duration
	if i := strings.Index(s, "d"); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange):
			return 0, tooLong()
		case err != nil || n < 0:
			return 0, form()
		case n > maxDays:
			return 0, tooLong()
		}
		total = time.Duration(n) * day
		s = s[i+1:]
	}
	if s != "" {
		if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
			return 0, form()
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			if goDuration.MatchString(s) {
				return 0, tooLong()
			}
			return 0, form()
		}
		if d > math.MaxInt64-total {
			return 0, tooLong()
		}
		total += d
	}
	if neg {
		total = -total
	}
	return Duration(total), nil
}

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// Text writes the duration as a spec would: whole days as "365d", others
// without zero tails ("72h", "1h30m", "1s").
func (d Duration) Text() string {
	if d != 0 && time.Duration(d)%day == 0 && time.Duration(d) >= 7*day {
		return fmt.Sprintf("%dd", time.Duration(d)/day)
	}
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads text ("72h") or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: want text like \"72h\", got %s", b)
		}
		*d = Duration(n)
		return nil
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalYAML reads text ("72h").
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// durationHint names the longest value a duration setting allows, after a
// duration too long for any setting.
func durationHint(path string, err error) string {
	if !errors.Is(err, errTooLong) {
		return ""
	}
	var most Duration
	_, key, _ := cutLast(path)
	switch {
	case path == "approval.timeout":
		most = MaxApprovalTimeout
	case path == "deployment.analysis_interval":
		most = MaxAnalysisInterval
	case path == "deployment.window", strings.HasPrefix(path, "deployment.steps"):
		most = MaxRollout
	case strings.HasPrefix(path, "stages.") && (key == "timeout" || key == "heartbeat"):
		most = MaxStageTimeout
	default:
		return ""
	}
	return fmt.Sprintf("; %s allows at most %s", path, most.Text())
}
