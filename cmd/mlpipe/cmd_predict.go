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

// predict posts rows to the gateway and prints its answer.
func (m *Main) predict(ctx context.Context, args []string) error {
	s := config.FromEnv()
	fs := newFlags("predict")
	rowsJSON := fs.String("rows", "", `rows as a JSON list, e.g. '[{"age": 41, "plan": "basic"}]'`)
	csvPath := fs.String("csv", "", "take rows from this CSV instead")
	limit := fs.Int("limit", 3, "with --csv: how many rows")
	gw := fs.String("gateway", s.GatewayURL, "gateway URL")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (*rowsJSON == "") == (*csvPath == "") {
		return usageErr("usage: mlpipe predict MODEL (--rows JSON | --csv FILE [--limit N])")
	}
	var rows []map[string]any
	if *rowsJSON != "" {
		if err := json.Unmarshal([]byte(*rowsJSON), &rows); err != nil {
			return usageErr("--rows: want a JSON list of objects: %v", err)
		}
	} else if rows, err = csvRows(*csvPath, *limit); err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{"instances": rows})
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
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(out))
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") == nil {
		out = pretty.Bytes()
	}
	fmt.Fprintf(m.Stdout, "POST %s\n%s\n", url, out)
	return nil
}

// csvRows reads the first n rows of a CSV as JSON-ready maps.
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
	return fr.Records(n), nil
}
