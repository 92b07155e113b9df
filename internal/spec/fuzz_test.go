package spec_test

import (
	"encoding/json"
	"os"
	"testing"
	"unicode/utf8"

	"github.com/mlpipe/mlpipe/internal/spec"
)

// FuzzParse feeds the YAML spec parser arbitrary bytes. It must never panic;
// a spec it accepts must survive the trip through the JSON workflow input
// unchanged, since that is how every accepted spec reaches the workflow.
// `go test` runs the seed corpus (the example specs and the corpus under
// testdata/fuzz); `make fuzz` explores. It passes -fuzzminimizetime 1x:
// the default minimises each new input for up to 60 s, during which the
// fuzzer runs nothing else and looks stalled.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"../../dev/examples/churn/pipeline.yaml", "../../dev/examples/churn/search_gbt.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("name: x\nstages: {}\n"))
	f.Add([]byte("stages:\n  data_ingestion:\n    inputs: [raw_data_source]\n    outputs: [raw_data]\n"))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := spec.Parse(b, "fuzz.yaml")
		if err != nil {
			if p != nil {
				t.Fatalf("Parse returned a spec and an error: %v", err)
			}
			return
		}
		j, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("an accepted spec does not encode as workflow input: %v", err)
		}
		if !utf8.Valid(j) {
			t.Fatalf("an accepted spec's workflow input is not valid UTF-8: %q", j)
		}
		back, err := spec.DecodeJSON(j)
		if err != nil {
			t.Fatalf("an accepted spec's workflow input is refused by the workflow's decoder: %v\n%s", err, j)
		}
		j2, err := json.Marshal(back)
		if err != nil {
			t.Fatal(err)
		}
		if string(j) != string(j2) {
			t.Fatalf("the workflow input changes on its way through JSON:\n%s\n%s", j, j2)
		}
	})
}
