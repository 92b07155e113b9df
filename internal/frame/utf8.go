package frame

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// EscapeInvalidUTF8 returns s with every byte that is not part of valid
// UTF-8 written as \xNN, so the result can travel where only valid UTF-8 may
// (protobuf strings, JSON) and still shows the bytes that were there.
func EscapeInvalidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// notUTF8 describes a value that is not valid UTF-8: its bytes escaped,
// and how it reads as Windows-1252, the usual cause (Excel and older tools
// on Windows save "CSV" in it; Latin-1 is its subset).
func notUTF8(s string) string {
	var bad []string
	for i := 0; i < len(s) && len(bad) < maxShown; {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			bad = append(bad, fmt.Sprintf(`\x%02x`, s[i]))
		}
		i += n
	}
	return fmt.Sprintf("%q is not valid UTF-8 (byte %s); the file looks like Latin-1/Windows-1252, where this reads %q: re-save it as UTF-8 (in Excel: CSV UTF-8)",
		s, strings.Join(bad, ", "), decodeWindows1252(s))
}

// cp1252 maps Windows-1252's 0x80–0x9F; the rest of its upper half is
// Latin-1, which is Unicode's first 256 code points. Unassigned bytes keep
// U+FFFD.
var cp1252 = [32]rune{
	'€', '\uFFFD', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\uFFFD', 'Ž', '\uFFFD',
	'\uFFFD', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\uFFFD', 'ž', 'Ÿ',
}

func decodeWindows1252(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x80:
			b.WriteByte(c)
		case c < 0xA0:
			b.WriteRune(cp1252[c-0x80])
		default:
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}
