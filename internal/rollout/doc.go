// Package rollout judges a canary or shadow rollout from per-variant
// counters (routing.Stats): it compares the candidate with production on
// error rate, latency, feedback accuracy and F1, prediction drift (PSI)
// and, for a shadow, agreement, and returns a pass, fail or inconclusive
// verdict with one check per criterion. The counters come from the durable
// inference log of every gateway replica (inferlog.RolloutStats) or, for a
// gateway run without the log, from that one gateway's memory; an analysis
// records which (Provenance).
//
// Everything here is pure and deterministic (no I/O, no clock, no map
// ranging) so the rollout workflows may call it directly; the results are
// JSON-safe (no NaN) because they travel as Temporal payloads.
package rollout
