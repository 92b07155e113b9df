package spec_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlpipe/mlpipe/internal/spec"
)

func TestCacheSwitchPerPipelineAndPerStage(t *testing.T) {
	p, err := spec.Load(copyExample(t))
	require.NoError(t, err)
	for _, st := range p.Stages {
		assert.Equal(t, spec.CacheDefault, p.StageCache(st), "left out: %s", st.Name)
	}

	p, err = spec.Load(copyExample(t, "name: churn\n", "name: churn\ncache: false\n",
		"    outputs: [trained_model]\n", "    outputs: [trained_model]\n    cache: true\n"))
	require.NoError(t, err)
	require.NoError(t, p.Validate())
	got := map[string]string{}
	for _, st := range p.Stages {
		got[st.Name] = p.StageCache(st)
	}
	assert.Equal(t, spec.CacheOff, got["data_ingestion"], "the pipeline's switch applies")
	assert.Equal(t, spec.CacheOn, got["model_training"], "a stage's own switch wins")
}

func TestCacheOnTheDeploymentStageIsRefused(t *testing.T) {
	_, err := spec.Load(copyExample(t, "    gate: [evaluation_threshold]\n", "    gate: [evaluation_threshold]\n    cache: true\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stages.model_deployment.cache: the deployment stage is never cached")
}

func TestCacheMisspeltIsRefusedWithTheKeyMeant(t *testing.T) {
	_, err := spec.Load(copyExample(t, "name: churn\n", "name: churn\ncahce: false\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"cache"`)
}
