// Package config holds the settings every mlpipe process shares, read from
// the environment so workers, the gateway and the CLI agree without flags.
// Temporal's own settings (TEMPORAL_ADDRESS, ...) are read by envconfig in
// package workers, as Temporal's tools read them.
package config

import (
	"os"
	"time"
)

// Settings are mlpipe's own settings.
type Settings struct {
	// Artifacts is the artifact store: a folder, file:///abs/dir or
	// s3://bucket/prefix (MLPIPE_ARTIFACTS, default .mlpipe/artifacts).
	Artifacts string
	// GatewayAddr is where `mlpipe serve` listens (MLPIPE_GATEWAY_ADDR,
	// default 127.0.0.1:8080).
	GatewayAddr string
	// GatewayURL is how clients reach the gateway (MLPIPE_GATEWAY_URL,
	// default http:// + GatewayAddr).
	GatewayURL string
	// AdminToken protects the gateway's admin API when set
	// (MLPIPE_ADMIN_TOKEN).
	AdminToken string
	// Refresh is how often the gateway polls the registry
	// (MLPIPE_GATEWAY_REFRESH, default 2s).
	Refresh time.Duration
}

// FromEnv reads Settings from the environment, with defaults.
func FromEnv() Settings {
	s := Settings{
		Artifacts:   env("MLPIPE_ARTIFACTS", ".mlpipe/artifacts"),
		GatewayAddr: env("MLPIPE_GATEWAY_ADDR", "127.0.0.1:8080"),
		AdminToken:  os.Getenv("MLPIPE_ADMIN_TOKEN"),
		Refresh:     2 * time.Second,
	}
	s.GatewayURL = env("MLPIPE_GATEWAY_URL", "http://"+s.GatewayAddr)
	if d, err := time.ParseDuration(os.Getenv("MLPIPE_GATEWAY_REFRESH")); err == nil && d > 0 {
		s.Refresh = d
	}
	return s
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
