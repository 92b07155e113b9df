package main

import (
	"errors"
	"flag"
	"io"
	"strings"
)

// newFlags makes a subcommand's flag set that reports errors as usage
// errors instead of exiting.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("mlpipe "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses flags that may come before or after positional arguments
// (`mlpipe approve ID --as alice` and `mlpipe approve --as alice ID`).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, flagsHelp(fs)
		} else if err != nil {
			return nil, usageErr("%v (%s --help lists its flags)", err, fs.Name())
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// flagsHelp is what -h or --help on a subcommand prints, to standard
// output with exit status 0: its flags with their defaults.
func flagsHelp(fs *flag.FlagSet) error {
	var b strings.Builder
	b.WriteString("Usage of " + fs.Name() + ":\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return &exitError{code: exitOK, out: b.String()}
}
