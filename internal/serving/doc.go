// Package serving is the HTTP gateway that `mlpipe serve` runs: it answers
// prediction requests with the version of each model that a registry alias
// (production by default) points at, and follows the alias as rollouts move it.
//
// The gateway does not know how models are built; the caller injects a Loader
// that turns a registry.Version into a Predictor. Each refresh loads what
// changed and then swaps one immutable routing table atomically, so requests
// in flight during a promotion or rollback are answered by either the old or
// the new version, never by neither.
//
// Endpoints:
//
//	POST /v1/models/{name}:predict  {"instances": [{col: value, ...}, ...]}
//	GET  /v1/models                 served models and versions
//	GET  /v1/models/{name}          the served version and its registry metadata
//	POST /admin/reload              refresh from the registry now
//	GET  /healthz, /readyz          liveness; readiness after the first load
//	GET  /metrics                   Prometheus text format
package serving
