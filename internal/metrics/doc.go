// Package metrics evaluates binary and multi-class classifiers: threshold
// metrics (accuracy, balanced accuracy, precision, recall, F1 and their
// macro/weighted averages), ranking metrics (ROC AUC, average precision;
// one-vs-rest ROC AUC for K classes), probability scores (log-loss, Brier),
// per-class rows, the confusion matrix, ROC and precision–recall curves, a
// threshold sweep, calibration bins, per-slice reports and bootstrap
// confidence intervals. It follows scikit-learn's conventions so numbers can
// be compared side by side, and every result encodes to JSON (undefined
// values as null).
package metrics
