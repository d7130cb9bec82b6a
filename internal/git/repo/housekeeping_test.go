package repo_test

import (
	"context"
	"crypto/sha1"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tandem/internal/git"
	"tandem/internal/git/gittest"
	"tandem/internal/git/repo"
)

// TestHousekeeperRunsAutoGC schedules a repository whose loose objects are
// over gc.auto and sees git start an automatic gc: its pre-auto-gc hook
// runs, once, although the repository was scheduled twice.
func TestHousekeeperRunsAutoGC(t *testing.T) {
	hooks := t.TempDir()
	marker := filepath.Join(t.TempDir(), "ran")
	hook := fmt.Sprintf("#!/bin/sh\necho run >> %s\nexit 1\n", marker) // 1: skip the gc itself
	if err := os.WriteFile(filepath.Join(hooks, "pre-auto-gc"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := git.NewRunner(context.Background(), git.Options{HooksPath: hooks, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	bare := gittest.InitBare(t)
	gittest.Exec(t, bare, "config", "gc.auto", "1")
	gittest.Exec(t, bare, "config", "gc.autoDetach", "false")
	// git estimates loose objects from objects/17/ alone.
	for _, blob := range blobsUnder17(2) {
		gittest.ExecInput(t, bare, []byte(blob), nil, "hash-object", "-w", "--stdin")
	}

	h := repo.NewHousekeeper(r, slog.New(slog.DiscardHandler))
	h.Schedule(bare)
	h.Schedule(bare)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		// The shell creates the file before it writes the line.
		if data, _ := os.ReadFile(marker); len(data) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("gc --auto did not run")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if data, _ := os.ReadFile(marker); string(data) != "run\n" {
		t.Errorf("pre-auto-gc ran %q, want once", data)
	}
}

// TestHousekeeperFullGCSupersedesAuto schedules a gc --auto and then a
// full gc of one repository, then a gc --auto of another: the first
// repository gets one run, the full gc, which packs it, and its automatic
// gc never starts, although its loose objects are over gc.auto.
func TestHousekeeperFullGCSupersedesAuto(t *testing.T) {
	hooks := t.TempDir()
	marker := filepath.Join(t.TempDir(), "auto")
	// The runner names the repository in GIT_DIR.
	hook := fmt.Sprintf("#!/bin/sh\necho \"$GIT_DIR\" >> %s\nexit 1\n", marker)
	if err := os.WriteFile(filepath.Join(hooks, "pre-auto-gc"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := git.NewRunner(context.Background(), git.Options{HooksPath: hooks, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	full, other := gittest.InitBare(t), gittest.InitBare(t)
	for _, bare := range []string{full, other} {
		gittest.Exec(t, bare, "config", "gc.auto", "1")
		gittest.Exec(t, bare, "config", "gc.autoDetach", "false")
		for _, blob := range blobsUnder17(2) {
			gittest.ExecInput(t, bare, []byte(blob), nil, "hash-object", "-w", "--stdin")
		}
	}
	gittest.WriteCommit(t, full, "refs/heads/main", "packed by the full gc", map[string]string{"a.txt": "a\n"})

	h := repo.NewHousekeeper(r, slog.New(slog.DiscardHandler))
	h.Schedule(full)
	h.ScheduleGC(full, false)
	h.Schedule(other)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	// Runs are one at a time, in order: once other's has started, full's
	// are over.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if data, _ := os.ReadFile(marker); strings.Contains(string(data), other+"\n") {
			break
		}
		if time.Now().After(deadline) {
			data, _ := os.ReadFile(marker)
			t.Fatalf("gc --auto of the other repository did not run; the hook ran in:\n%s", data)
		}
	}
	cancel()
	<-done
	if data, _ := os.ReadFile(marker); strings.Contains(string(data), full+"\n") {
		t.Errorf("gc --auto ran on the fully collected repository too:\n%s", data)
	}
	if packs, _ := filepath.Glob(filepath.Join(full, "objects", "pack", "*.pack")); len(packs) != 1 {
		t.Errorf("packs after the full gc: %v", packs)
	}
}

// blobsUnder17 returns n blob contents whose object ids start with 17.
func blobsUnder17(n int) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		content := fmt.Sprintf("blob %d\n", i)
		sum := sha1.Sum([]byte(fmt.Sprintf("blob %d\x00%s", len(content), content)))
		if sum[0] == 0x17 {
			out = append(out, content)
		}
	}
	return out
}
