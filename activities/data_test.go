package activities_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/mlpipe/mlpipe/activities"
	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/expect"
	"github.com/mlpipe/mlpipe/internal/features"
)

// dataIngestErr runs IngestData on csv and returns the store and its error.
func dataIngestErr(t *testing.T, name, csv string) (*artifact.FileStore, error) {
	t.Helper()
	acts, store := newActs(t)
	_, err := execute[activities.IngestDataResult](t, acts, acts.IngestData,
		activities.IngestDataInput{Pipeline: "churn", Source: writeFile(t, name, []byte(csv)), Target: "churned"})
	return store, err
}

// Every way a CSV can be wrong is refused at ingestion, once (no retries),
// naming the file, row and column, and nothing is stored.
func TestIngestDataRefusesBadDataNamingWhereAndWhat(t *testing.T) {
	for name, tc := range map[string]struct {
		csv  string
		want []string
	}{
		"Latin-1 byte": {
			csv: "id,plan,churned\n1,basic,no\n2,b\xe1sic,yes\n",
			want: []string{`latin1.csv: row 2 (line 3), column "plan": "b\xe1sic" is not valid UTF-8 (byte \xe1)`,
				`Latin-1/Windows-1252, where this reads "básic": re-save it as UTF-8`},
		},
		"invalid byte in the target": {
			csv:  "id,churned\n1,no\n2,act\xffive\n",
			want: []string{`row 2 (line 3), column "churned": "act\xffive" is not valid UTF-8 (byte \xff)`},
		},
		"-Inf in a numeric column": {
			csv:  "id,charges,churned\n1,10,no\n2,-Inf,yes\n3,12,no\n",
			want: []string{`row 2 (line 3), column "charges": "-Inf" is not a finite number`, "write it as an empty cell, NA"},
		},
		"a number beyond float64": {
			csv:  "id,charges,churned\n1,10,no\n2,1e999,yes\n",
			want: []string{`row 2 (line 3), column "charges": "1e999" is too large for a 64-bit float`},
		},
		"empty file": {
			csv:  "",
			want: []string{"latin1.csv: empty file: the first line must be a header naming the columns"},
		},
		"header only": {
			csv:  "id,churned\n",
			want: []string{"the file has a header but no rows (columns: id, churned)"},
		},
		"duplicate header": {
			csv:  "id,age,age,churned\n1,2,3,no\n",
			want: []string{`latin1.csv: header: column "age" appears twice (columns 2 and 3): rename one`},
		},
		"ragged row": {
			csv:  "id,age,churned\n1,30,no\n2,41\n",
			want: []string{"latin1.csv: row 2 (line 3): has 2 fields, header has 3 (id, age, churned)"},
		},
		"stray quote": {
			csv:  "id,note,churned\n1,say \"hi\",no\n",
			want: []string{`latin1.csv: row 1 (line 2): bare " in non-quoted-field: a field with a " in it must be quoted`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			store, err := dataIngestErr(t, "latin1.csv", tc.csv)
			ae := appError(t, err, activities.ErrInvalidInput)
			for _, w := range tc.want {
				assert.Contains(t, ae.Error(), w)
			}
			assert.Equal(t, ae.Error(), strings.ToValidUTF8(ae.Error(), "?"), "the message is valid UTF-8")
			assert.Empty(t, keys(t, store, "datasets/"), "nothing is stored for bad input")
		})
	}
}

// R's write.csv (BOM, quoted header) and Windows line ends read as usual.
func TestIngestDataReadsRAndExcelFiles(t *testing.T) {
	acts, _ := newActs(t)
	for _, csv := range []string{
		"\ufeff\"id\",\"age\",\"churned\"\r\n\"1\",30,\"no\"\r\n\"2\",41,\"yes\"\r\n",
		"\ufeffid,age,churned\n1,30,no\n2,41,yes\n",
	} {
		res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData,
			activities.IngestDataInput{Pipeline: "r", Source: writeFile(t, "r.csv", []byte(csv)), Target: "churned"})
		require.NoError(t, err)
		assert.Equal(t, []string{"id", "age", "churned"}, res.Dataset.Columns)
		assert.Equal(t, 2, res.Dataset.Rows)
	}
}

func TestIngestDataNamesWhatIsWrongWithTheSourcePath(t *testing.T) {
	dir := t.TempDir()
	acts, _ := newActs(t)
	_, err := execute[activities.IngestDataResult](t, acts, acts.IngestData,
		activities.IngestDataInput{Pipeline: "churn", Source: "file://" + dir})
	ae := appError(t, err, activities.ErrInvalidInput)
	assert.Equal(t, "ingest file://"+dir+": is a directory; point data.source at a file", ae.Message())

	missing := filepath.Join(dir, "churn.csv")
	_, err = execute[activities.IngestDataResult](t, acts, acts.IngestData,
		activities.IngestDataInput{Pipeline: "churn", Source: missing})
	ae = appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Message(), missing+": artifact does not exist: no file at that path: check data.source")
}

func TestIngestDataRecordsTheSourceInTheLineage(t *testing.T) {
	acts, _ := newActs(t)
	data := churnCSV(t, 50, genTime)
	uri := writeFile(t, "churn.csv", data)
	mod := time.Date(2026, 11, 25, 19, 5, 33, 0, time.UTC)
	require.NoError(t, os.Chtimes(strings.TrimPrefix(uri, "file://"), mod, mod))
	res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData,
		activities.IngestDataInput{Pipeline: "churn", Source: uri, Target: "churned"})
	require.NoError(t, err)
	require.NotNil(t, res.Dataset.Source)
	assert.Equal(t, artifact.SourceInfo{URI: uri, Size: int64(len(data)), ModTime: mod}, *res.Dataset.Source)
}

// A CSV still being written when it is read is refused with a retryable
// error; once it is complete, the next attempt ingests all of it.
func TestIngestDataRefusesAFileThatChangesWhileRead(t *testing.T) {
	acts, store := newActs(t)
	data := churnCSV(t, 2000, genTime)
	uri := writeFile(t, "churn.csv", data)
	path := strings.TrimPrefix(uri, "file://")
	more := churnCSV(t, 10, genTime)
	acts.OnSourceRead = func(string) {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = f.Write(more[strings.IndexByte(string(more), '\n')+1:]) // rows, no header
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	in := activities.IngestDataInput{Pipeline: "churn", Source: uri, Target: "churned"}
	_, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, in)
	require.Error(t, err)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "%T: %v", err, err)
	assert.Equal(t, activities.ErrSourceChanged, ae.Type())
	assert.False(t, ae.NonRetryable(), "a later attempt may find the file complete")
	assert.Contains(t, ae.Message(), "ingest "+uri+": read "+path+": the file changed while being read: its size went from")
	assert.Empty(t, keys(t, store, "datasets/"), "nothing is stored from a torn read")

	acts.OnSourceRead = nil
	res, err := execute[activities.IngestDataResult](t, acts, acts.IngestData, in)
	require.NoError(t, err)
	assert.Equal(t, 2010, res.Dataset.Rows)
}

// A dataset stored before ingestion refused infinities is refused at
// validation, naming the column and row, without retries.
func TestValidateDataRefusesAStoredDatasetWithInfinities(t *testing.T) {
	acts, store := newActs(t)
	ref, err := artifact.PutBytes(context.Background(), store, "datasets/old/raw.csv", []byte("id,age\n1,30\n2,-Inf\n"), "text/csv")
	require.NoError(t, err)
	_, err = execute[activities.ValidateDataResult](t, acts, acts.ValidateData,
		activities.ValidateDataInput{Dataset: activities.Dataset{Ref: ref, Rows: 2, Columns: []string{"id", "age"}}})
	ae := appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), `row 2 (line 3), column "age": "-Inf" is not a finite number`)
}

// "n/a" and "?" in a numeric column: the failure names those cells.
func TestValidateDataNamesCellsThatAreNotNumbers(t *testing.T) {
	acts, _ := newActs(t)
	ds := ingestText(t, acts, "id,age\n1,30\n2,n/a\n3,41\n4,?\n")
	_, err := execute[activities.ValidateDataResult](t, acts, acts.ValidateData,
		activities.ValidateDataInput{Dataset: ds, Checks: expect.Checks{Schema: map[string]string{"age": "float"}}})
	ae := appError(t, err, activities.ErrValidationFailed)
	assert.Contains(t, ae.Error(), `age: schema (expected float, got string: 2 of its 4 values are not numbers (row 2 "n/a", row 4 "?"); `+
		`if they mean missing, write them as an empty cell, NA, N/A, null, NULL, NaN or nan; or change validation.schema.age)`)
}

// With data.test_source the model is evaluated elsewhere: every row trains.
func TestEngineerFeaturesWithATestSourceHoldsNothingOut(t *testing.T) {
	acts, store := newActs(t)
	ds := ingest(t, acts, 500)
	split := engineer(t, acts, ds, churnFeatures())
	res, err := execute[activities.EngineerFeaturesResult](t, acts, acts.EngineerFeatures,
		activities.EngineerFeaturesInput{Pipeline: "churn", Dataset: ds, Spec: churnFeatures(), TestSource: "file:///data/test.csv"})
	require.NoError(t, err)
	fs := res.Features
	assert.Equal(t, 500, fs.TrainRows, "every source row trains")
	assert.Zero(t, fs.TestRows)
	assert.Equal(t, 500, readMatrix(t, fs.Train).Rows())
	assert.Empty(t, fs.Test.URI)
	assert.NotEqual(t, split.Version, fs.Version, "a different feature set from the split one")
	prefix := "features/churn/" + fs.Version + "/"
	assert.Equal(t, []string{prefix + "manifest.json", prefix + "train.matrix", prefix + "transform.json"}, keys(t, store, prefix))
}

// failingStore fails writes of keys with a given suffix.
type failingStore struct {
	artifact.Store
	suffix string
}

func (s failingStore) Put(ctx context.Context, key string, r io.Reader, mediaType string) (artifact.Ref, error) {
	if strings.HasSuffix(key, s.suffix) {
		return artifact.Ref{}, errors.New("disk full")
	}
	return s.Store.Put(ctx, key, r, mediaType)
}

// A feature-store version is whole or absent: a write that fails part-way
// removes what was written.
func TestEngineerFeaturesLeavesNoHalfWrittenVersion(t *testing.T) {
	for _, suffix := range []string{"test.matrix", "transform.json", "manifest.json"} {
		t.Run(suffix, func(t *testing.T) {
			acts, store := newActs(t)
			ds := ingest(t, acts, 200)
			acts.Store = failingStore{Store: store, suffix: suffix}
			_, err := execute[activities.EngineerFeaturesResult](t, acts, acts.EngineerFeatures,
				activities.EngineerFeaturesInput{Pipeline: "churn", Dataset: ds, Spec: churnFeatures()})
			require.ErrorContains(t, err, "disk full")
			assert.Empty(t, keys(t, store, "features/"))
		})
	}
}

// Values so large their statistics overflow are refused, naming the column,
// with nothing written.
func TestEngineerFeaturesRefusesValuesTooLargeToScale(t *testing.T) {
	acts, store := newActs(t)
	var b strings.Builder
	b.WriteString("x,churned\n")
	for i := 0; i < 20; i++ {
		b.WriteString([]string{"1.7e308,yes\n", "-1.7e308,no\n"}[i%2])
	}
	ds := ingestText(t, acts, b.String())
	_, err := execute[activities.EngineerFeaturesResult](t, acts, acts.EngineerFeatures, activities.EngineerFeaturesInput{
		Pipeline: "big", Dataset: ds,
		Spec: features.Spec{Target: "churned", Positive: "yes", Split: features.SplitSpec{Seed: 1}, Columns: []features.ColumnSpec{{Column: "x"}}},
	})
	ae := appError(t, err, activities.ErrInvalidInput)
	assert.Contains(t, ae.Error(), `features: fit column "x": values too large to impute or scale`)
	assert.Empty(t, keys(t, store, "features/"))
}
