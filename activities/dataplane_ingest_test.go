package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/dataplane"
	"github.com/mlpipe/mlpipe/internal/frame"
	"github.com/mlpipe/mlpipe/internal/profile"
	"github.com/mlpipe/mlpipe/internal/testenv"
)

func TestIngestDataReadsJSONLinesAndParquet(t *testing.T) {
	jsonl := []byte(`{"id": 1, "city": "Oslo", "seen": "2026-01-02T03:04:05Z", "churned": "no"}
{"id": 2, "city": null, "seen": "2026-02-03T04:05:06Z", "churned": "yes"}
{"id": 3, "city": "NA", "seen": null, "churned": "no"}
`)
	// A Parquet source, as another tool would hand it over.
	eng, err := dataplane.Open(dataplane.Options{})
	require.NoError(t, err)
	defer func() { _ = eng.Close() }()
	csvPath := writeFile(t, "typed.csv", []byte("id,city,seen,churned\n1,Oslo,2026-01-02T03:04:05Z,no\n2,,2026-02-03T04:05:06Z,yes\n3,NA,,no\n"))
	tab, err := eng.Load(context.Background(), csvPath[len("file://"):], dataplane.LoadOptions{})
	require.NoError(t, err)
	pq := filepath.Join(t.TempDir(), "typed.parquet")
	require.NoError(t, eng.WriteParquet(context.Background(), tab, pq))

	for _, tc := range []struct{ name, source, format string }{
		{"json lines", writeFile(t, "typed.jsonl", jsonl), "jsonl"},
		{"parquet", "file://" + pq, "parquet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acts, store := newActs(t)
			res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData,
				activities.IngestDataInput{Pipeline: "p", Source: tc.source, Target: "churned"})
			require.NoError(t, err)
			ds := res.Dataset
			assert.Equal(t, tc.format, ds.SourceFormat)
			assert.Equal(t, "parquet", ds.Format)
			assert.Equal(t, 3, ds.Rows)
			assert.Equal(t, []dataplane.ColumnInfo{{Name: "id", Kind: frame.Float}, {Name: "city", Kind: frame.String},
				{Name: "seen", Kind: frame.Time}, {Name: "churned", Kind: frame.String}}, ds.Schema)
			f := readParquetFrame(t, ds.Ref)
			city, _ := f.Col("city")
			assert.Equal(t, []bool{false, true, true}, city.Null, "null and the NA token are missing")
			seen, _ := f.Col("seen")
			assert.True(t, seen.Times[1].Equal(time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)))
			assert.Len(t, keys(t, store, "datasets/"), 2)
		})
	}
}

func TestIngestDataStoresTheProfile(t *testing.T) {
	acts, _ := newActs(t)
	data := churnCSV(t, 400, genTime)
	res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData,
		activities.IngestDataInput{Pipeline: "churn", Source: writeFile(t, "churn.csv", data), Target: "churned"})
	require.NoError(t, err)
	body, err := artifact.ReadAll(context.Background(), res.Dataset.Profile)
	require.NoError(t, err)
	var p profile.Profile
	require.NoError(t, json.Unmarshal(body, &p))
	assert.EqualValues(t, 400, p.Rows)
	assert.Contains(t, p.Source, res.Dataset.Ref.URI)
	age, ok := p.Col("age")
	require.True(t, ok)
	assert.Equal(t, "float", age.Kind)
	assert.Len(t, age.Quantiles, profile.QuantileProbs)
	churned, _ := p.Col("churned")
	assert.Equal(t, "string", churned.Kind)
	assert.NotEmpty(t, churned.Categories)
	last, _ := p.Col("last_activity")
	assert.Equal(t, "time", last.Kind)
	require.NotNil(t, last.Min)
	assert.Greater(t, *last.Min, 1.7e9, "time columns are profiled as Unix seconds")
}

// Freshness without a timestamp column uses the source's modification
// time: every kind of source must record it.
func TestIngestDataRecordsTheSourceModificationTime(t *testing.T) {
	data := []byte("id,churned\n1,no\n2,yes\n")
	mod := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

	t.Run("file", func(t *testing.T) {
		src := writeFile(t, "d.csv", data)
		require.NoError(t, os.Chtimes(src[len("file://"):], mod, mod))
		acts, _ := newActs(t)
		res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, activities.IngestDataInput{Pipeline: "p", Source: src})
		require.NoError(t, err)
		require.NotNil(t, res.Dataset.Source)
		assert.True(t, mod.Equal(res.Dataset.Source.ModTime), "got %v", res.Dataset.Source.ModTime)
	})
	t.Run("http", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.ServeContent(w, r, "d.csv", mod, bytes.NewReader(data))
		}))
		defer srv.Close()
		acts, _ := newActs(t)
		res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, activities.IngestDataInput{Pipeline: "p", Source: srv.URL + "/d.csv"})
		require.NoError(t, err)
		assert.True(t, mod.Equal(res.Dataset.Source.ModTime), "got %v", res.Dataset.Source.ModTime)
	})
	t.Run("s3", func(t *testing.T) {
		srv := testenv.StartS3(t)
		ctx := context.Background()
		before := time.Now().Add(-time.Minute)
		_, err := srv.Client(ctx).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("in/d.csv"), Body: bytes.NewReader(data)})
		require.NoError(t, err)
		acts, _ := newActs(t)
		res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, activities.IngestDataInput{Pipeline: "p", Source: srv.URI("in/d.csv")})
		require.NoError(t, err)
		got := res.Dataset.Source.ModTime
		assert.False(t, got.IsZero(), "the object's LastModified is recorded")
		assert.True(t, got.After(before), "got %v", got)
		assert.Equal(t, 2, res.Dataset.Rows)
	})
}

func TestIngestDataRefusesBadDataNamingRowAndColumn(t *testing.T) {
	for name, tc := range map[string]struct {
		data []byte
		want []string
	}{
		"latin-1 cell": {[]byte("id,city\n1,Paris\n2,Z\xfcrich\n"),
			[]string{`row 2 (line 3), column "city"`, `byte \xfc`, `reads "Zürich"`, "re-save it as UTF-8"}},
		"utf-16":           {[]byte("\xff\xfei\x00d\x00\n\x00"), []string{"UTF-16", "re-save it as UTF-8"}},
		"empty file":       {nil, []string{"empty file: the first line must be a header"}},
		"duplicate header": {[]byte("id,age,id\n1,2,3\n"), []string{`column "id" appears twice (columns 1 and 3)`}},
		"blank header":     {[]byte("id,,age\n1,2,3\n"), []string{"column 2 has no name"}},
		"infinity": {[]byte("id,age\n1,30\n2,-Inf\n3,inf\n"),
			[]string{`row 2 (line 3), column "age"`, `"-Inf" is not a finite number`, "2 cells like it"}},
		"overflow":       {[]byte("id,age\n1,1e999\n"), []string{`row 1 (line 2), column "age"`, "too large for a 64-bit float"}},
		"bare quote":     {[]byte("id,name\n1,say \"hi\"\n"), []string{"row 1 (line 2)", "bare \" in non-quoted-field"}},
		"too few fields": {[]byte("id,age,churned\n1,30,no\n2,41\n"), []string{"row 2 (line 3): has 2 fields, header has 3"}},
	} {
		t.Run(name, func(t *testing.T) {
			acts, store := newActs(t)
			_, err := execute[activities.IngestDataResult](t, acts, acts.IngestData,
				activities.IngestDataInput{Pipeline: "p", Source: writeFile(t, "bad.csv", tc.data)})
			ae := appError(t, err, activities.ErrInvalidInput)
			assert.Contains(t, ae.Error(), "bad.csv")
			for _, w := range tc.want {
				assert.Contains(t, ae.Error(), w)
			}
			assert.Empty(t, keys(t, store, "datasets/"), "nothing is stored for bad input")
		})
	}
}

// Datasets ingested before Parquet are the raw CSV; later stages still read
// them, and get the same features as from the Parquet of the same data.
func TestEngineerFeaturesReadsDatasetsStoredAsCSVAndAsParquet(t *testing.T) {
	acts, store := newActs(t)
	data := churnCSV(t, 300, genTime)
	ref, err := artifact.PutBytes(context.Background(), store, "datasets/old/0123456789abcdef/raw.csv", data, "text/csv")
	require.NoError(t, err)
	old := activities.Dataset{Ref: ref, Rows: 300, Columns: []string{"customer_id"}}
	fromCSV := engineer(t, acts, old, churnFeatures())
	fromParquet := engineer(t, acts, ingest(t, acts, 300), churnFeatures())
	assert.Equal(t, fromCSV.TrainRows, fromParquet.TrainRows)
	assert.Equal(t, readMatrix(t, fromCSV.Train), readMatrix(t, fromParquet.Train), "the same data gives the same features")
}
