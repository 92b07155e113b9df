package activities_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/gen"
)

func TestIngestDataStoresContentAddressed(t *testing.T) {
	acts, store := newActs(t)
	data := churnCSV(t, 300, genTime)
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	in := activities.IngestDataInput{Pipeline: "churn", Source: writeFile(t, "churn.csv", data), Target: "churned"}

	res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, in)
	require.NoError(t, err)
	ds := res.Dataset
	assert.Equal(t, 300, ds.Rows)
	assert.Equal(t, gen.ChurnColumns, ds.Columns)
	assert.Equal(t, digest, ds.SourceSHA256, "lineage keeps the digest of the raw bytes")
	assert.Equal(t, "parquet", ds.Format)
	assert.Equal(t, "csv", ds.SourceFormat)
	prefix := "datasets/churn/" + digest[:16] + "/"
	assert.Equal(t, []string{prefix + "data.parquet", prefix + "profile.json"}, keys(t, store, "datasets/"))
	assert.Equal(t, store.URI(prefix+"profile.json"), ds.Profile.URI)

	// The stored Parquet reads back as the very frame the CSV reads as.
	want, err := frame.ReadCSV(bytes.NewReader(data), frame.ReadOptions{})
	require.NoError(t, err)
	got := readParquetFrame(t, ds.Ref)
	assert.Equal(t, want.Names(), got.Names())
	for i, c := range want.Columns() {
		assert.Equal(t, c.Kind, ds.Schema[i].Kind, "schema of %s", c.Name)
		g, _ := got.Col(c.Name)
		for r := 0; r < want.NumRows(); r++ {
			require.Equal(t, c.Format(r), g.Format(r), "column %s row %d", c.Name, r+1)
		}
	}

	again, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, in)
	require.NoError(t, err)
	assert.Equal(t, ds.Ref.URI, again.Dataset.Ref.URI)
	assert.Equal(t, ds.Ref.SHA256, again.Dataset.Ref.SHA256)
	assert.Equal(t, ds.Profile, again.Dataset.Profile)
	assert.Len(t, keys(t, store, "datasets/"), 2)
}

// readParquetFrame reads a stored Parquet dataset back as a frame.
func readParquetFrame(t *testing.T, ref artifact.Ref) *frame.Frame {
	t.Helper()
	local, cleanup, err := dataplane.Fetch(context.Background(), ref)
	require.NoError(t, err)
	defer cleanup()
	eng, err := dataplane.Open(dataplane.Options{})
	require.NoError(t, err)
	defer func() { _ = eng.Close() }()
	f, err := eng.ReadFrame(context.Background(), local)
	require.NoError(t, err)
	return f
}

func TestIngestDataFromHTTP(t *testing.T) {
	data := churnCSV(t, 50, genTime)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/churn.csv" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(data)
	}))
	defer srv.Close()
	acts, store := newActs(t)

	res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData,
		activities.IngestDataInput{Pipeline: "churn", Source: srv.URL + "/churn.csv", Target: "churned"})
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	assert.Equal(t, hex.EncodeToString(sum[:]), res.Dataset.SourceSHA256)
	assert.Equal(t, 50, res.Dataset.Rows)

	_, err = execute[activities.IngestDataResult](t, acts, acts.IngestData,
		activities.IngestDataInput{Pipeline: "churn", Source: srv.URL + "/gone.csv"})
	ae := appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), "gone.csv")
	assert.Contains(t, ae.Error(), "404")
	assert.Len(t, keys(t, store, "datasets/"), 2)
}

func TestIngestDataRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		in   activities.IngestDataInput
		want []string
	}{
		"missing file": {
			in:   activities.IngestDataInput{Pipeline: "churn", Source: "file://" + filepath.Join(dir, "nope.csv")},
			want: []string{filepath.Join(dir, "nope.csv"), "no file at that path"},
		},
		"ragged row": {
			in:   activities.IngestDataInput{Pipeline: "churn", Source: writeFile(t, "ragged.csv", []byte("id,age,churned\n1,30,no\n2,41\n3,50,yes\n"))},
			want: []string{"ragged.csv", "row 2 (line 3)"},
		},
		"missing target": {
			in: activities.IngestDataInput{Pipeline: "churn", Source: writeFile(t, "churn.csv", churnCSV(t, 20, genTime)), Target: "churn"},
			want: []string{`target column "churn" does not exist; the columns are ` +
				"customer_id, age, status, plan, tenure_months, monthly_charges, support_calls, last_activity, churned (fix data.target)"},
		},
		"header only": {
			in:   activities.IngestDataInput{Pipeline: "churn", Source: writeFile(t, "empty.csv", []byte("id,churned\n"))},
			want: []string{"the file has a header but no rows"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			acts, store := newActs(t)
			_, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, tc.in)
			ae := appError(t, err, activities.ErrInvalidInput)
			for _, w := range tc.want {
				assert.Contains(t, ae.Error(), w)
			}
			assert.Empty(t, keys(t, store, "datasets/"), "nothing is stored for bad input")
		})
	}
}
