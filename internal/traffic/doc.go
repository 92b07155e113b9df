// Package traffic replays rows against a running mlpipe gateway, for demos
// and tests: it posts one row per predict request at a steady rate, counts
// which variant and version answered, and later sends the rows' true labels
// back as feedback, as a production system would once outcomes are known.
// It sends requests only to the gateway it is given, and always stops after
// a bounded number of requests or a bounded time.
package traffic
