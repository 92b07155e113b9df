// Package spec reads a pipeline spec (YAML), resolves it into the
// self-contained form a TrainingPipeline workflow takes as input (JSON), and
// checks it: unknown keys at any depth (in YAML and in the JSON input
// alike), the stage DAG (cycles, dangling inputs, duplicate outputs,
// unknown stage kinds), every config block beside it, and values beyond
// documented bounds (bounds.go). Everything a spec can get wrong on its own
// is reported here, before any work starts; the columns it names are
// checked against its data's header by CheckHeader, as soon as the header
// can be read.
package spec
