// Package expect validates a frame before it is used for training: the
// Great Expectations vocabulary users already write (not_be_null, between,
// in_set, unique, ...) plus mlpipe's own table checks for schema,
// completeness and freshness. It returns a Report whose Summary is the
// message a pipeline user sees when validation stops a run.
package expect
