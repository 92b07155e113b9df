package inferlog

import (
	"context"
	"runtime"
	"sync"
)

// ParseRows parses input rows, the JSON object of each row as the
// predictions table's input column holds it; ok false is a row without
// one. Input that is not a JSON object makes the row unreadable.
func ParseRows(inputs []string, ok []bool) *Inputs {
	set := newInputSet(len(inputs))
	p := newInputPart(set, 0, 0, len(inputs))
	for i, in := range inputs {
		p.addRow(in, ok[i])
	}
	p.finish()
	return set.inputs()
}

// request is one logged request's inputs and its number of rows.
type request struct {
	inputs string
	rows   int
}

// parseBatchBytes is about how much JSON one worker parses at a time:
// large enough that handing it over costs nothing next to parsing it,
// small enough that every core gets work in a small window.
const parseBatchBytes = 4 << 20

// parseRequests parses the requests next yields, rows in all, on every
// core, into Inputs in the order given. next returns ok false at the end.
func parseRequests(ctx context.Context, rows int, next func() (request, bool, error)) (*Inputs, error) {
	type job struct {
		seq, row, end int
		reqs          []request
	}
	set := newInputSet(rows)
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan job, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				p := newInputPart(set, j.seq, j.row, j.end)
				for _, r := range j.reqs {
					p.addRequest(r.inputs, r.rows)
				}
				p.finish()
			}
		}()
	}
	var err error
	seq, size, row, start := 0, 0, 0, 0
	var batch []request
	for {
		if err = ctx.Err(); err != nil {
			break
		}
		r, ok, nerr := next()
		if nerr != nil {
			err = nerr
			break
		}
		if ok {
			if r.rows < 0 || row+r.rows > rows {
				err = errRowCount
				break
			}
			batch = append(batch, r)
			size += len(r.inputs)
			row += r.rows
		}
		if len(batch) > 0 && (!ok || size >= parseBatchBytes) {
			jobs <- job{seq: seq, row: start, end: row, reqs: batch}
			seq, size, start, batch = seq+1, 0, row, nil
		}
		if !ok {
			break
		}
	}
	close(jobs)
	wg.Wait()
	if err == nil && row != rows {
		err = errRowCount
	}
	if err != nil {
		return nil, err
	}
	return set.inputs(), nil
}
