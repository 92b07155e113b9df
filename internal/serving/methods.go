package serving

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// methods maps the HTTP methods a path takes to their handlers.
type methods map[string]http.HandlerFunc

// handle registers each method of path, and for any other method a 405
// that names the allowed ones (ServeMux's own 405 is plain text, and a
// catch-all pattern would turn it into a 404).
func handle(mux *http.ServeMux, path string, ms methods) {
	allowed := slices.Sorted(maps.Keys(ms))
	for _, m := range allowed {
		mux.HandleFunc(m+" "+path, ms[m])
	}
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		notAllowed(w, r, "", allowed...)
	})
}

// notAllowed answers a method the path does not take: 405 with the Allow
// header and a JSON body saying what to send, or for OPTIONS, 204 with
// Allow. A GET path also takes HEAD.
func notAllowed(w http.ResponseWriter, r *http.Request, hint string, allowed ...string) {
	if slices.Contains(allowed, http.MethodGet) && !slices.Contains(allowed, http.MethodHead) {
		allowed = append(slices.Clone(allowed), http.MethodHead)
	}
	slices.Sort(allowed)
	allow := strings.Join(allowed, ", ")
	w.Header().Set("Allow", allow)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	msg := fmt.Sprintf("method %s is not allowed on %s: use %s", r.Method, r.URL.Path, allow)
	if hint != "" {
		msg = fmt.Sprintf("method %s is not allowed here: %s", r.Method, hint)
	}
	writeError(w, r, http.StatusMethodNotAllowed, msg)
}
