// Package registry is mlpipe's model registry: numbered, immutable versions of
// each named model, with the aliases (candidate, production, previous) that
// rollouts move and the serving gateway follows.
//
// It keeps everything as small JSON documents in an artifact.Store, so the same
// registry works on a local directory and on S3:
//
//	registry/<name>/versions/<n>.json   one per registered version
//	registry/<name>/aliases/<alias>.json which version an alias points at
//
// Version numbers are claimed with the store's create-only write, so concurrent
// registrations from many workers never share or lose a number.
package registry
