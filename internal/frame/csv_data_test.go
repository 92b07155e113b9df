package frame

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Files as R, Excel and Windows tools write them read like any other.
func TestReadCSVByteOrderMarkAndLineEnds(t *testing.T) {
	for name, in := range map[string]string{
		"R write.csv: BOM and quoted header": "\ufeff\"id\",\"age\"\r\n\"a\",31\r\n\"b\",NA\r\n",
		"BOM, unquoted header":               "\ufeffid,age\na,31\nb,NA\n",
		"CRLF line ends":                     "id,age\r\na,31\r\nb,\r\n",
		"no trailing newline":                "id,age\na,31\nb,NA",
	} {
		t.Run(name, func(t *testing.T) {
			f, err := ReadCSV(strings.NewReader(in), ReadOptions{Source: "r.csv"})
			require.NoError(t, err)
			assert.Equal(t, []string{"id", "age"}, f.Names())
			id, _ := f.Col("id")
			assert.Equal(t, []string{"a", "b"}, id.Strings, "no \\r and no BOM left in values")
			age, _ := f.Col("age")
			assert.Equal(t, Float, age.Kind)
			assert.Equal(t, []bool{false, true}, age.Null)
		})
	}
}

// The null tokens and the inference order are the data contract: pin them.
func TestNullTokensAndInferenceArePinned(t *testing.T) {
	for _, s := range []string{"", "NA", "N/A", "null", "NULL", "NaN", "nan"} {
		assert.True(t, IsNullToken(s), "%q is a null token", s)
	}
	for _, s := range []string{"na", "n/a", "None", "NAN", "-", "?", " ", "Null", "nil", "0"} {
		assert.False(t, IsNullToken(s), "%q is not a null token", s)
	}
	f, err := ReadCSV(strings.NewReader("n,t,s,e,z\n1,2024-01-02,x,,007\n2.5e3,2024-01-02 03:04:05,2024-01-02,NA,1_000\n"), ReadOptions{})
	require.NoError(t, err)
	kinds := map[string]Kind{}
	for _, c := range f.Columns() {
		kinds[c.Name] = c.Kind
	}
	assert.Equal(t, map[string]Kind{"n": Float, "t": Time, "s": String, "e": Float, "z": Float}, kinds,
		"float before time before string; an all-null column is float")
}

func TestReadCSVRefusesInvalidUTF8(t *testing.T) {
	in := "id,plan,churned\n1,basic,no\n2,b\xe1sic,yes\n"
	_, err := ReadCSV(strings.NewReader(in), ReadOptions{Source: "latin1.csv"})
	require.Error(t, err)
	var de *DataError
	assert.True(t, errors.As(err, &de), "bad data, not an I/O error")
	msg := err.Error()
	assert.Contains(t, msg, `latin1.csv: row 2 (line 3), column "plan": "b\xe1sic" is not valid UTF-8 (byte \xe1)`)
	assert.Contains(t, msg, `Latin-1/Windows-1252, where this reads "básic": re-save it as UTF-8`)
	assert.True(t, isValidUTF8(msg), "the message itself is valid UTF-8")

	_, err = ReadCSV(strings.NewReader("id,pl\x92n\n1,2\n"), ReadOptions{Source: "h.csv"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `h.csv: header: column 2's name "pl\x92n" is not valid UTF-8 (byte \x92)`)
	assert.Contains(t, err.Error(), `reads "pl’n"`)

	_, err = ReadCSV(strings.NewReader("\xff\xfei\x00d\x00\n\x00"), ReadOptions{Source: "u16.csv"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "u16.csv: the file is UTF-16")
}

func TestReadCSVRefusesNonFiniteNumbers(t *testing.T) {
	for cell, want := range map[string]string{
		"inf":      `"inf" is not a finite number`,
		"-Inf":     `"-Inf" is not a finite number`,
		"Infinity": `"Infinity" is not a finite number`,
		"NAN":      `"NAN" is not a finite number`,
		"1e999":    `"1e999" is too large for a 64-bit float`,
		"-1e999":   `"-1e999" is too large for a 64-bit float`,
	} {
		t.Run(cell, func(t *testing.T) {
			in := "id,charges\na,10\nb,20\nc," + cell + "\nd,30\n"
			_, err := ReadCSV(strings.NewReader(in), ReadOptions{Source: "c.csv"})
			require.Error(t, err)
			var de *DataError
			assert.True(t, errors.As(err, &de))
			assert.Contains(t, err.Error(), `c.csv: row 3 (line 4), column "charges": `+want)
			assert.Contains(t, err.Error(), "write it as an empty cell, NA, N/A, null, NULL, NaN or nan")

			_, err = ReadCSV(strings.NewReader(in), ReadOptions{Source: "c.csv", Types: map[string]Kind{"charges": Float}})
			assert.ErrorContains(t, err, want, "forced float columns too")
		})
	}

	_, err := ReadCSV(strings.NewReader("x\n1\ninf\n-inf\n"), ReadOptions{Source: "c.csv"})
	assert.ErrorContains(t, err, `row 2 (line 3), column "x": "inf" is not a finite number`)
	assert.ErrorContains(t, err, "2 cells like it in this column")

	// Words among them make a string column, where "inf" is just a word.
	f, err := ReadCSV(strings.NewReader("x\ninf\nlow\n"), ReadOptions{})
	require.NoError(t, err)
	x, _ := f.Col("x")
	assert.Equal(t, String, x.Kind)

	// Tiny numbers round to zero as they always did.
	f, err = ReadCSV(strings.NewReader("x\n1e-999\n"), ReadOptions{})
	require.NoError(t, err)
	x, _ = f.Col("x")
	assert.Equal(t, []float64{0}, x.Floats)
}

func TestReadCSVMessagesSayWhatToFix(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"ragged names the header": {
			in:   "a,b,c\n1,2,3\n4,5\n",
			want: "f.csv: row 2 (line 3): has 2 fields, header has 3 (a, b, c): check its commas and quotes",
		},
		"bare quote says how to quote": {
			in:   "a,b\n1,x\"y\n",
			want: `f.csv: row 1 (line 2): bare " in non-quoted-field: a field with a " in it must be quoted, the quote doubled`,
		},
		"trailing comma in the header": {
			in:   "a,b,\n1,2,3\n",
			want: "f.csv: header: column 3 has no name (a trailing comma on the header line?)",
		},
		"duplicate header says rename": {
			in:   "a,b,a\n1,2,3\n",
			want: `column "a" appears twice (columns 1 and 3): rename one`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tc.in), ReadOptions{Source: "f.csv"})
			require.Error(t, err)
			var de *DataError
			assert.True(t, errors.As(err, &de))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// A reader that fails is an I/O problem the caller may retry, not bad data.
func TestReadCSVKeepsReaderErrors(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := ReadCSV(io.MultiReader(strings.NewReader("a,b\n1,2\n"), iotest.ErrReader(boom)), ReadOptions{Source: "s3://b/k.csv"})
	require.Error(t, err)
	assert.ErrorIs(t, err, boom)
	var de *DataError
	assert.False(t, errors.As(err, &de))
}

func TestNotNumbersNamesTheCells(t *testing.T) {
	f, err := ReadCSV(strings.NewReader("age,plan\n31,a\nn/a,b\n40,c\n?,d\n,e\n52,f\nunknown,g\nx,h\n"), ReadOptions{})
	require.NoError(t, err)
	age, _ := f.Col("age")
	require.Equal(t, String, age.Kind)
	assert.Equal(t, `4 of its 7 values are not numbers (row 2 "n/a", row 4 "?", row 7 "unknown", ...); if they mean missing, write them as an empty cell, NA, N/A, null, NULL, NaN or nan`,
		NotNumbers(age))
	plan, _ := f.Col("plan")
	assert.Empty(t, NotNumbers(plan), "text with no numbers is just text")
}

func TestEscapeInvalidUTF8(t *testing.T) {
	assert.Equal(t, `act\xffive`, EscapeInvalidUTF8("act\xffive"))
	assert.Equal(t, "básic ✓", EscapeInvalidUTF8("básic ✓"))
	assert.Equal(t, `b\xe1sic ✓\xc3`, EscapeInvalidUTF8("b\xe1sic ✓\xc3"))
}

func isValidUTF8(s string) bool { return EscapeInvalidUTF8(s) == s }
