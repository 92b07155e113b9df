package serving

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// HeaderRequestID correlates a request across client, gateway logs and answer.
const HeaderRequestID = "X-Request-Id"

type requestIDKey struct{}

// withRequestID honours the caller's X-Request-Id, or makes one, and echoes it.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(HeaderRequestID)
		if id == "" || len(id) > 128 {
			id = newRequestID()
		}
		w.Header().Set(HeaderRequestID, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}

// errorBody is every refusal's JSON. Error says what is wrong and what to
// do; the other fields let a program act on it.
type errorBody struct {
	Error     string `json:"error"`
	RequestID string `json:"request_id,omitempty"`
	// Row (0-based) and Column locate a refused value.
	Row    *int   `json:"row,omitempty"`
	Column string `json:"column,omitempty"`
	// Missing are the model's columns a request left out, Unknown the
	// keys it sent that no served version reads, and DidYouMean maps an
	// unknown key to the column it most likely meant.
	Missing    []string          `json:"missing,omitempty"`
	Unknown    []string          `json:"unknown,omitempty"`
	DidYouMean map[string]string `json:"did_you_mean,omitempty"`
	// Inputs are the columns the model takes.
	Inputs []Input `json:"inputs,omitempty"`
	// Limit is the bound a 413 or 503 ran into.
	Limit int `json:"limit,omitempty"`
}

// apiError is a refused request: its status and body, and for a 503 the
// seconds after which to try again.
type apiError struct {
	code       int
	body       errorBody
	retryAfter int
}

func newAPIError(code int, format string, args ...any) *apiError {
	return &apiError{code: code, body: errorBody{Error: fmt.Sprintf(format, args...)}}
}

func writeError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	writeAPIError(w, r, &apiError{code: code, body: errorBody{Error: msg}})
}

func writeAPIError(w http.ResponseWriter, r *http.Request, e *apiError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	body := e.body
	body.RequestID = requestID(r)
	writeJSON(w, e.code, body)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client hung up; nothing left to tell it
}
