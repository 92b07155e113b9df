// Package dataplane is mlpipe's data plane: an embedded DuckDB engine that
// reads sources (CSV, Parquet, JSON lines), types them by mlpipe's rules,
// writes them as Parquet, validates and profiles them, out of core.
package dataplane

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver

	"github.com/mlpipe/mlpipe/internal/artifact"
)

// Options bound the engine's resources.
type Options struct {
	// MemoryLimit is DuckDB's memory_limit, e.g. "1GB"; empty means 1GB.
	// Past it, DuckDB spills to TempDir.
	MemoryLimit string
	// Threads is DuckDB's thread count; 0 means GOMAXPROCS.
	Threads int
	// TempDir is where DuckDB spills; empty means os.TempDir().
	TempDir string
}

// Engine is one in-memory DuckDB database. It is safe for concurrent use;
// each call to Open makes an independent one.
type Engine struct {
	db *sql.DB
}

// Open starts an in-memory engine.
func Open(opts Options) (*Engine, error) {
	if opts.MemoryLimit == "" {
		opts.MemoryLimit = "1GB"
	}
	if opts.Threads <= 0 {
		opts.Threads = runtime.GOMAXPROCS(0)
	}
	if opts.TempDir == "" {
		opts.TempDir = filepath.Join(os.TempDir(), "mlpipe-duckdb")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("dataplane: open duckdb: %w", err)
	}
	// One connection: settings are per database, and a single in-memory
	// database is shared by every connection of this pool anyway.
	for _, stmt := range []string{
		fmt.Sprintf("SET memory_limit = %s", quote(opts.MemoryLimit)),
		fmt.Sprintf("SET threads = %d", opts.Threads),
		fmt.Sprintf("SET temp_directory = %s", quote(opts.TempDir)),
		"SET preserve_insertion_order = true",
		// Time columns are UTC wall clocks (TIMESTAMP); offsets in the data
		// convert through this zone whatever the machine's own.
		"SET GLOBAL TimeZone = 'UTC'",
	} {
		if _, err := db.Exec(stmt); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("dataplane: %s: %w", stmt, err)
		}
	}
	return &Engine{db: db}, nil
}

// DB is the engine's database handle, for queries.
func (e *Engine) DB() *sql.DB { return e.db }

// Close releases the engine.
func (e *Engine) Close() error { return e.db.Close() }

// Fetch makes a stored artifact readable by the engine as a local file,
// checking its digest. A file:// artifact is used in place; any other is
// copied to a temporary file that cleanup removes.
func Fetch(ctx context.Context, ref artifact.Ref) (path string, cleanup func(), err error) {
	if p, ok := strings.CutPrefix(ref.URI, "file://"); ok {
		// Check the digest while reading it once, as every reader does.
		rc, err := artifact.OpenRef(ctx, ref)
		if err != nil {
			return "", nil, fmt.Errorf("open %s: %w", ref.URI, err)
		}
		_, cerr := io.Copy(io.Discard, rc)
		if err := rc.Close(); cerr == nil {
			cerr = err
		}
		if cerr != nil {
			return "", nil, fmt.Errorf("read %s: %w", ref.URI, cerr)
		}
		return p, func() {}, nil
	}
	rc, err := artifact.OpenRef(ctx, ref)
	if err != nil {
		return "", nil, fmt.Errorf("open %s: %w", ref.URI, err)
	}
	defer rc.Close()
	f, err := os.CreateTemp("", "mlpipe-fetch-*"+filepath.Ext(ref.URI))
	if err != nil {
		return "", nil, fmt.Errorf("fetch %s: %w", ref.URI, err)
	}
	cleanup = func() { os.Remove(f.Name()) }
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		cleanup()
		return "", nil, fmt.Errorf("fetch %s: %w", ref.URI, err)
	}
	if err := f.Close(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("fetch %s: %w", ref.URI, err)
	}
	return f.Name(), cleanup, nil
}

// quote makes s a SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Quote makes s a SQL string literal (a path, a value).
func Quote(s string) string { return quote(s) }

// Ident makes name a SQL identifier.
func Ident(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
