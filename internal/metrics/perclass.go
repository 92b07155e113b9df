package metrics

// ClassRow is one line of a per-class report (scikit-learn's
// classification_report): class 0 is the negative class, class 1 the
// positive one.
type ClassRow struct {
	Class     int     `json:"class"`
	Label     string  `json:"label"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// Support is the number of samples whose true label is Class.
	Support int `json:"support"`
}

// PerClass scores each class as if it were the positive one, at the same
// strict proba > threshold rule as Binary; labels[k] names class k (the
// caller knows that 1 means, say, "churned"). Ratios with a zero denominator
// are 0. Nil when the input fails Validate.
func PerClass(yTrue, proba []float64, threshold float64, labels [2]string) []ClassRow {
	if Validate(yTrue, proba, threshold) != nil {
		return nil
	}
	c := confusionAt(yTrue, proba, threshold)
	return []ClassRow{
		{Class: 0, Label: labels[0], Precision: ratio(c.TN, c.TN+c.FN), Recall: ratio(c.TN, c.TN+c.FP),
			F1: ratio(2*c.TN, 2*c.TN+c.FN+c.FP), Support: c.TN + c.FP},
		{Class: 1, Label: labels[1], Precision: ratio(c.TP, c.TP+c.FP), Recall: ratio(c.TP, c.TP+c.FN),
			F1: ratio(2*c.TP, 2*c.TP+c.FP+c.FN), Support: c.TP + c.FN},
	}
}

// confusionAt counts the confusion matrix of validated input.
func confusionAt(yTrue, proba []float64, threshold float64) Confusion {
	var c Confusion
	for i, y := range yTrue {
		pos := proba[i] > threshold
		switch {
		case y == 1 && pos:
			c.TP++
		case y == 1:
			c.FN++
		case pos:
			c.FP++
		default:
			c.TN++
		}
	}
	return c
}
