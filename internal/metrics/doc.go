// Package metrics scores binary classifiers: accuracy, precision, recall,
// F1, ROC AUC and log-loss, with the same conventions as scikit-learn so
// numbers can be compared side by side.
package metrics
