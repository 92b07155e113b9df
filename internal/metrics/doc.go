// Package metrics evaluates binary classifiers: threshold metrics (accuracy,
// balanced accuracy, precision, recall, F1 and its macro/weighted averages),
// ranking metrics (ROC AUC, average precision), probability scores
// (log-loss, Brier), per-class rows, ROC and precision–recall curves, a
// threshold sweep, calibration bins, per-slice reports and bootstrap
// confidence intervals. It follows scikit-learn's conventions so numbers can
// be compared side by side, and every result encodes to JSON (undefined
// values as null).
package metrics
