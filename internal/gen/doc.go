// Package gen writes realistic synthetic datasets for demos, tests and
// benchmarks. Output is deterministic for a seed, and every timestamp is
// relative to a caller-supplied now, so generated data stays fresh and
// reproducible.
package gen
