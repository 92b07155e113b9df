// Package registry is mlpipe's model registry: numbered, immutable versions of
// each named model, with the aliases (candidate, production, previous) that
// rollouts move and the serving gateway follows.
//
// It keeps everything as small JSON documents in an artifact.Store, so the same
// registry works on a local directory and on S3:
//
//	registry/<name>/versions/<n>.json          one per registered version
//	registry/<name>/aliases/<seq>.json         every alias after change seq (zero-padded), and who made it
//
// Version numbers and alias changes are claimed with the store's create-only
// write, so concurrent registrations and promotions from many workers never
// share a number or lose an update. The alias documents are never overwritten:
// the highest seq is the current state and the whole sequence is the audit
// trail (History).
package registry
