package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Tool finds a binary the tests need: $env, then <module root>/bin/name
// (where `make tools` installs it), then PATH. A missing tool fails the
// test with the command that installs it.
func Tool(t testing.TB, name, env string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("testenv: %s=%s: %v", env, p, err)
		}
		return p
	}
	if root, ok := moduleRoot(); ok {
		p := filepath.Join(root, "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Fatalf("testenv: %s not found in $%s, <module root>/bin/%s or PATH: run `make tools` to build it", name, env, name)
	return ""
}

// ModuleRoot is the repository root, for tests that read its files.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	root, ok := moduleRoot()
	if !ok {
		t.Fatal("testenv: no go.mod above the working directory")
	}
	return root
}
