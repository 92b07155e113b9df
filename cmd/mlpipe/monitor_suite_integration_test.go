package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/monitor"
)

// monExpectation is the result of the suite's expectation at where.
func monExpectation(t *testing.T, snap monitor.Snapshot, where string) monitor.ExpectationResult {
	t.Helper()
	for _, r := range snap.Quality.Expectations {
		if r.Where == where {
			return r
		}
	}
	require.Failf(t, "no such expectation", "%s is not in the snapshot: %+v", where, snap.Quality.Expectations)
	return monitor.ExpectationResult{}
}

// monCalibrationFiles lists the calibrations the evaluations stored.
func monCalibrationFiles(t *testing.T, s *stack) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(s.tmp, "artifacts", "reports"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".calibration.json") {
			out = append(out, p)
		}
		return err
	})
	require.NoError(t, err)
	return out
}

// The monitor runs the production version's expectation suite (from the
// spec stored with it) on each window's served rows, and estimates F1
// without labels after the calibration the evaluation fitted on the test
// split. Ages beyond the suite's 0-150 fail its expectation and count as
// a data-quality violation; a version whose calibration is gone says
// "uncalibrated" instead of failing.
func TestMonitorRunsTheSuiteAndCalibratesOnTheRealStack(t *testing.T) {
	s := startStack(t)
	s.deployFirstVersion(t)
	out, code := s.mlpipe("monitor", "start", monModel, "--every", "24h")
	require.Equal(t, 0, code, out)
	cals := monCalibrationFiles(t, s)
	require.Len(t, cals, 1, "the evaluation stored its calibration beside the report")

	s.monSendTraffic(t, 600)
	out, snap := s.monRun(t)
	assert.Equal(t, monitor.VerdictOK, snap.Verdict, out)
	assert.Empty(t, snap.Quality.Violations)
	age := monExpectation(t, snap, "expectations[3]")
	assert.Equal(t, "expect_column_values_to_be_between", age.Expectation)
	assert.True(t, age.Success, "%+v", age)
	assert.True(t, monExpectation(t, snap, "expectations[4]").Success, "status in its set")
	assert.Contains(t, monExpectation(t, snap, "expectations[2]").Skipped, "the same row may be scored more than once")
	assert.Contains(t, monExpectation(t, snap, "expectations[5]").Skipped, `column "churned" is the label`)
	assert.Contains(t, monExpectation(t, snap, "expectations[6]").Skipped, "row count is its traffic")
	assert.Contains(t, snap.Quality.SuiteNote, "suite from file://")
	assert.Contains(t, snap.Performance.Calibration, "isotonic, fitted on", snap.Performance.Calibration)
	assert.Contains(t, snap.Performance.Calibration, ".calibration.json")
	require.NotEmpty(t, snap.Performance.Estimated)
	assert.Contains(t, snap.Performance.Estimated[0].Method, "isotonic calibration")
	// The error rate is the window's, from the logged requests.
	require.NotEmpty(t, snap.Performance.Serving)
	sv := snap.Performance.Serving[0]
	assert.Equal(t, monitor.ErrorsFromLog, sv.ErrorSource)
	assert.Positive(t, sv.Requests)
	assert.Zero(t, sv.ErrorRate)

	s.monSendTraffic(t, 600, "mean_shift:12:age")
	out, snap = s.monRun(t)
	assert.NotEqual(t, monitor.VerdictOK, snap.Verdict, out)
	age = monExpectation(t, snap, "expectations[3]")
	assert.False(t, age.Success, "%+v", age)
	require.NotNil(t, age.Unexpected)
	assert.Greater(t, *age.Unexpected, int64(300), "most shifted ages are above 150")
	assert.Contains(t, strings.Join(snap.Quality.Violations, "\n"),
		"expectations[3] (expect_column_values_to_be_between on age) failed on the window")
	out, code = s.mlpipe("monitor", "report", monModel)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "quality  expectations[3] (expect_column_values_to_be_between on age) failed on the window")

	// A version evaluated before calibrations were stored has none.
	require.NoError(t, os.Remove(cals[0]))
	s.monSendTraffic(t, 300)
	out, snap = s.monRun(t)
	assert.Equal(t, monitor.VerdictOK, snap.Verdict, out)
	assert.Contains(t, snap.Performance.Calibration, "uncalibrated: version 1 stored no calibration beside its evaluation report")
	assert.Empty(t, snap.Warnings, "a missing calibration is not a warning")
}
