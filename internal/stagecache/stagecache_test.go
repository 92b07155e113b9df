package stagecache_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/stagecache"
)

type result struct {
	Rows int          `json:"rows"`
	Ref  artifact.Ref `json:"ref"`
}

func newCache(t *testing.T) (stagecache.Cache, artifact.Store) {
	t.Helper()
	store, err := artifact.NewFileStore(t.TempDir())
	require.NoError(t, err)
	return stagecache.Cache{Store: store}, store
}

func TestKeyDependsOnEveryPartAndNotOnMapOrder(t *testing.T) {
	k1, err := stagecache.Key("validation", "sha-a", map[string]string{"x": "1", "y": "2"}, "v1")
	require.NoError(t, err)
	k2, err := stagecache.Key("validation", "sha-a", map[string]string{"y": "2", "x": "1"}, "v1")
	require.NoError(t, err)
	assert.Equal(t, k1, k2, "the same parts give the same key")
	for name, parts := range map[string][]any{
		"input digest": {"sha-b", map[string]string{"x": "1", "y": "2"}, "v1"},
		"config":       {"sha-a", map[string]string{"x": "1", "y": "3"}, "v1"},
		"code version": {"sha-a", map[string]string{"x": "1", "y": "2"}, "v2"},
	} {
		k, err := stagecache.Key("validation", parts...)
		require.NoError(t, err)
		assert.NotEqual(t, k1, k, "a changed %s changes the key", name)
	}
	k, err := stagecache.Key("features", "sha-a", map[string]string{"x": "1", "y": "2"}, "v1")
	require.NoError(t, err)
	assert.NotEqual(t, k1, k, "another stage kind gives another key")
	_, err = stagecache.Key("training", func() {})
	assert.Error(t, err, "a part that cannot be encoded is an error, not a silent key")
}

func TestPutThenGetReturnsTheResultWhileItsArtifactsAreThere(t *testing.T) {
	ctx := context.Background()
	c, store := newCache(t)
	ref, err := artifact.PutBytes(ctx, store, "datasets/p/abc/data.parquet", []byte("PAR1 data"), "application/vnd.apache.parquet")
	require.NoError(t, err)
	want := result{Rows: 5, Ref: ref}

	var got result
	_, hit, miss := c.Get(ctx, "ingestion", "k1", &got)
	assert.False(t, hit)
	assert.Empty(t, miss.Reason, "a key never recorded is a plain miss, no warning")

	require.NoError(t, c.Put(ctx, "ingestion", "k1", "churn-1", []artifact.Ref{ref}, want))
	e, hit, miss := c.Get(ctx, "ingestion", "k1", &got)
	require.True(t, hit, miss.Reason)
	assert.Equal(t, want, got)
	assert.Equal(t, "churn-1", e.WorkflowID)
	assert.False(t, e.Created.IsZero())

	// An artifact overwritten with other bytes: the entry is not used.
	_, err = artifact.PutBytes(ctx, store, "datasets/p/abc/data.parquet", []byte("PAR1 other"), "application/vnd.apache.parquet")
	require.NoError(t, err)
	_, hit, miss = c.Get(ctx, "ingestion", "k1", &got)
	assert.False(t, hit)
	assert.Contains(t, miss.Reason, "changed")

	// An artifact deleted: a miss that says which.
	require.NoError(t, store.Delete(ctx, "datasets/p/abc/data.parquet"))
	_, hit, miss = c.Get(ctx, "ingestion", "k1", &got)
	assert.False(t, hit)
	assert.Contains(t, miss.Reason, ref.URI+" is gone")
}

func TestCorruptEntriesAreMissesWithAReasonAndArePutRight(t *testing.T) {
	ctx := context.Background()
	c, store := newCache(t)
	for name, body := range map[string]string{
		"not json":     `{"format": "mlpipe.stagec`,
		"wrong format": `{"format": "other", "stage": "validation", "key": "k", "result": {}}`,
		"other key":    `{"format": "mlpipe.stagecache.v1", "stage": "validation", "key": "x", "result": {}}`,
		"no result":    `{"format": "mlpipe.stagecache.v1", "stage": "validation", "key": "k"}`,
		"wrong result": `{"format": "mlpipe.stagecache.v1", "stage": "validation", "key": "k", "result": {"rows": "many"}}`,
		"binary":       "\x00\xff\xfe",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := artifact.PutBytes(ctx, store, "stagecache/validation/k.json", []byte(body), "application/json")
			require.NoError(t, err)
			var got result
			_, hit, miss := c.Get(ctx, "validation", "k", &got)
			assert.False(t, hit)
			assert.Contains(t, miss.Reason, "stagecache/validation/k.json")

			// Recording the stage again replaces the unusable entry.
			require.NoError(t, c.Put(ctx, "validation", "k", "run-2", nil, result{Rows: 3}))
			_, hit, miss = c.Get(ctx, "validation", "k", &got)
			require.True(t, hit, miss.Reason)
			assert.Equal(t, 3, got.Rows)
		})
	}
}

// Two runs that record the same key at once both succeed and leave one
// whole entry; the first one written is kept.
func TestConcurrentPutsLeaveOneWholeEntry(t *testing.T) {
	ctx := context.Background()
	c, _ := newCache(t)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Put(ctx, "features", "k", "run", nil, result{Rows: 42})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	var got result
	_, hit, miss := c.Get(ctx, "features", "k", &got)
	require.True(t, hit, miss.Reason)
	assert.Equal(t, 42, got.Rows)
}
