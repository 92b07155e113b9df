package features

import (
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/frame"
)

// The per-value encoders below are the only place a value becomes
// features. Apply (training, batch scoring) and ApplyRows (the gateway)
// both call them, so a row gives the same bits on both paths.

// encodeNumber imputes, clips, log1p's, then bucketizes or scales one
// numeric value (a time column's age in days included).
func (fc *FittedColumn) encodeNumber(v float64, null bool) (float64, error) {
	if null {
		if fc.Impute == None {
			return 0, fmt.Errorf("value is null and impute is none; set impute (mean, median, most_frequent or constant) for this column")
		}
		v = fc.FillValue
	}
	if fc.ClipMin != nil && v < *fc.ClipMin {
		v = *fc.ClipMin
	}
	if fc.ClipMax != nil && v > *fc.ClipMax {
		v = *fc.ClipMax
	}
	if fc.Log1p {
		if !(v > -1) {
			return 0, fmt.Errorf("log1p of %g is not a number: log1p needs values above -1 (training values were ≥ 0); send a value ≥ 0, or add clip: {min: 0} to this column", v)
		}
		v = math.Log1p(v)
	}
	if fc.Encode == EncodeBucketize {
		return float64(bucketOf(fc.Boundaries, v)), nil
	}
	return fc.scale(v), nil
}

// bucketOf counts the boundaries at or below v: bucket i is [b[i-1], b[i]).
func bucketOf(b []float64, v float64) int {
	return sort.Search(len(b), func(i int) bool { return b[i] > v })
}

// encodeTime writes a time column's outputs into dst.
func (fc *FittedColumn) encodeTime(ts time.Time, null bool, dst []float64) error {
	if fc.Encode != EncodeDateParts {
		v := 0.0
		if !null {
			v = fc.ageDays(ts)
		}
		out, err := fc.encodeNumber(v, null)
		dst[0] = out
		return err
	}
	if null {
		if fc.Impute == None {
			return fmt.Errorf("value is null and impute is none; set impute (mean, median, most_frequent or constant) for this column")
		}
		ts = fc.fillTime()
	}
	ts = ts.UTC()
	for i, p := range fc.DateParts {
		dst[i] = float64(datePart(ts, p))
	}
	return nil
}

// fillTime is the timestamp a null becomes under date_parts: the imputed
// age counted back from the reference.
func (fc *FittedColumn) fillTime() time.Time {
	return fc.Reference.Add(-time.Duration(math.Round(fc.FillValue * 24 * float64(time.Hour))))
}

// datePart is one calendar part of a UTC time; dayofweek counts Monday as
// 0, as pandas does.
func datePart(t time.Time, part string) int {
	switch part {
	case "year":
		return t.Year()
	case "month":
		return int(t.Month())
	case "day":
		return t.Day()
	case "dayofweek":
		return (int(t.Weekday()) + 6) % 7
	default: // hour; Fit admits no other part
		return t.Hour()
	}
}

// encodeString writes a string column's outputs into dst (all zeros on
// entry). index maps a value to its output (one-hot) or its rank (ordinal);
// see categoryIndex.
func (fc *FittedColumn) encodeString(index map[string]int, s string, null bool, dst []float64) error {
	if null {
		if fc.Impute == None {
			if fc.Encode == EncodeOrdinal {
				if fc.HandleUnknown == UnknownEncodedValue {
					dst[0] = -1
					return nil
				}
				return fmt.Errorf("value is null and impute is none; set impute (most_frequent or constant) or ordinal.handle_unknown: use_encoded_value for this column")
			}
			return nil
		}
		s = fc.FillCategory
	}
	switch fc.Encode {
	case EncodeOrdinal:
		j, ok := index[s]
		switch {
		case ok:
			dst[0] = float64(j)
		case fc.HandleUnknown == UnknownEncodedValue:
			dst[0] = -1
		default:
			return fmt.Errorf("%q is not in ordinal.order (%s); send one of them, or set ordinal.handle_unknown: use_encoded_value to encode it as -1", s, preview(fc.Order))
		}
	case EncodeHashing:
		dst[hashIndex(s, fc.HashFeatures)] = 1
	default:
		if j, ok := index[s]; ok {
			dst[j] = 1
		} else if fc.Other {
			dst[len(fc.Categories)] = 1
		}
	}
	return nil
}

// hashIndex is FNV-1a (64-bit) of the value's UTF-8 bytes modulo n: stable
// across processes, machines and releases.
func hashIndex(s string, n int) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s)) // a hash.Hash never fails to write
	return int(h.Sum64() % uint64(n))
}

// categoryIndex is built per call rather than cached so a Transform stays
// plain data that is safe to share between goroutines.
func (fc *FittedColumn) categoryIndex() map[string]int {
	list := fc.Categories
	if fc.Encode == EncodeOrdinal {
		list = fc.Order
	}
	index := make(map[string]int, len(list))
	for j, s := range list {
		index[s] = j
	}
	return index
}

// OtherOutput names the one-hot output of rare and unseen categories.
func OtherOutput(column string) string { return column + "=__other__" }

// describe says in a few words what the column's outputs are, for people
// reading a transform (mlpipe features show).
func (fc *FittedColumn) describe() string {
	var steps []string
	if fc.Impute != None {
		switch {
		case !fc.numeric() && fc.Impute != "":
			steps = append(steps, fmt.Sprintf("impute %s (%q)", fc.Impute, fc.FillCategory))
		case fc.Encode == EncodeDateParts:
			steps = append(steps, fmt.Sprintf("impute %s (%s)", fc.Impute, fc.fillTime().Format(time.RFC3339)))
		default:
			steps = append(steps, fmt.Sprintf("impute %s (%g)", fc.Impute, fc.FillValue))
		}
	}
	if fc.Kind == frame.Time && fc.Encode == EncodeAgeDays {
		steps = append(steps, "age_days before "+fc.Reference.Format(time.RFC3339))
	}
	if fc.ClipMin != nil || fc.ClipMax != nil {
		lo, hi := "-inf", "inf"
		if fc.ClipMin != nil {
			lo = fmt.Sprint(*fc.ClipMin)
		}
		if fc.ClipMax != nil {
			hi = fmt.Sprint(*fc.ClipMax)
		}
		steps = append(steps, fmt.Sprintf("clip [%s, %s]", lo, hi))
	}
	if fc.Log1p {
		steps = append(steps, "log1p")
	}
	switch fc.Encode {
	case EncodeBucketize:
		steps = append(steps, fmt.Sprintf("bucketize %v", fc.Boundaries))
	case EncodeDateParts:
		steps = append(steps, "date_parts "+strings.Join(fc.DateParts, ", "))
	case EncodeOrdinal:
		steps = append(steps, fmt.Sprintf("ordinal [%s] (unknown: %s)", strings.Join(fc.Order, ", "), orDefault(fc.HandleUnknown, UnknownError)))
	case EncodeHashing:
		steps = append(steps, fmt.Sprintf("hashing into %d (FNV-1a)", fc.HashFeatures))
	case EncodeOneHot:
		s := fmt.Sprintf("onehot %d categories", len(fc.Categories))
		if fc.Other {
			s += " + other"
		}
		steps = append(steps, s)
	}
	switch fc.Scale {
	case ScaleStandard:
		steps = append(steps, fmt.Sprintf("standard (mean %g, std %g)", fc.Offset, fc.Divisor))
	case ScaleMinMax:
		steps = append(steps, fmt.Sprintf("minmax (min %g, range %g)", fc.Offset, fc.Divisor))
	}
	return strings.Join(steps, " → ")
}

// Describe lists each input column with its kind, its steps and its
// number of outputs, one line per column.
func (t *Transform) Describe() []string {
	out := make([]string, len(t.Columns))
	for i := range t.Columns {
		fc := &t.Columns[i]
		out[i] = fmt.Sprintf("%s (%s): %s → %d output(s)", fc.Column, fc.Kind, fc.describe(), len(fc.Outputs))
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
