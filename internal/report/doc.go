// Package report renders a model evaluation as one self-contained HTML page
// for the reviewer who decides whether to promote a model.
//
// The page needs nothing beside itself: styles are inline and every plot is
// a PNG drawn with gonum/plot and embedded as a data: URI, so the file can be
// stored as a single artifact, attached to an approval and opened offline.
// The package has its own input types so it depends on no other mlpipe
// package; callers copy their evaluation results into a Page.
package report
