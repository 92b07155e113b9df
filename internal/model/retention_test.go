package model

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckpointFileNamesRoundTrip(t *testing.T) {
	for _, epoch := range []int{1, 5, 9999, 10000, 1_000_000_000} {
		got, ok := CheckpointEpoch("checkpoints/m/wf/run/7/" + CheckpointFile(epoch))
		require.True(t, ok, epoch)
		assert.Equal(t, epoch, got)
	}
	for _, name := range []string{"bundle.json", "epoch-.json", "epoch-00x1.json", "epoch-0005.json.tmp", "epoch-0000.json", "epoch--5.json"} {
		_, ok := CheckpointEpoch(name)
		assert.False(t, ok, name)
	}
}

// A simulated run: a checkpoint whenever one is due, one epoch a second,
// announcements arriving up to 3 s after the write. Never more than Keep
// checkpoints exist, the one a retry would resume from is never among
// those deleted, and checkpoints keep coming.
func TestRetentionKeepsTheResumePointAndAtMostKeep(t *testing.T) {
	const delivery = 3 * time.Second
	r := NewRetention(3, 0, delivery)
	t0 := time.Unix(0, 0)
	stored := map[string]bool{}
	type announce struct {
		epoch int
		at    time.Time
	}
	var announced []announce
	written := 0
	for epoch := 1; epoch <= 200; epoch++ {
		now := t0.Add(time.Duration(epoch) * time.Second)
		// What the resuming side holds now: the newest announcement that
		// has arrived, each taking up to delivery.
		resumeFrom := 0
		for _, a := range announced {
			if now.Sub(a.at) >= delivery*time.Duration(a.epoch%4)/3 {
				resumeFrom = a.epoch
			}
		}
		for _, k := range r.Deletable(now) {
			e, _ := CheckpointEpoch(k)
			require.NotEqual(t, resumeFrom, e, "epoch %d: deletes the checkpoint a retry resumes from", epoch)
			delete(stored, k)
			r.Deleted(k)
		}
		if r.Due(now) {
			k := CheckpointFile(epoch)
			stored[k] = true
			r.Written(epoch, k, now)
			announced = append(announced, announce{epoch, now})
			written++
		}
		require.LessOrEqual(t, len(stored), 3, "epoch %d: %v", epoch, stored)
		if resumeFrom > 0 {
			require.True(t, stored[CheckpointFile(resumeFrom)], "epoch %d: the resume point %d is stored", epoch, resumeFrom)
		}
	}
	assert.Greater(t, written, 50, "checkpoints go on being written as announcements arrive")
	assert.Positive(t, r.Anchor())
}

func TestRetentionWritesNoMoreOftenThanTheInterval(t *testing.T) {
	r := NewRetention(3, 10*time.Second, 0)
	t0 := time.Unix(0, 0)
	assert.True(t, r.Due(t0), "the first checkpoint is written at once")
	r.Written(5, CheckpointFile(5), t0)
	assert.False(t, r.Due(t0.Add(9*time.Second)))
	assert.True(t, r.Due(t0.Add(10*time.Second)))
}

// Without arrived announcements nothing is deleted, and writing stops at
// Keep rather than deleting what a retry may resume from.
func TestRetentionWaitsForAnnouncementsBeforeDeleting(t *testing.T) {
	r := NewRetention(3, 0, time.Hour)
	t0 := time.Unix(0, 0)
	for epoch := 1; epoch <= 3; epoch++ {
		require.True(t, r.Due(t0))
		r.Written(epoch, CheckpointFile(epoch), t0)
	}
	assert.False(t, r.Due(t0), "a fourth would leave no room for the resume point")
	assert.Empty(t, r.Deletable(t0.Add(time.Minute)))

	// Epoch 2's announcement has arrived: epoch 1 goes, epoch 2 stays.
	r.entries[1].written = t0.Add(-time.Hour)
	assert.Equal(t, []string{CheckpointFile(1)}, r.Deletable(t0))
	r.Deleted(CheckpointFile(1))
	assert.True(t, r.Due(t0))
}

// A retry that resumes from epoch 10 keeps that checkpoint as its anchor,
// may prune the older one and deletes those the killed attempt wrote
// later, which no retry was told of.
func TestRetentionRestart(t *testing.T) {
	r := NewRetention(3, 0, time.Hour)
	stale := r.Restart([]string{"p/epoch-0005.json", "p/epoch-0010.json", "p/epoch-0015.json", "p/epoch-0020.json", "p/notes.txt"}, 10)
	assert.Equal(t, []string{"p/epoch-0015.json", "p/epoch-0020.json"}, stale)
	assert.Equal(t, 10, r.Anchor())
	assert.Equal(t, []string{"p/epoch-0005.json"}, r.Deletable(time.Unix(0, 0)))

	// Starting from scratch, everything left behind is stale.
	r = NewRetention(3, 0, time.Hour)
	assert.Equal(t, []string{"p/epoch-0005.json"}, r.Restart([]string{"p/epoch-0005.json"}, 0))
	assert.True(t, r.Due(time.Unix(0, 0)))
}

func TestRetentionKeepsAtLeastTwo(t *testing.T) {
	r := NewRetention(1, 0, 0)
	t0 := time.Unix(0, 0)
	r.Written(1, CheckpointFile(1), t0)
	assert.Empty(t, r.Deletable(t0.Add(time.Second)))
	require.True(t, r.Due(t0.Add(time.Second)), "room for a newer checkpoint beside the anchor")
	r.Written(2, CheckpointFile(2), t0.Add(time.Second))
	assert.Equal(t, []string{CheckpointFile(1)}, r.Deletable(t0.Add(2*time.Second)))
}
