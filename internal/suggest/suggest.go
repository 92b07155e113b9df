// Package suggest finds the name a user most likely meant, for
// "did you mean" messages.
package suggest

import "strings"

// Closest returns the known name closest to name when it is close enough
// to be a likely typo (a different case, or a few edits), else "".
func Closest(name string, known []string) string {
	best, bestDist := "", -1
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return k
		}
		d := editDistance(strings.ToLower(name), strings.ToLower(k))
		if bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	// One edit in four characters, at least one and at most three.
	if bestDist >= 0 && bestDist <= min(3, max(1, len(name)/4)) {
		return best
	}
	return ""
}

// editDistance counts the insertions, deletions, substitutions and swaps of
// adjacent bytes that turn a into b (optimal string alignment), so the
// common typos "modle" and "aproval" are one edit from what was meant.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
