package inferlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// A request record's inputs are read from the Parquet files in Go:
// parquet-go hands each page's values without a copy, and a worker parses
// a row group straight from its pages, where the engine's result set
// costs a copy of every byte into Go and one consumer for all of them
// (seven times slower on the bench's window).

// groupJob is one row group's records in the window.
type groupJob struct {
	path  string
	group int
	// keep says, per record of the group, whether it is in the window;
	// rows is how many rows each record has (its predictions).
	keep []bool
	rows []int
	// row and end are the group's rows in the window's order.
	row, end int
}

// filter is the records a window reads: its model, made in [from, to)
// (UTC microseconds).
type filter struct {
	model    string
	from, to int64
}

// readParquetInputs parses the inputs of files' records in the window.
// A row group whose inputs cannot be read counts its rows unreadable and
// is named in the returned warnings; a file whose records cannot be
// listed is an error (the caller reads it another way).
func readParquetInputs(ctx context.Context, files []string, f filter) (*Inputs, []string, error) {
	var jobs []*groupJob
	var probs []float64
	rows := 0
	for _, path := range files {
		js, ps, err := listGroups(path, f, &rows)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		jobs, probs = append(jobs, js...), append(probs, ps...)
	}
	set := newInputSet(rows)
	var mu sync.Mutex
	var warnings []string
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(len(jobs), runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				p := newInputPart(set, i, j.row, j.end)
				if err := parseGroup(p, j); err != nil {
					// The rows stay; their inputs are unreadable.
					p.undo(j.row)
					p.row, p.bad = j.end, int64(j.end-j.row)
					mu.Lock()
					warnings = append(warnings, fmt.Sprintf("%s: inputs of row group %d unreadable, its %d rows counted so: %v", j.path, j.group, j.end-j.row, err))
					mu.Unlock()
				}
				p.finish()
			}
		}()
	}
	var err error
	for i := range jobs {
		if err = ctx.Err(); err != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, nil, err
	}
	in := set.inputs()
	in.Probabilities = probs
	return in, warnings, nil
}

// openParquet opens a local Parquet file.
func openParquet(path string) (*parquet.File, io.Closer, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		_ = fh.Close()
		return nil, nil, err
	}
	pf, err := parquet.OpenFile(fh, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		_ = fh.Close()
		return nil, nil, err
	}
	return pf, fh, nil
}

// listGroups reads the small columns of path's row groups: which records
// are in the window, their rows and their finite probabilities, adding
// the rows to *rows.
func listGroups(path string, f filter, rows *int) ([]*groupJob, []float64, error) {
	pf, c, err := openParquet(path)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	s := pf.Schema()
	var leaves [4]parquet.LeafColumn
	for i, name := range [][]string{{"time"}, {"model"}, {"predictions", "list", "element"}, {"probability", "list", "element"}} {
		l, ok := s.Lookup(name...)
		if !ok {
			return nil, nil, fmt.Errorf("no column %v", name)
		}
		leaves[i] = l
	}
	var jobs []*groupJob
	var probs []float64
	for g, rg := range pf.RowGroups() {
		j := &groupJob{path: path, group: g, row: *rows}
		chunks := rg.ColumnChunks()
		var times []int64
		var models []bool
		err := eachValue(chunks[leaves[0].ColumnIndex], func(v parquet.Value) { times = append(times, v.Int64()) })
		if err == nil {
			err = eachValue(chunks[leaves[1].ColumnIndex], func(v parquet.Value) { models = append(models, string(v.ByteArray()) == f.model) })
		}
		if err != nil {
			return nil, nil, err
		}
		if len(times) != len(models) {
			return nil, nil, errors.New("columns of different lengths")
		}
		j.keep = make([]bool, len(times))
		for k := range times {
			j.keep[k] = models[k] && times[k] >= f.from && times[k] < f.to
		}
		rec := -1
		maxDef := leaves[2].MaxDefinitionLevel
		err = eachValue(chunks[leaves[2].ColumnIndex], func(v parquet.Value) {
			if v.RepetitionLevel() == 0 {
				rec++
				j.rows = append(j.rows, 0)
			}
			if v.DefinitionLevel() == maxDef && rec >= 0 {
				j.rows[rec]++
			}
		})
		if err != nil {
			return nil, nil, err
		}
		if len(j.rows) != len(times) {
			return nil, nil, errors.New("a predictions list per record is missing")
		}
		rec = -1
		maxDef = leaves[3].MaxDefinitionLevel
		err = eachValue(chunks[leaves[3].ColumnIndex], func(v parquet.Value) {
			if v.RepetitionLevel() == 0 {
				rec++
			}
			if v.DefinitionLevel() == maxDef && rec >= 0 && rec < len(j.keep) && j.keep[rec] {
				if p := v.Double(); !math.IsNaN(p) && !math.IsInf(p, 0) {
					probs = append(probs, p)
				}
			}
		})
		if err != nil {
			return nil, nil, err
		}
		for k, keep := range j.keep {
			if keep {
				*rows += j.rows[k]
			}
		}
		j.end = *rows
		jobs = append(jobs, j)
	}
	return jobs, probs, nil
}

// eachValue calls f with every value of a column chunk, in order.
func eachValue(cc parquet.ColumnChunk, f func(parquet.Value)) error {
	pages := cc.Pages()
	defer pages.Close()
	vals := make([]parquet.Value, 1024)
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		vr := p.Values()
		for {
			n, err := vr.ReadValues(vals)
			for _, v := range vals[:n] {
				f(v)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				parquet.Release(p)
				return err
			}
		}
		parquet.Release(p)
	}
}

// parseGroup parses the inputs of a row group's records in the window,
// straight from the decoded pages.
func parseGroup(p *inputPart, j *groupJob) error {
	pf, c, err := openParquet(j.path)
	if err != nil {
		return err
	}
	defer c.Close()
	leaf, ok := pf.Schema().Lookup("inputs")
	if !ok {
		return errors.New("no inputs column")
	}
	groups := pf.RowGroups()
	if j.group >= len(groups) {
		return errors.New("the file changed while it was read")
	}
	rec := 0
	err = eachValue(groups[j.group].ColumnChunks()[leaf.ColumnIndex], func(v parquet.Value) {
		if rec < len(j.keep) && j.keep[rec] {
			b := v.ByteArray()
			// The page outlives the parse of its value, which copies
			// what it keeps.
			s := "null"
			if !v.IsNull() {
				s = unsafe.String(unsafe.SliceData(b), len(b))
			}
			p.addRequest(s, j.rows[rec])
		}
		rec++
	})
	if err != nil {
		return err
	}
	if rec != len(j.keep) || p.row != j.end {
		return errors.New("the inputs column has another number of records")
	}
	return nil
}
