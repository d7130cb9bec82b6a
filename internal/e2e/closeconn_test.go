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
		out := ok(t, "show-connections", s.run(t, "admin", s.adminKey, "", "gerrit show-connections"))
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

	want(t, "alice's close-connection", s.run(t, "alice", aliceKey, "", "gerrit close-connection "+id), 1, "",
		"fatal: not permitted: administrate server\n")
	want(t, "close-connection", s.run(t, "admin", s.adminKey, "", "gerrit close-connection --wait "+id), 0, "", "")
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
	want(t, "closing it again", s.run(t, "admin", s.adminKey, "", "gerrit close-connection "+id), 1, "",
		"close connection error: no connection with id "+id+"\n")
}

// TestLoggingLevels turns on debug logging for one component of a running
// master with gerrit logging set-level, as an operator investigating a
// problem does, and resets it.
func TestLoggingLevels(t *testing.T) {
	s := startServer(t, "sqlite")
	aliceKey := s.createUser(t, "alice")
	logging := func(args string) result {
		t.Helper()
		return s.run(t, "admin", s.adminKey, "", "gerrit logging "+args)
	}
	want(t, "ls-level sshd", logging("ls-level sshd"), 0, "sshd: INFO\n", "")
	want(t, "set-level", logging("set-level debug sshd"), 0, "", "")
	if out := ok(t, "ls", logging("ls")); !strings.Contains(out, "sshd: DEBUG\n") || !strings.Contains(out, "root: INFO\n") {
		t.Fatalf("ls after set-level:\n%s", out)
	}
	ok(t, "alice's version", s.run(t, "alice", aliceKey, "", "gerrit version")) // logs "ssh login" at debug
	for args, stderr := range map[string]string{
		"set-level loud":       "fatal: invalid log level \"loud\": use debug, info, warn, error, off or reset\n",
		"set-level debug nope": "fatal: no logger matches \"nope\"\n",
		"fly":                  "fatal: gerrit logging: fly: not found\n",
	} {
		want(t, "logging "+args, logging(args), 1, "", stderr)
	}
	want(t, "alice's logging ls", s.run(t, "alice", aliceKey, "", "gerrit logging ls"), 1, "",
		"fatal: not permitted: administrate server\n")
	want(t, "reset", logging("set-level reset"), 0, "", "")
	want(t, "after reset", logging("ls-level sshd"), 0, "sshd: INFO\n", "")
	s.stop()
	if !regexp.MustCompile(`level=DEBUG msg="ssh login" .*component=sshd.* user=alice`).MatchString(s.log.String()) {
		t.Fatalf("no debug line of sshd in the log:\n%s", s.log.String())
	}
}
