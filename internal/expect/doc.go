// Package expect validates a table before it is used for training: the
// Great Expectations vocabulary users already write (not_be_null, between,
// in_set, unique, match_regex, column aggregates, ...) with mostly,
// row_condition and severity, plus mlpipe's own table checks for schema,
// completeness and freshness, and a PSI check against a reference profile.
//
// A suite is compiled to SQL over a relation of the embedded DuckDB engine
// (internal/dataplane): every aggregate in one scan (uniqueness as a
// distinct count, with a grouped query only when values repeat, to count
// every repeated row), and samples of unexpected values only for the
// expectations that failed. Distinct values and keys (uniqueness, the
// proportion of unique values, distinct values in a set) that may not fit
// the engine's memory_limit are written once, in hash partitions, to
// temporary Parquet files and counted one partition at a time, to the same
// results (keyset.go). A suite that does not fit the data (a missing
// column, a type mismatch, a row_condition that does not bind) is refused
// before any row is read. The Report is in Great Expectations' result
// format; its Summary is the message a pipeline user sees when validation
// stops a run, and DataDoc renders it as a self-contained HTML page.
package expect
