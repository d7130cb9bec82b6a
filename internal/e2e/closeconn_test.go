package e2e

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCloseConnection ends a running SSH session the way an administrator
// does with a stuck client: find it in gerrit show-connections, close it
// with gerrit close-connection --wait.
func TestCloseConnection(t *testing.T) {
	s := startServer(t, "sqlite")
	aliceKey := s.createUser(t, "alice")
	stream := s.streamEvents(t, "admin", s.adminKey, "")

	// The stream's connection is the one listed twice; each listing also
	// shows the connection that asks, which is new every time.
	row := regexp.MustCompile(`(?m)^([0-9a-f]{8}) .* admin `)
	ids := func() []string {
		t.Helper()
		out, _, _ := s.ssh(t, "admin", s.adminKey, "", "gerrit", "show-connections")
		var ids []string
		for _, m := range row.FindAllStringSubmatch(out, -1) {
			ids = append(ids, m[1])
		}
		return ids
	}
	var id string
	for deadline := time.Now().Add(eventWait); id == ""; time.Sleep(50 * time.Millisecond) {
		first, second := ids(), ids()
		for _, x := range first {
			if slices.Contains(second, x) {
				id = x // the oldest: the stream's
				break
			}
		}
		if id == "" && time.Now().After(deadline) {
			t.Fatalf("the stream's connection is not listed: %v then %v", first, second)
		}
	}

	if _, stderr, code := s.ssh(t, "alice", aliceKey, "", "gerrit", "close-connection", id); code != 1 ||
		stderr != "fatal: not permitted: administrate server\n" {
		t.Fatalf("alice's close-connection: %d %q", code, stderr)
	}
	if _, stderr, code := s.ssh(t, "admin", s.adminKey, "", "gerrit", "close-connection", "--wait", id); code != 0 || stderr != "" {
		t.Fatalf("close-connection: %d %q", code, stderr)
	}
	for open, deadline := true, time.After(eventWait); open; {
		select {
		case _, open = <-stream.lines:
		case <-deadline:
			t.Fatal("the closed connection's stream did not end")
		}
	}
	if slices.Contains(ids(), id) {
		t.Fatal("the closed connection is still listed")
	}
	if _, stderr, code := s.ssh(t, "admin", s.adminKey, "", "gerrit", "close-connection", id); code != 1 ||
		stderr != "close connection error: no connection with id "+id+"\n" {
		t.Fatalf("closing it again: %d %q", code, stderr)
	}
}

// TestLoggingLevels turns on debug logging for one component of a running
// master with gerrit logging set-level, as an operator investigating a
// problem does, and resets it.
func TestLoggingLevels(t *testing.T) {
	s := startServer(t, "sqlite")
	aliceKey := s.createUser(t, "alice")
	run := func(args ...string) (string, string, int) {
		t.Helper()
		return s.ssh(t, "admin", s.adminKey, "", append([]string{"gerrit", "logging"}, args...)...)
	}
	if out, _, code := run("ls-level", "sshd"); code != 0 || out != "sshd: INFO\n" {
		t.Fatalf("ls-level sshd: %d %q", code, out)
	}
	if _, stderr, code := run("set-level", "debug", "sshd"); code != 0 || stderr != "" {
		t.Fatalf("set-level: %d %q", code, stderr)
	}
	if out, _, _ := run("ls"); !strings.Contains(out, "sshd: DEBUG\n") || !strings.Contains(out, "root: INFO\n") {
		t.Fatalf("ls after set-level:\n%s", out)
	}
	s.ssh(t, "alice", aliceKey, "", "gerrit", "version") // logs "ssh login" at debug
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"set-level", "loud"}, "fatal: invalid log level \"loud\": use debug, info, warn, error, off or reset\n"},
		{[]string{"set-level", "debug", "nope"}, "fatal: no logger matches \"nope\"\n"},
		{[]string{"fly"}, "fatal: gerrit logging: fly: not found\n"},
	} {
		if _, stderr, code := run(c.args...); code != 1 || stderr != c.stderr {
			t.Errorf("logging %v: %d %q", c.args, code, stderr)
		}
	}
	if _, stderr, code := s.ssh(t, "alice", aliceKey, "", "gerrit", "logging", "ls"); code != 1 || stderr != "fatal: not permitted: administrate server\n" {
		t.Errorf("alice's logging ls: %d %q", code, stderr)
	}
	if _, _, code := run("set-level", "reset"); code != 0 {
		t.Fatal("reset failed")
	}
	if out, _, _ := run("ls-level", "sshd"); out != "sshd: INFO\n" {
		t.Fatalf("after reset: %q", out)
	}
	s.stop()
	if !regexp.MustCompile(`level=DEBUG msg="ssh login" .*component=sshd.* user=alice`).MatchString(s.log.String()) {
		t.Fatalf("no debug line of sshd in the log:\n%s", s.log.String())
	}
}
