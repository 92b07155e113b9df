package activities

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// digestJSON keys a stage output by its config: the same config gives the
// same key, so unchanged work is found and reused.
func digestJSON(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		b, err := json.Marshal(p)
		if err != nil {
			// Config types are plain data; this cannot fail for them.
			panic(err)
		}
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
