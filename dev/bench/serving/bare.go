package main

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// bareHandler is the baseline: it decodes the predict body into the same
// shape the gateway does and answers with a precomputed body of the right
// number of constant predictions. What the gateway costs beyond it is
// routing, request IDs, the model and metrics.
func bareHandler() http.Handler {
	answers := map[int][]byte{}
	for _, n := range append(batchSizes, 2) { // 2: the setup check
		preds := make([]map[string]any, n)
		for i := range preds {
			preds[i] = map[string]any{"label": "no", "probability": 0.12345678901234}
		}
		b, err := json.Marshal(map[string]any{"model": modelName, "version": 1, "predictions": preds})
		if err != nil {
			panic(err)
		}
		answers[n] = append(b, '\n')
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Instances []map[string]any `json:"instances"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body, ok := answers[len(req.Instances)]
		if !ok {
			http.Error(w, "no constant answer for "+strconv.Itoa(len(req.Instances))+" rows", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}
