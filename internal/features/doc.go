// Package features turns a validated frame into the dense matrix a model
// trains on. A Spec says, per column, how to impute, scale and encode; Split
// holds out a stratified test set; Fit learns every parameter from the
// training rows only; and the resulting Transform, a self-describing JSON
// document, is applied identically to test data, batch data and the raw JSON
// rows a serving endpoint receives.
package features
