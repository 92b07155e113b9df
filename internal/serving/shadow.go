package serving

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// shadowJob is one mirrored request: the rows, what production answered,
// and the shadow variant as routed when the request came in.
type shadowJob struct {
	model      string
	shadow     *variant
	rows       []map[string]any
	production []Prediction
	requestID  string
}

// shadowPool scores mirrored requests on a few workers behind a bounded
// queue. submit never blocks: a full queue drops the mirror, because the
// caller's latency matters more than the shadow's sample size.
type shadowPool struct {
	jobs    chan shadowJob
	stop    chan struct{}
	workers int
	run     func(shadowJob)
	start   sync.Once
	stopped sync.Once
	wg      sync.WaitGroup
}

func newShadowPool(workers, queue int, run func(shadowJob)) *shadowPool {
	return &shadowPool{jobs: make(chan shadowJob, queue), stop: make(chan struct{}), workers: workers, run: run}
}

// submit queues a job, starting the workers on first use so a gateway
// without shadows runs none; false means it was dropped.
func (p *shadowPool) submit(j shadowJob) bool {
	select {
	case <-p.stop:
		return false
	default:
	}
	p.start.Do(func() {
		p.wg.Add(p.workers)
		for range p.workers {
			go p.work()
		}
	})
	select {
	case p.jobs <- j:
		return true
	default:
		return false
	}
}

func (p *shadowPool) work() {
	defer p.wg.Done()
	for {
		select {
		case <-p.stop:
			return
		case j := <-p.jobs:
			p.run(j)
		}
	}
}

// close stops the workers and waits for the jobs they are running.
func (p *shadowPool) close() {
	p.stopped.Do(func() { close(p.stop) })
	p.wg.Wait()
}

// runShadow scores a mirrored request with the shadow and compares it with
// production row by row. Its answer goes to the stats and the prediction
// log, never to the caller.
func (g *Gateway) runShadow(j shadowJob) {
	defer g.shadowRows.give(len(j.rows))
	sv := j.shadow
	start := time.Now()
	var preds []Prediction
	err := shadowInputs(sv.schema, j.rows)
	if err == nil {
		preds, err = safePredict(sv.predictor, j.rows)
	}
	if err == nil && len(preds) != len(j.rows) {
		err = fmt.Errorf("returned %d predictions for %d rows", len(preds), len(j.rows))
	}
	d := time.Since(start)
	if err != nil {
		sv.epoch.request(http.StatusInternalServerError, d)
		sv.total.shadowErrors.Add(1)
		g.logFailure(j.model, sv, j.requestID, http.StatusInternalServerError, start)
		g.opts.Logger.Warn("shadow prediction failed", "model", j.model, "version", sv.version.Version, "request_id", j.requestID, "err", err)
		return
	}
	sv.epoch.request(http.StatusOK, d)
	sv.epoch.scored(preds, sv.positive)
	var agreed int64
	for i, p := range preds {
		if p.Label == j.production[i].Label {
			agreed++
		} else {
			g.opts.Logger.Debug("shadow disagrees", "model", j.model, "version", sv.version.Version, "request_id", j.requestID, "row", i,
				"shadow", p.Label, "production", j.production[i].Label)
		}
	}
	n := int64(len(preds))
	sv.epoch.compared.Add(n)
	sv.epoch.agreed.Add(agreed)
	sv.total.rows.Add(uint64(n))
	sv.total.compared.Add(uint64(n))
	sv.total.agreed.Add(uint64(agreed))
	g.log.shadowed(j.model, j.requestID, sv.scoring, preds)
	g.logPredictions(j.model, sv, j.requestID, j.rows, nil, preds, start)
}

// shadowInputs holds the shadow to what production is held to: rows that
// miss a column it reads, or carry a number that is not finite, are a
// shadow error rather than an answer made up from imputed values.
// Keys it does not read were already judged for the request.
func shadowInputs(sc *inputSchema, rows []map[string]any) error {
	if sc == nil {
		return nil
	}
	c := checkRows(sc, nil, rows)
	switch {
	case c == nil:
		return nil
	case c.missing != nil:
		return fmt.Errorf("the request misses columns the shadow takes: %s", strings.Join(c.missingNames(sc), ", "))
	case c.bad != nil:
		return c.bad
	}
	return nil
}
