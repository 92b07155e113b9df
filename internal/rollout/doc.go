// Package rollout judges a canary or shadow rollout from the gateway's
// per-variant counters (routing.Stats): it compares the candidate with
// production on error rate, latency, feedback accuracy and F1, prediction
// drift (PSI) and, for a shadow, agreement, and returns a pass, fail or
// inconclusive verdict with one check per criterion.
//
// Everything here is pure and deterministic (no I/O, no clock, no map
// ranging) so the rollout workflows may call it directly; the results are
// JSON-safe (no NaN) because they travel as Temporal payloads.
package rollout
