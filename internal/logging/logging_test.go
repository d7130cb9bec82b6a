package logging

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

func TestLevels(t *testing.T) {
	var out bytes.Buffer
	log, levels := New(&out, slog.LevelInfo)
	git := log.With("component", "git")
	sshd := log.With("node", "a").With("component", "sshd")
	logged := func(l *slog.Logger, msg string) bool {
		t.Helper()
		out.Reset()
		l.Debug(msg)
		return strings.Contains(out.String(), msg)
	}
	if logged(git, "one") || logged(sshd, "two") || logged(log, "three") {
		t.Fatal("debug logged at info")
	}
	if got := levels.List(""); !slices.Equal(got, []string{"git: INFO", "root: INFO", "sshd: INFO"}) {
		t.Fatalf("List = %v", got)
	}

	// One component.
	if n, err := levels.Set(slog.LevelDebug, "sshd"); n != 1 || err != nil {
		t.Fatalf("Set(sshd) = %d, %v", n, err)
	}
	if !logged(sshd, "four") || logged(git, "five") {
		t.Fatal("only sshd should log debug")
	}
	// A pattern, and a component that does not exist.
	if n, err := levels.Set(slog.LevelError, "^(git|root)$"); n != 2 || err != nil {
		t.Fatalf("Set(pattern) = %d, %v", n, err)
	}
	if n, _ := levels.Set(slog.LevelDebug, "nope"); n != 0 {
		t.Fatalf("Set(nope) changed %d loggers", n)
	}
	if _, err := levels.Set(slog.LevelDebug, "^("); err == nil {
		t.Fatal("a bad pattern was accepted")
	}
	if got := levels.List("o"); !slices.Equal(got, []string{"root: ERROR"}) {
		t.Fatalf("List(o) = %v", got)
	}
	// All, including components created later; then reset.
	levels.Set(slog.LevelDebug, "")
	if later := log.With("component", "later"); !logged(later, "six") || !logged(git, "seven") {
		t.Fatal("Set all missed a logger")
	}
	levels.Reset()
	if logged(sshd, "eight") || logged(log.With("component", "newer"), "nine") {
		t.Fatal("Reset left debug on")
	}
	out.Reset()
	git.Info("kept", "k", "v")
	if !strings.Contains(out.String(), "component=git k=v") {
		t.Fatalf("attributes lost: %q", out.String())
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"TRACE": slog.LevelDebug, "debug": slog.LevelDebug, "Info": slog.LevelInfo,
		"warning": slog.LevelWarn, "fatal": slog.LevelError} {
		if got, ok := ParseLevel(in); !ok || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", in, got, ok)
		}
	}
	if _, ok := ParseLevel("loud"); ok {
		t.Error("ParseLevel(loud) accepted")
	}
}
