// Package artifact is mlpipe's artifact store: datasets, feature sets, models and
// reports live here, and Temporal workflows carry only the small Ref that points
// at them.
//
// A Store is opened from a location: a plain directory or file:// URI (the
// default is .mlpipe/artifacts), or s3://bucket/prefix for any S3-compatible
// server. Every write is atomic — a reader sees the whole artifact or nothing —
// and its sha256 and size are computed while the bytes stream through, so a Ref
// can always be verified when it is read back (see ReadAll and OpenRef).
// OpenSource reads external sources and describes them (size, modification
// time, ETag) for a dataset's lineage; a local file that changes while it is
// read fails with ErrSourceChanged rather than passing for the whole file.
package artifact
