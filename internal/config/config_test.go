package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDefaults(t *testing.T) {
	for _, k := range []string{"MLPIPE_ARTIFACTS", "MLPIPE_GATEWAY_ADDR", "MLPIPE_GATEWAY_URL", "MLPIPE_ADMIN_TOKEN", "MLPIPE_GATEWAY_REFRESH"} {
		t.Setenv(k, "")
	}
	s := FromEnv()
	assert.Equal(t, ".mlpipe/artifacts", s.Artifacts)
	assert.Equal(t, "127.0.0.1:8080", s.GatewayAddr)
	assert.Equal(t, "http://127.0.0.1:8080", s.GatewayURL)
	assert.Equal(t, 2*time.Second, s.Refresh)
}

func TestEnvironmentOverrides(t *testing.T) {
	t.Setenv("MLPIPE_ARTIFACTS", "s3://bucket/ml")
	t.Setenv("MLPIPE_GATEWAY_ADDR", "127.0.0.1:9090")
	t.Setenv("MLPIPE_GATEWAY_URL", "")
	t.Setenv("MLPIPE_GATEWAY_REFRESH", "250ms")
	s := FromEnv()
	assert.Equal(t, "s3://bucket/ml", s.Artifacts)
	assert.Equal(t, "http://127.0.0.1:9090", s.GatewayURL, "the URL follows the address unless set")
	assert.Equal(t, 250*time.Millisecond, s.Refresh)
}
