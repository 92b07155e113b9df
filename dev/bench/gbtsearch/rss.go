package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// treeSampler polls the summed resident memory of a process and all its
// descendants (the Temporal dev server beside the workers; scikit-learn's
// joblib workers beside its parent) and keeps the highest sum. Polling can
// miss a peak shorter than its period; both sides are measured the same
// way.
type treeSampler struct {
	root int
	stop chan struct{}
	done sync.WaitGroup
	// peak and peakRoot are the highest tree and root sums, in KiB.
	peak, peakRoot int64
}

func sampleTree(root int, every time.Duration) *treeSampler {
	s := &treeSampler{root: root, stop: make(chan struct{})}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			tree, root := treeRSS(s.root)
			s.peak, s.peakRoot = max(s.peak, tree), max(s.peakRoot, root)
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop ends the polling and returns the peaks in MiB: the tree's and the
// root process's alone.
func (s *treeSampler) Stop() (tree, root float64) {
	close(s.stop)
	s.done.Wait()
	return float64(s.peak) / 1024, float64(s.peakRoot) / 1024
}

// treeRSS is the VmRSS of root and its descendants, and of root alone, in
// KiB.
func treeRSS(root int) (tree, self int64) {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	children := map[int][]int{}
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		pid, err1 := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		ppid, err2 := strconv.Atoi(f[1])
		if err1 == nil && err2 == nil {
			children[ppid] = append(children[ppid], pid)
		}
	}
	self = vmRSS(root)
	tree = self
	queue := children[root]
	for len(queue) > 0 {
		pid := queue[0]
		queue = append(queue[1:], children[pid]...)
		tree += vmRSS(pid)
	}
	return tree, self
}

func vmRSS(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
