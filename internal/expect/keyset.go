package expect

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// keySet is where an expectation counts its keys (a column's values, or a
// compound key): in the data itself when they fit the engine's memory at
// once, else in hash partitions of the keys, written once to temporary
// Parquet files and counted one partition at a time. Every value falls in
// one partition, so distinct and repeated values add up over partitions,
// and the first n in sort order are the first n of every partition's
// first n: the results are the same either way.
type keySet struct {
	r *runner
	// cols are the key columns, the only ones a partition file holds.
	cols []string
	// where selects the rows of the data whose keys are counted.
	where string
	// parts is the number of hash partitions; 1 counts in the data.
	parts int
	// dir holds the partition files, __mlpipe_part=K/*.parquet.
	dir string
}

// partCol names the partition of a key in the files keySet writes; the
// folder names carry it, the files do not.
const partCol = "__mlpipe_part"

// keySet returns the key set of cols over the rows where holds, in parts
// hash partitions, writing the partitions on first use. Expectations over
// the same keys and rows share one.
func (r *runner) keySet(cols []string, where string, parts int) (*keySet, error) {
	if parts < 2 {
		return &keySet{r: r, cols: cols, where: where, parts: 1}, nil
	}
	id := fmt.Sprintf("%d\x00%s\x00%s", parts, strings.Join(cols, "\x00"), where)
	if ks, ok := r.keySets[id]; ok {
		return ks, nil
	}
	tmp, err := r.tempDir()
	if err != nil {
		return nil, err
	}
	ks := &keySet{r: r, cols: cols, where: where, parts: parts, dir: filepath.Join(tmp, fmt.Sprintf("keys%d", len(r.keySets)+1))}
	keys := identList(cols)
	q := fmt.Sprintf("COPY (SELECT hash(%s) %% %d AS %s, %s FROM %s WHERE %s) TO %s (FORMAT parquet, PARTITION_BY (%s))",
		keys, parts, partCol, keys, r.d.Relation, where, lit(ks.dir), partCol)
	if _, err := r.d.DB.ExecContext(r.ctx, q); err != nil {
		return nil, fmt.Errorf("write %s's keys in %d hash partitions to %s: %w", strings.Join(cols, ", "), parts, ks.dir, err)
	}
	if r.keySets == nil {
		r.keySets = map[string]*keySet{}
	}
	r.keySets[id] = ks
	return ks, nil
}

// tempDir makes, once per run, the folder partition files go to: under
// the engine's temp_directory, where it spills, else the system's.
func (r *runner) tempDir() (string, error) {
	if r.tmp != "" {
		return r.tmp, nil
	}
	var base string
	if err := r.d.DB.QueryRowContext(r.ctx, "SELECT current_setting('temp_directory')").Scan(&base); err != nil {
		return "", fmt.Errorf("read the engine's temp_directory: %w", err)
	}
	if base == "" || base == ".tmp" {
		// .tmp is DuckDB's default for an in-memory database: relative to
		// whatever the working directory is.
		base = os.TempDir()
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("make the temporary folder %s: %w", base, err)
	}
	dir, err := os.MkdirTemp(base, "mlpipe-expect-")
	if err != nil {
		return "", fmt.Errorf("make a temporary folder under %s: %w", base, err)
	}
	r.tmp = dir
	return dir, nil
}

// cleanup removes the run's partition files.
func (r *runner) cleanup() error {
	if r.tmp == "" {
		return nil
	}
	if err := os.RemoveAll(r.tmp); err != nil {
		return fmt.Errorf("remove the temporary partition files: %w", err)
	}
	r.tmp, r.keySets = "", nil
	return nil
}

// each calls fn with every partition as a relation and the condition that
// selects its keys' rows; a partition no key fell in is skipped.
func (ks *keySet) each(fn func(rel, where string) error) error {
	if ks.parts == 1 {
		return fn(ks.r.d.Relation, ks.where)
	}
	for k := 0; k < ks.parts; k++ {
		dir := filepath.Join(ks.dir, fmt.Sprintf("%s=%d", partCol, k))
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return fmt.Errorf("partition %d of %d: %w", k+1, ks.parts, err)
		}
		rel := fmt.Sprintf("read_parquet(%s, hive_partitioning = false)", lit(filepath.Join(dir, "*.parquet")))
		if err := fn(rel, "true"); err != nil {
			return fmt.Errorf("partition %d of %d: %w", k+1, ks.parts, err)
		}
	}
	return nil
}

// sum adds up the one number query returns for each partition.
func (ks *keySet) sum(query func(rel, where string) string) (int64, error) {
	var total int64
	err := ks.each(func(rel, where string) error {
		v, err := ks.r.one(query(rel, where))
		if err != nil {
			return err
		}
		total += asInt(v)
		return nil
	})
	return total, err
}

// first runs outer over the rows inner returns (outer's %s is their
// relation); inner and outer must both order by the keys and keep the
// first n, so that the first n of every partition's first n are the first
// n of all.
func (ks *keySet) first(inner func(rel, where string) string, outer string) ([]any, error) {
	rel, ok, err := ks.gather(inner)
	if err != nil || !ok {
		return nil, err
	}
	return ks.r.list(fmt.Sprintf(outer, rel))
}

// gather is a relation of the rows inner returns: over the data when the
// keys are counted there, else over every partition, inner's rows of each
// written to a file. ok is false when no partition holds a key.
func (ks *keySet) gather(inner func(rel, where string) string) (rel string, ok bool, err error) {
	if ks.parts == 1 {
		return "(" + inner(ks.r.d.Relation, ks.where) + ")", true, nil
	}
	ks.r.gathered++
	dir := filepath.Join(ks.dir, fmt.Sprintf("gathered%d", ks.r.gathered))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, fmt.Errorf("make %s: %w", dir, err)
	}
	k := 0
	err = ks.each(func(rel, where string) error {
		k++
		out := filepath.Join(dir, fmt.Sprintf("%d.parquet", k))
		_, err := ks.r.d.DB.ExecContext(ks.r.ctx, fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet)", inner(rel, where), lit(out)))
		return err
	})
	if err != nil || k == 0 {
		return "", false, err
	}
	return fmt.Sprintf("read_parquet(%s)", lit(filepath.Join(dir, "*.parquet"))), true, nil
}

// identList is cols as a SQL list of identifiers.
func identList(cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = ident(c)
	}
	return strings.Join(out, ", ")
}
