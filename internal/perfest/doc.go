// Package perfest measures a model's performance in production: realised
// performance on joined labels, with 95% intervals; performance estimated
// before labels arrive, from the model's calibrated probabilities; and the
// business outcome per variant.
//
// Intervals, and why each:
//   - Accuracy and conversion rates: Wilson score interval, which keeps its
//     coverage near 0 and 1 where the Wald interval collapses.
//   - Binary F1: delta method on the multinomial confusion matrix,
//     Var(F1) = 4·a·b·(a+b)/(2a+b)⁴ with a = TP and b = FP+FN; F1 is a
//     smooth function of counts, so this is what a bootstrap would find at
//     the sizes a monitor sees, without its cost.
//   - ROC AUC: DeLong's variance (DeLong, DeLong & Clarke-Pearson, 1988),
//     computed from midranks in one sort (Sun & Xu, 2014).
//   - Multi-class macro F1: a percentile bootstrap with a fixed seed, which
//     resamples the confusion matrix as a multinomial: the same
//     distribution as resampling rows, at the cost of k² draws per resample.
//   - Value per prediction: the normal interval of a mean.
//
// Label-free estimation is NannyML's confidence-based performance
// estimation (CBPE): with calibrated probabilities p, a prediction's label
// is positive with probability p, so the confusion matrix has an expected
// value, from which accuracy and F1 follow; their interval is the sampling
// spread of the realised metric around it when labels are drawn as
// Bernoulli(p) (exact for accuracy, delta method for F1). It is only as
// right as the calibration: fit [FitIsotonic] on a labelled reference (the
// test split of the training run) and pass it, or the estimate assumes the
// raw probabilities are calibrated and says so.
package perfest
