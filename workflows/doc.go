// Package workflows holds mlpipe's deterministic workflow code: the
// TrainingPipeline DAG interpreter and its promotion gate. No I/O happens
// here; every effect is an activity in package activities.
package workflows
