package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/expect"
)

// runMlpipe validates the file as `mlpipe validate` does (or, with
// parquet, as the pipeline's validation stage does on the stored Parquet)
// and prints the report's statistics.
func runMlpipe(path, memory string, parquet bool) error {
	ctx := context.Background()
	eng, err := dataplane.Open(dataplane.Options{MemoryLimit: memory})
	if err != nil {
		return err
	}
	defer eng.Close()
	// Parquet is scanned where it lies, as the validation stage does with
	// the Parquet ingestion stored; a CSV is typed by mlpipe's rules and
	// validated through a view of the file, as mlpipe validate does.
	rel := "read_parquet(" + dataplane.Quote(path) + ")"
	var rows int64
	if !parquet {
		t, err := eng.Load(ctx, path, dataplane.LoadOptions{Lazy: true})
		if err != nil {
			return err
		}
		rel, rows = t.Name, t.Rows
	}
	exps, checks := suite()
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	rep, err := expect.Evaluate(ctx, expect.Data{DB: eng.DB(), Relation: rel, Name: path, Rows: rows}, exps, checks, expect.Env{Now: now})
	if err != nil {
		return err
	}
	body, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	fmt.Printf("%d rows, %d of %d succeeded, report %d bytes\n", rep.Meta.Rows, rep.Statistics.Successful, rep.Statistics.Evaluated, len(body))
	return nil
}

// runDuckDB runs the one bare query.
func runDuckDB(path string) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Query(duckdbQuery(), path)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
	}
	fmt.Println(vals...)
	return rows.Err()
}

// toParquet stores the CSV as ingestion does: typed by mlpipe's rules,
// written as Parquet.
func toParquet(csv, out string) error {
	ctx := context.Background()
	eng, err := dataplane.Open(dataplane.Options{})
	if err != nil {
		return err
	}
	defer eng.Close()
	t, err := eng.Load(ctx, csv, dataplane.LoadOptions{})
	if err != nil {
		return err
	}
	return eng.WriteParquet(ctx, t, out)
}

// generateParquet writes rows of churn-like data (the 12 columns, their
// ranges, 2% missing ages) straight from DuckDB to Parquet.
func generateParquet(out string, rows int) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	q := fmt.Sprintf(`COPY (
  SELECT 'C' || lpad(CAST(i + 1 AS VARCHAR), 9, '0') AS customer_id,
    CASE WHEN random() < 0.02 THEN NULL ELSE round(18 + random() * 72) END AS age,
    CASE WHEN random() < 0.22 THEN 'inactive' ELSE 'active' END AS status,
    ['basic', 'standard', 'premium'][1 + CAST(floor(random() * 3) AS INTEGER)] AS plan,
    CAST(1 + floor(random() * 72) AS DOUBLE) AS tenure_months,
    round(10 + random() * 140, 2) AS monthly_charges,
    CAST(floor(random() * 6) AS DOUBLE) AS support_calls,
    TIMESTAMP '2026-12-05 00:00:00' - to_seconds(CAST(floor(random() * 604800) AS BIGINT)) AS last_activity,
    CASE WHEN random() < 0.29 THEN 'yes' ELSE 'no' END AS churned,
    'c' || lpad(CAST(i + 1 AS VARCHAR), 9, '0') || '@example.com' AS email,
    ['north', 'south', 'east', 'west'][1 + CAST(i %% 4 AS INTEGER)] AS region,
    round(random() * 10000, 2) AS total_charges
  FROM range(%d) t(i)) TO %s (FORMAT parquet)`, rows, dataplane.Quote(out))
	if _, err := db.Exec(q); err != nil {
		return fmt.Errorf("generate %s: %w", out, err)
	}
	return nil
}
