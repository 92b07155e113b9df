package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/gen"
)

// ordChurnCSV writes rows churn customers (customer_id C000001, C000002,
// ... in file order) whose first row's last field is quoted and holds a
// CRLF, which only encoding/csv reads as mlpipe does: mlpipe validate then
// copies the file into the engine, as ingestion does, instead of viewing
// it.
func ordChurnCSV(t *testing.T, path string, rows int) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, gen.Churn(&buf, rows, 5, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)))
	text := buf.String()
	nl := strings.IndexByte(text, '\n')
	end := nl + 1 + strings.IndexByte(text[nl+1:], '\n')
	row := text[nl+1 : end]
	first := row[:strings.LastIndexByte(row, ',')+1] + "\"no\r\nnote\""
	require.NoError(t, os.WriteFile(path, []byte(text[:nl+1]+first+text[end:]), 0o644))
}

// The values a failed expectation quotes are the file's first ones, on a
// file larger than DuckDB's 8 MB CSV read buffer: its parallel reader used
// to store whole buffers out of order now and then, so the sample (and
// every later stage's row order) changed from run to run. The run is
// repeated since the reordering depended on thread timing.
func TestValidateCommandSamplesInFileOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildMlpipe(t)
	dir := t.TempDir()
	const rows = 300_000
	data := filepath.Join(dir, "churn.csv")
	ordChurnCSV(t, data, rows)
	st, err := os.Stat(data)
	require.NoError(t, err)
	require.Greater(t, st.Size(), int64(16<<20), "the file spans several read buffers")
	suite := filepath.Join(dir, "suite.yaml")
	require.NoError(t, os.WriteFile(suite, []byte(`expectations:
  - expect_column_values_to_not_match_regex: {column: customer_id, regex: "0000$"}
`), 0o644))
	// Every 10,000th customer is unexpected: the first 20 in file order.
	var want []any
	for i := 1; i <= 20; i++ {
		want = append(want, fmt.Sprintf("C%06d", i*10_000))
	}
	for try := range 3 {
		out, all, code := dpxRun(t, bin, "validate", "--suite", suite, data, "--json")
		require.Equal(t, 1, code, all)
		var rep struct {
			Results []struct {
				Result struct {
					UnexpectedCount       int64 `json:"unexpected_count"`
					PartialUnexpectedList []any `json:"partial_unexpected_list"`
				} `json:"result"`
			} `json:"results"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
		require.Len(t, rep.Results, 1)
		assert.Equal(t, int64(rows/10_000), rep.Results[0].Result.UnexpectedCount)
		assert.Equal(t, want, rep.Results[0].Result.PartialUnexpectedList, "run %d: the sample is the file's first unexpected values", try+1)
		if t.Failed() {
			return
		}
	}
}
