package main

import (
	"context"
	"fmt"
	"strings"
)

// report prints where a pipeline's evaluation report is: the JSON for
// machines and the self-contained HTML page for reviewers.
func (m *Main) report(ctx context.Context, args []string) error {
	fs := newFlags("report")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("usage: mlpipe report WORKFLOW_ID")
	}
	c, err := m.quietClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := pipelineStatus(ctx, c, pos[0])
	if err != nil {
		return err
	}
	var html, js string
	for _, s := range st.Stages {
		for _, r := range s.Artifacts {
			switch {
			case strings.HasSuffix(r.URI, ".html"):
				html = r.URI
			case strings.Contains(r.URI, "reports/evaluation/") && strings.HasSuffix(r.URI, ".json"):
				js = r.URI
			}
		}
	}
	if html == "" && js == "" {
		return fmt.Errorf("pipeline %s has no evaluation report yet (state %s)", pos[0], st.State)
	}
	fmt.Fprintf(m.Stdout, "html  %s\njson  %s\n", html, js)
	if p, ok := strings.CutPrefix(html, "file://"); ok {
		fmt.Fprintf(m.Stdout, "open it: xdg-open %s\n", p)
	}
	return nil
}
