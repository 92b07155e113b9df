// Package spec reads a pipeline spec (YAML), resolves it into the
// self-contained form a TrainingPipeline workflow takes as input (JSON), and
// checks it: the stage DAG (cycles, dangling inputs, duplicate outputs,
// unknown stage kinds) and every config block beside it. Everything a spec
// can get wrong is reported here, before any work starts.
package spec
