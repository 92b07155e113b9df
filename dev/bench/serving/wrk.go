package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// serveForWrk keeps both servers up and prints wrk commands for each case,
// for those who prefer an external load generator. It returns on Ctrl-C.
func serveForWrk(ctx context.Context, out io.Writer, dir string, fx *fixture, gwURL, bareURL string, c config) error {
	fmt.Fprintf(out, "gateway %s\nbare    %s\npid     %d\n\n", gwURL, bareURL, os.Getpid())
	for _, n := range batchSizes {
		script := filepath.Join(dir, "post-"+strconv.Itoa(n)+".lua")
		lua := fmt.Sprintf("wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = %q\n", fx.bodies(n)[0])
		if err := os.WriteFile(script, []byte(lua), 0o644); err != nil {
			return err
		}
		for _, u := range []string{bareURL, gwURL} {
			fmt.Fprintf(out, "wrk -t4 -c%d -d%s --latency -s %s %s\n", c.conns, c.duration, script, u)
		}
	}
	fmt.Fprintln(out, "\nserving until Ctrl-C")
	<-ctx.Done()
	return nil
}
