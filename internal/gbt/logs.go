//go:build cgo && !noxgboost

package gbt

// #include <stdlib.h>
import "C"

import (
	"log/slog"
	"strings"
)

// goXGBoostLog receives XGBoost's log lines (warnings at verbosity 1)
// and passes them to slog instead of the process's stderr. It may run on
// any thread, XGBoost's OpenMP workers included.
//
//export goXGBoostLog
func goXGBoostLog(msg *C.char) {
	text := strings.TrimSpace(C.GoString(msg))
	if strings.Contains(text, "DANGER AHEAD") && strings.Contains(text, "`updater`") {
		// Expected: resample sets the updater on purpose (see trainer.go).
		slog.Debug("xgboost", "message", text)
		return
	}
	slog.Warn("xgboost", "message", text)
}
