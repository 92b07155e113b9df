package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/mlpipe/mlpipe/internal/config"
	"github.com/mlpipe/mlpipe/internal/frame"
)

// predict posts rows to the gateway and prints its answer. Rows from --rows
// go as written, so a missing or misspelt column is refused with the
// gateway's message; rows from --csv carry every column of the file (an
// empty cell as null) with "strict": false, since a data file holds
// columns the model does not take (an ID, the target), which the gateway
// then names as ignored.
func (m *Main) predict(ctx context.Context, args []string) error {
	s := config.FromEnv()
	fs := newFlags("predict")
	rowsJSON := fs.String("rows", "", `rows as a JSON list, e.g. '[{"age": 41, "plan": "basic"}]'`)
	csvPath := fs.String("csv", "", `take rows from this CSV instead: every column, empty cells as null, with "strict": false so that columns the model does not take (an ID, the target) are ignored`)
	limit := fs.Int("limit", 3, "with --csv: how many rows")
	gw := fs.String("gateway", s.GatewayURL, "gateway URL")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (*rowsJSON == "") == (*csvPath == "") {
		return usageErr("usage: mlpipe predict MODEL (--rows JSON | --csv FILE [--limit N])")
	}
	payload := map[string]any{}
	if *rowsJSON != "" {
		var rows []map[string]any
		if err := json.Unmarshal([]byte(*rowsJSON), &rows); err != nil {
			return usageErr("--rows: want a JSON list of objects: %v", err)
		}
		payload["instances"] = rows
	} else {
		rows, err := csvRows(*csvPath, *limit)
		if err != nil {
			return err
		}
		payload["instances"], payload["strict"] = rows, false
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	url := strings.TrimRight(*gw, "/") + "/v1/models/" + pos[0] + ":predict"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w (is the gateway running? `mlpipe serve`)", url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var refusal struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(out, &refusal) == nil && refusal.Error != "" {
			return fmt.Errorf("POST %s: %s: %s", url, resp.Status, refusal.Error)
		}
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(out))
	}
	var answer struct {
		IgnoredKeys []string `json:"ignored_keys"`
	}
	_ = json.Unmarshal(out, &answer) // only for the note below; the answer is printed as it came
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") == nil {
		out = pretty.Bytes()
	}
	fmt.Fprintf(m.Stdout, "POST %s\n%s\n", url, out)
	if len(answer.IgnoredKeys) > 0 {
		fmt.Fprintf(m.Stdout, "ignored columns the model does not take: %s\n", strings.Join(answer.IgnoredKeys, ", "))
	}
	return nil
}

// csvRows reads the first n rows of a CSV as JSON-ready maps, every row
// with every column: an empty cell is null, which the gateway imputes,
// where a missing key would be refused.
func csvRows(path string, n int) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fr, err := frame.ReadCSV(f, frame.ReadOptions{Source: path})
	if err != nil {
		return nil, err
	}
	rows := fr.Records(n)
	for _, row := range rows {
		for _, c := range fr.Names() {
			if _, ok := row[c]; !ok {
				row[c] = nil
			}
		}
	}
	return rows, nil
}
