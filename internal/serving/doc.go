// Package serving is the HTTP gateway that `mlpipe serve` runs: it answers
// prediction requests with the version of each model that a registry alias
// (production by default) points at, follows the alias as rollouts move it,
// and splits traffic with a candidate version for canary and shadow rollouts.
//
// The gateway does not know how models are built; the caller injects a Loader
// that turns a registry.Version into a Predictor. Each refresh loads what
// changed and then swaps one immutable table atomically, so requests in flight
// during a promotion, rollback or routing change are answered by either the old
// or the new setup, never by neither.
//
// Routing (routing.Routing) is kept per model in the registry's artifact store
// under RoutingKey(model) and re-read on every refresh, so restarted gateways
// and replicas route alike. A canary answers Weight percent of requests; a
// shadow is sent Mirror percent of them on a bounded worker pool and only
// compared. Which requests is decided by hashing the sticky row field, else the
// X-Route-Key header, else the request ID. Recent predictions are kept in
// memory (bounded) so feedback can be scored per variant for the canary's
// analysis; with Options.InferenceLog every predicted row (served and
// shadow) and every feedback is also appended, off the request path, to the
// durable inference log in the artifact store (package inferlog), where the
// monitor joins labels to predictions across replicas, restarts and weeks.
//
// A Predictor that lists its inputs (InputLister, as a model bundle does)
// is answered only when it can answer honestly: a row that leaves out one
// of its columns, a key that no served version reads (unless the request
// says "strict": false, or parameters.strict false in /v2), and a number
// that is not finite are each a 400 whose JSON body names the row, the
// column and what to send. An explicit null is an unknown value, which
// the model imputes as it was trained to. Rows are bounded per request
// (Options.MaxRowsPerRequest, 413) and across requests
// (Options.MaxRowsInFlight, 503 with Retry-After), which bounds memory;
// /v1 bodies are decoded a row at a time so a refusal comes before the
// rest is read. Every route answers a method it does not take with a 405
// and an Allow header.
//
// Endpoints:
//
//	POST /v1/models/{name}:predict        {"instances": [{col: value, ...}, ...]}
//	POST /v1/models/{name}/feedback       routing.Feedback (+ optional "time") or a list of them
//	GET  /v1/models                       served models and versions
//	GET  /v1/models/{name}                the served version and its registry metadata
//	POST /v2/models/{name}/infer          Open Inference Protocol (KServe v2), JSON
//	GET  /v2/models/{name}                model metadata (v2)
//	GET  /v2/health/ready, /v2/health/live
//	GET  /admin/models/{name}/routing     bearer token (Options.AdminToken)
//	PUT  /admin/models/{name}/routing     routing.Routing; the gateway sets Epoch, UpdatedAt
//	GET  /admin/models/{name}/stats       routing.Stats of the current epoch
//	POST /admin/reload                    refresh from the registry now
//	GET  /healthz, /readyz                liveness; readiness after the first load
//	GET  /metrics                         Prometheus text format
package serving
