// Package activities holds mlpipe's Temporal activities: thin adapters that
// decode artifact references, call the libraries in internal/, heartbeat
// while they work, and return references. Datasets, feature sets, models
// and reports never travel through Temporal; only their references do.
package activities
