package activities

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/matrix"
)

// matrixServer serves matrices over HTTP and counts the reads of each. While
// hold is open, a read waits until it is closed or the reader gives up.
type matrixServer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	bodies  map[string][]byte
	reads   map[string]int
	hold    chan struct{}
	started chan struct{}
}

func newMatrixServer(t *testing.T) *matrixServer {
	s := &matrixServer{bodies: map[string][]byte{}, reads: map[string]int{}, started: make(chan struct{}, 16)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reads[r.URL.Path]++
		body, hold := s.bodies[r.URL.Path], s.hold
		s.mu.Unlock()
		s.started <- struct{}{}
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(func() {
		s.release()
		s.srv.Close()
	})
	return s
}

// put serves m at path and returns its reference, with its digest or without.
func (s *matrixServer) put(t *testing.T, path string, m matrix.Matrix, withDigest bool) artifact.Ref {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, matrix.Write(&b, m))
	s.mu.Lock()
	s.bodies[path] = b.Bytes()
	s.mu.Unlock()
	ref := artifact.Ref{URI: s.srv.URL + path}
	if withDigest {
		sum := sha256.Sum256(b.Bytes())
		ref.SHA256, ref.Size = hex.EncodeToString(sum[:]), int64(b.Len())
	}
	return ref
}

func (s *matrixServer) holdReads() {
	s.mu.Lock()
	s.hold = make(chan struct{})
	s.mu.Unlock()
}

func (s *matrixServer) release() {
	s.mu.Lock()
	if s.hold != nil {
		close(s.hold)
		s.hold = nil
	}
	s.mu.Unlock()
}

func (s *matrixServer) readsOf(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads[path]
}

func labelled(y ...float64) matrix.Matrix {
	x := make([]float64, len(y))
	for i := range x {
		x[i] = float64(i)
	}
	return matrix.Matrix{Names: []string{"x"}, X: x, Y: y}
}

// Two matrices stored without a digest are two matrices: a trial gets the
// one it names, and one whose bytes changed under the same URI is read
// again rather than served stale.
func TestMatrixCacheKeepsReferencesWithoutDigestApart(t *testing.T) {
	s := newMatrixServer(t)
	a, b := labelled(0, 1, 0, 1), labelled(1, 1, 0, 0, 2, 2)
	refA, refB := s.put(t, "/a.csv", a, false), s.put(t, "/b.csv", b, false)
	var acts Activities
	ctx := context.Background()

	got, err := acts.trainMatrix(ctx, refA)
	require.NoError(t, err)
	assert.Equal(t, a.Y, got.m.Y)
	got, err = acts.trainMatrix(ctx, refB)
	require.NoError(t, err)
	assert.Equal(t, b.Y, got.m.Y, "the second matrix, not the first one's cache entry")

	changed := labelled(1, 0, 1, 0)
	s.put(t, "/a.csv", changed, false)
	got, err = acts.trainMatrix(ctx, refA)
	require.NoError(t, err)
	assert.Equal(t, changed.Y, got.m.Y, "a reference without a digest is read again")
	assert.Equal(t, 2, s.readsOf("/a.csv"))
}

// Trials that ask for the same matrix at once share one read; a matrix
// with the same digest at another URI is its own entry.
func TestMatrixCacheSharesOneReadAmongConcurrentTrials(t *testing.T) {
	s := newMatrixServer(t)
	m := labelled(0, 1, 0, 1, 1)
	ref := s.put(t, "/m.csv", m, true)
	var acts Activities
	s.holdReads()

	const trials = 6
	got := make([]*cachedMatrix, trials)
	errs := make([]error, trials)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); got[0], errs[0] = acts.trainMatrix(context.Background(), ref) }()
	<-s.started
	for i := 1; i < trials; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], errs[i] = acts.trainMatrix(context.Background(), ref) }()
	}
	time.Sleep(50 * time.Millisecond) // let them queue behind the first read
	s.release()
	wg.Wait()
	for i := range trials {
		require.NoError(t, errs[i])
		assert.Same(t, got[0], got[i], "trial %d shares the first read", i)
	}
	assert.Equal(t, m.Y, got[0].m.Y)
	assert.Equal(t, 1, s.readsOf("/m.csv"))

	copyRef := s.put(t, "/copy.csv", m, true)
	require.Equal(t, ref.SHA256, copyRef.SHA256)
	other, err := acts.trainMatrix(context.Background(), copyRef)
	require.NoError(t, err)
	assert.NotSame(t, got[0], other)
	assert.Equal(t, 1, s.readsOf("/copy.csv"), "the digest alone is not the key")
}

// A trial cancelled while it reads the matrix for everyone does not leave
// its failure behind: the trial that waited on it reads for itself, and the
// next trial reads and caches the matrix.
func TestMatrixCacheForgetsACancelledRead(t *testing.T) {
	s := newMatrixServer(t)
	m := labelled(0, 1, 1, 0)
	ref := s.put(t, "/m.csv", m, true)
	var acts Activities
	s.holdReads()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	leaderErr := make(chan error, 1)
	go func() {
		_, err := acts.trainMatrix(ctx, ref)
		leaderErr <- err
	}()
	<-s.started
	type result struct {
		e   *cachedMatrix
		err error
	}
	waiter := make(chan result, 1)
	go func() {
		e, err := acts.trainMatrix(context.Background(), ref)
		waiter <- result{e, err}
	}()
	time.Sleep(50 * time.Millisecond) // the waiter waits on the first read
	cancel()
	err := <-leaderErr
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "the cancelled trial sees its cancellation: %v", err)
	s.release()

	w := <-waiter
	require.NoError(t, w.err)
	assert.Equal(t, m.Y, w.e.m.Y)

	next, err := acts.trainMatrix(context.Background(), ref)
	require.NoError(t, err, "the cancelled read is not cached")
	assert.Equal(t, m.Y, next.m.Y)
	reads := s.readsOf("/m.csv")
	again, err := acts.trainMatrix(context.Background(), ref)
	require.NoError(t, err)
	assert.Same(t, next, again, "the good read is cached")
	assert.Equal(t, reads, s.readsOf("/m.csv"))
}
