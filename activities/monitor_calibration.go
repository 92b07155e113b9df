package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/activity"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/perfest"
	"github.com/mlpipe/mlpipe/internal/registry"
)

// calibrationSuffix ends the calibration's key, beside the evaluation
// report's .json and .html: the registry version names the report, so
// the monitor finds the calibration without a new registry field.
const calibrationSuffix = ".calibration.json"

// storeCalibration fits the isotonic calibration on the test split's
// probabilities and labels and stores it at key+calibrationSuffix. Too
// few test rows leave the model uncalibrated, with the reason in the
// report; that is not an evaluation failure.
func (a *Activities) storeCalibration(ctx context.Context, doc *EvaluationReport, key string, data testData) error {
	y := make([]bool, len(data.test.Y))
	for i, v := range data.test.Y {
		y[i] = v > 0.5
	}
	f, err := perfest.NewCalibrationFile(doc.testProba, y, data.name)
	if err != nil {
		doc.CalibrationNote = "not calibrated: " + err.Error()
		activity.GetLogger(ctx).Warn("no calibration for the monitor's label-free estimate", "reason", err)
		return nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode the calibration: %w", err)
	}
	ref, err := a.Store.Put(ctx, key+calibrationSuffix, bytes.NewReader(b), "application/json")
	if err != nil {
		return fmt.Errorf("store the calibration: %w", err)
	}
	doc.Calibration = ref.URI
	return nil
}

// calibrationURI is where a version's calibration is, from its report's
// URI (the HTML page or the JSON); "" when the version names no report.
func calibrationURI(v registry.Version) string {
	u := v.ReportURI
	for _, ext := range []string{".html", ".json"} {
		if strings.HasSuffix(u, ext) {
			return strings.TrimSuffix(u, ext) + calibrationSuffix
		}
	}
	return ""
}

// readCalibration is the production version's calibration, or nil and
// why there is none. A version evaluated before calibrations were stored
// (or a multi-class one) has none and its estimate says "uncalibrated";
// an unreadable one is also a warning in the snapshot.
func readCalibration(ctx context.Context, v registry.Version) (cal *perfest.Calibrator, note, warning string) {
	uri := calibrationURI(v)
	if uri == "" {
		return nil, fmt.Sprintf("version %d names no evaluation report, so no calibration", v.Version), ""
	}
	b, err := artifact.ReadAll(ctx, artifact.Ref{URI: uri})
	if errors.Is(err, artifact.ErrNotFound) {
		return nil, fmt.Sprintf("version %d stored no calibration beside its evaluation report (evaluated before calibrations were stored, a multi-class model, or under %d test rows)", v.Version, perfest.MinCalibrationRows), ""
	}
	if err != nil {
		msg := fmt.Sprintf("the calibration %s is unreadable: %v", uri, err)
		return nil, msg, msg
	}
	f, err := perfest.DecodeCalibrationFile(b)
	if err != nil {
		msg := fmt.Sprintf("the calibration %s: %v", uri, err)
		return nil, msg, msg
	}
	return &f.Isotonic, fmt.Sprintf("%s, %s", f.FittedOn, uri), ""
}
