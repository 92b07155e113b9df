package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

// `mlpipe SUBCOMMAND --help` lists that subcommand's flags on standard
// output and exits 0; an unknown flag exits 2 and points to --help.
func TestSubcommandHelpListsItsFlags(t *testing.T) {
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := (&Main{Stdout: &out, Stderr: &errOut}).Run(context.Background(), args)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("worker", "--help")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, errOut)
	assert.Contains(t, out, "mlpipe worker --queue cpu|gpu", "the command's usage line")
	assert.Contains(t, out, "Flags of mlpipe worker:")
	for _, f := range []string{"-queue", "-slots", "-prefetch"} {
		assert.Contains(t, out, f)
	}
	code, out, _ = run("run", "-h")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "Flags of mlpipe run:")

	// A command with verbs answers --help before its verb.
	code, out, _ = run("rollout", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "mlpipe rollout status WORKFLOW_ID")
	code, out, _ = run("rollout", "pause", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "mlpipe rollout pause|resume|promote|abort")
	assert.Contains(t, out, "-reason")

	code, out, errOut = run("worker", "--bogus")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "flag provided but not defined: -bogus (mlpipe worker --help lists its flags)")
}

// A device for the trees that is not cpu, cuda or cuda:N is refused before
// the worker connects to anything, saying what to give.
func TestWorkerRefusesAnUnknownTreeDevice(t *testing.T) {
	var out, errOut bytes.Buffer
	code := (&Main{Stdout: &out, Stderr: &errOut}).Run(context.Background(), []string{"worker", "--queue", "gpu", "--xgboost-device", "gpu"})
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut.String(), `--xgboost-device: gradient_boosting: device "gpu": use cpu, cuda or cuda:N`)
}
