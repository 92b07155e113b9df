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
	b.WriteString(commandUsage(fs.Name()))
	b.WriteString("\nFlags of " + fs.Name() + ":\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return &exitError{code: exitOK, out: b.String()}
}

// commandUsage is the lines of mlpipe's usage that show command name
// ("mlpipe rollout status" shows every "mlpipe rollout" line).
func commandUsage(name string) string {
	words := strings.Fields(name)
	if len(words) < 2 {
		return ""
	}
	prefix := words[0] + " " + words[1] + " "
	var b strings.Builder
	b.WriteString("Usage:\n")
	for _, line := range strings.Split(usage, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), prefix) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}
