package serving_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mlpipe/mlpipe/internal/artifact"
	"github.com/mlpipe/mlpipe/internal/registry"
	"github.com/mlpipe/mlpipe/internal/serving"
)

// FuzzPredictRequest sends arbitrary bodies to the predict endpoint. The
// gateway must answer every one: 200 with a prediction per row, or a 4xx
// whose JSON error is valid UTF-8 — never a 5xx, a panic or a hang.
func FuzzPredictRequest(f *testing.F) {
	ctx := context.Background()
	reg, err := registry.Open(ctx, f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	data, err := json.Marshal(bundle{Label: "yes", Probability: 0.83})
	if err != nil {
		f.Fatal(err)
	}
	ref, err := artifact.PutBytes(ctx, reg.Store(), "models/churn/fuzz.json", data, "application/json")
	if err != nil {
		f.Fatal(err)
	}
	if _, err := reg.Register(ctx, registry.Version{Name: "churn", Model: ref}); err != nil {
		f.Fatal(err)
	}
	if err := reg.Promote(ctx, "churn", 1); err != nil {
		f.Fatal(err)
	}
	gw := serving.New(reg, loadBundle, serving.Options{AdminToken: adminToken, MaxRowsPerRequest: 100})
	if err := gw.Reload(ctx); err != nil {
		f.Fatal(err)
	}
	srv := httptest.NewServer(gw.Handler())
	f.Cleanup(srv.Close)
	f.Cleanup(gw.Close)

	for _, seed := range []string{
		twoRows,
		`{"rows": [{"tenure": 1}]}`,
		`{"instances": [{"tenure": 1e400}]}`,
		`{"instances": [{"tenure": "\xff"}]}`,
		`{"instances": [[1, 2]]}`,
		`{"instances": []}`,
		`{"instances": [{"tenure": 1}]} trailing`,
		`[`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := http.Post(srv.URL+"/v1/models/churn:predict", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode >= 500 {
			t.Fatalf("body %q: answered %d %s", body, resp.StatusCode, out)
		}
		if !utf8.Valid(out) {
			t.Fatalf("body %q: the answer is not valid UTF-8: %q", body, out)
		}
		if resp.StatusCode != http.StatusOK {
			var e struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(out, &e); err != nil || e.Error == "" {
				t.Fatalf("body %q: a %d without a JSON error: %s", body, resp.StatusCode, out)
			}
		}
	})
}
