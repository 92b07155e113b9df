// Package inferlog is the durable inference log: every prediction a gateway
// replica makes, and every feedback it receives, appended to the artifact
// store as Parquet batches partitioned by model and hour, and read back as
// DuckDB tables for the model monitor.
//
// Layout, Hive-style so DuckDB reads it with hive_partitioning:
//
//	inference/<model>/dt=YYYY-MM-DD/hour=HH/<replica>-<start>-<seq>.parquet
//	feedback/<model>/dt=YYYY-MM-DD/hour=HH/<replica>-<start>-<seq>.parquet
//
// The Writer takes rows off the request path through a bounded queue and
// flushes every FlushInterval or FlushRows rows, whichever comes first. Each
// batch is published whole (a temporary file hard-linked into place, or one
// S3 PUT), so a crash loses at most the rows not yet flushed and never
// leaves half a batch. A full queue drops rows and counts them rather than
// slow a request.
//
// Feedback is joined to predictions over the logs (Read, Window), by model,
// request ID and row, so a label joins whatever replica made the prediction,
// across restarts, and however late it comes.
//
// Failed requests (a variant's 5xx answers) are logged with their status
// and no predictions; files written before the status column read as
// answered. RolloutStats counts a rollout's epoch per variant over every
// replica's files, as the canary and shadow analyses read it.
package inferlog
