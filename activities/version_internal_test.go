package activities

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A model's code_version names the commit its trainer was built from, and
// says when the tree had uncommitted changes.
func TestCodeVersionComesFromTheBuild(t *testing.T) {
	vcs := func(rev, modified string) *debug.BuildInfo {
		return &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}}
	}
	assert.Equal(t, "91d8c8f0a1b2", versionOf(vcs("91d8c8f0a1b2c3d4e5f60718293a4b5c6d7e8f90", "false")))
	assert.Equal(t, "91d8c8f0a1b2+modified", versionOf(vcs("91d8c8f0a1b2c3d4e5f60718293a4b5c6d7e8f90", "true")))
	assert.Equal(t, "v1.2.0", versionOf(&debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}))
	assert.Equal(t, "dev", versionOf(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}))
}
