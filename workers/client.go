package workers

import (
	"context"
	"fmt"
	"log/slog"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/log"

	"github.com/mlpipe/mlpipe/workflows"
)

// Dial connects to Temporal the way Temporal's own tools do: TOML profiles
// and TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings
// (go.temporal.io/sdk/contrib/envconfig). Unset, it is the local dev server.
// A non-empty hostPort overrides the address.
func Dial(ctx context.Context, hostPort string, logger *slog.Logger) (client.Client, error) {
	return DialMetrics(ctx, hostPort, logger, nil)
}

// DialMetrics is Dial with the SDK's metrics going to mh (nil: none).
func DialMetrics(ctx context.Context, hostPort string, logger *slog.Logger, mh client.MetricsHandler) (client.Client, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return nil, fmt.Errorf("temporal client settings: %w", err)
	}
	if hostPort != "" {
		opts.HostPort = hostPort
	}
	if logger != nil {
		opts.Logger = log.NewStructuredLogger(logger)
	}
	if mh != nil {
		opts.MetricsHandler = mh
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		addr := opts.HostPort
		if addr == "" {
			addr = client.DefaultHostPort
		}
		return nil, fmt.Errorf("connect to Temporal at %s (start one with `make dev` or set TEMPORAL_ADDRESS): %w", addr, err)
	}
	return c, nil
}

// EnsureSearchAttributes registers MLModelName and MLPipelineStage on the
// namespace when they are missing. A dev server whose SQLite file already
// exists ignores `--search-attribute`, so this runs at every worker start.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	if namespace == "" {
		namespace = client.DefaultNamespace
	}
	op := c.OperatorService()
	have, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes of %s: %w", namespace, err)
	}
	want := map[string]enumspb.IndexedValueType{}
	for _, k := range workflows.SearchAttributes {
		if _, ok := have.GetCustomAttributes()[k.GetName()]; !ok {
			want[k.GetName()] = enumspb.IndexedValueType(k.GetValueType())
		}
	}
	if len(want) == 0 {
		return nil
	}
	_, err = op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: want})
	if err != nil {
		return fmt.Errorf("register search attributes %v on %s (or run `temporal operator search-attribute create`): %w", want, namespace, err)
	}
	return nil
}
