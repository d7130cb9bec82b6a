package receive_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"

	"tandem/internal/git/gittest"
	"tandem/internal/git/pktline"
	"tandem/internal/git/refupdate"
	"tandem/internal/receive"
)

// stream encodes sections of lines as git sends them to proc-receive:
// each line a packet, each section ended by a flush packet.
func stream(sections ...[]string) string {
	var b []byte
	for _, sec := range sections {
		for _, l := range sec {
			b, _ = pktline.Append(b, []byte(l+"\n"))
		}
		b = append(b, "0000"...)
	}
	return string(b)
}

// sections decodes what proc-receive answered.
func sections(t *testing.T, out []byte) [][]string {
	t.Helper()
	r := pktline.NewReader(bytes.NewReader(out))
	var secs [][]string
	var cur []string
	for {
		kind, p, err := r.Next()
		if errors.Is(err, io.EOF) {
			return secs
		}
		if err != nil {
			t.Fatalf("answer %q: %v", out, err)
		}
		if kind == pktline.Flush {
			secs = append(secs, cur)
			cur = nil
			continue
		}
		cur = append(cur, strings.TrimSuffix(string(p), "\n"))
	}
}

func TestProcReceiveProtocol(t *testing.T) {
	f := newFixture(t)
	zero := refupdate.ZeroOID
	stale := gittest.WriteCommit(t, f.rp.Path, "", "not main", map[string]string{"s.txt": "s\n"}, f.main)
	next := gittest.WriteCommit(t, f.rp.Path, "", "after stale", map[string]string{"s.txt": "t\n"}, stale)
	tree := gittest.Exec(t, f.rp.Path, "rev-parse", f.main+"^{tree}")
	cmd := func(old, new, ref string) string { return old + " " + new + " " + ref }
	tests := []struct {
		desc    string
		version string // first line git sends
		cmds    []string
		options []string // sent when the hook accepts push options
		reply   string   // version line answered
		results []string
		created []string // refs that must exist afterwards
		absent  []string // refs that must not
	}{
		{desc: "no capabilities", version: "version=1",
			cmds:  []string{cmd(zero, f.main, "refs/heads/p1")},
			reply: "version=1", results: []string{"ok refs/heads/p1"}, created: []string{"refs/heads/p1"}},
		{desc: "push options", version: "version=1\x00push-options",
			cmds: []string{cmd(zero, f.main, "refs/heads/p2")}, options: []string{"topic=x", "notify=NONE"},
			reply: "version=1\x00push-options", results: []string{"ok refs/heads/p2"}, created: []string{"refs/heads/p2"}},
		{desc: "atomic and push options", version: "version=1\x00atomic push-options",
			cmds: []string{cmd(zero, f.main, "refs/heads/p3"), cmd(zero, f.main, "refs/heads/p4")}, options: []string{"topic=y"},
			reply: "version=1\x00push-options", results: []string{"ok refs/heads/p3", "ok refs/heads/p4"},
			created: []string{"refs/heads/p3", "refs/heads/p4"}},
		{desc: "atomic: one refused, none written", version: "version=1\x00atomic",
			cmds:  []string{cmd(zero, f.main, "refs/heads/p5"), cmd(zero, f.main, "refs/heads/a..b")},
			reply: "version=1", results: []string{"ng refs/heads/p5 transaction aborted", "ng refs/heads/a..b not valid ref"},
			absent: []string{"refs/heads/p5"}},
		{desc: "not atomic: each on its own", version: "version=1",
			cmds:  []string{cmd(zero, f.main, "refs/heads/p6"), cmd(zero, f.main, "refs/heads/a..b")},
			reply: "version=1", results: []string{"ok refs/heads/p6", "ng refs/heads/a..b not valid ref"},
			created: []string{"refs/heads/p6"}},
		{desc: "stale old value", version: "version=1",
			cmds:  []string{cmd(stale, next, "refs/heads/main")},
			reply: "version=1", results: []string{"ng refs/heads/main failed to lock"}},
		{desc: "atomic: stale old value", version: "version=1\x00atomic",
			cmds:  []string{cmd(zero, f.main, "refs/heads/p7"), cmd(stale, next, "refs/heads/main")},
			reply: "version=1", results: []string{"ng refs/heads/p7 transaction aborted", "ng refs/heads/main failed to lock"},
			absent: []string{"refs/heads/p7"}},
		{desc: "branch at a tree", version: "version=1",
			cmds:  []string{cmd(zero, tree, "refs/heads/t")},
			reply: "version=1", results: []string{"ng refs/heads/t not a commit"}, absent: []string{"refs/heads/t"}},
		{desc: "upload for review", version: "version=1",
			cmds:  []string{cmd(zero, f.main, "refs/for/main")},
			reply: "version=1", results: []string{"ng refs/for/main upload for review is not enabled on this server"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			in := stream([]string{tc.version}, tc.cmds)
			if strings.Contains(tc.version, "push-options") {
				in += stream(tc.options)
			}
			s := f.bridge.Begin(receive.Push{Caller: admin.acct, Groups: admin.groups, Project: "demo", Repo: f.rp})
			defer s.End()
			var out, msgs bytes.Buffer
			if err := f.rc.ProcReceive(context.Background(), s, strings.NewReader(in), &out, &msgs); err != nil {
				t.Fatalf("ProcReceive: %v\nmessages: %s", err, msgs.String())
			}
			secs := sections(t, out.Bytes())
			if len(secs) != 2 || len(secs[0]) != 1 || secs[0][0] != tc.reply {
				t.Fatalf("answer = %q, want version %q then results", secs, tc.reply)
			}
			if !slices.Equal(secs[1], tc.results) {
				t.Errorf("results = %q, want %q", secs[1], tc.results)
			}
			for _, r := range tc.created {
				if f.ref(t, r) == "" {
					t.Errorf("%s was not created", r)
				}
			}
			for _, r := range tc.absent {
				if got := f.ref(t, r); got != "" {
					t.Errorf("%s = %s, want absent", r, got)
				}
			}
		})
	}
}

func TestProcReceiveBadInput(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		desc string
		in   string
	}{
		{"unknown version", stream([]string{"version=2"})},
		{"version with a suffix", stream([]string{"version=10"})},
		{"no version", stream(nil)},
		{"cut short", stream([]string{"version=1"})[:8]},
		{"malformed command", stream([]string{"version=1"}, []string{"refs/heads/main"})},
		{"commands never end", stream([]string{"version=1"})},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s := f.bridge.Begin(receive.Push{Caller: admin.acct, Groups: admin.groups, Project: "demo", Repo: f.rp})
			defer s.End()
			var out, msgs bytes.Buffer
			if err := f.rc.ProcReceive(context.Background(), s, strings.NewReader(tc.in), &out, &msgs); err == nil {
				t.Errorf("ProcReceive accepted %q; answered %q", tc.in, out.String())
			}
		})
	}
}

// TestRunHook drives the hook side of the bridge in process.
func TestRunHook(t *testing.T) {
	f := newFixture(t)
	s := f.bridge.Begin(receive.Push{Caller: admin.acct, Groups: admin.groups, Project: "demo", Repo: f.rp})
	defer s.End()
	env := map[string]string{}
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	socket := env[receive.EnvSocket]
	good := stream([]string{"version=1"}, []string{refupdate.ZeroOID + " " + f.main + " refs/heads/hooked"})
	tests := []struct {
		desc   string
		env    map[string]string
		in     string
		code   int
		stdout []string // results section
		stderr string
	}{
		{"not started by tandem", map[string]string{}, good, 1, nil, "must be run by tandem"},
		{"unknown push", map[string]string{receive.EnvSocket: socket, receive.EnvPushID: "nope"}, good, 1, nil, "error: unknown push"},
		{"no daemon", map[string]string{receive.EnvSocket: "@tandem-hook-gone", receive.EnvPushID: "x"}, good, 1, nil, "cannot reach tandem"},
		{"push", env, good, 0, []string{"ok refs/heads/hooked"}, "Processing changes: refs: 1, done"},
		{"daemon fails", env, stream([]string{"version=3"}), 1, nil, "error: internal server error"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := receive.RunHook("proc-receive", func(k string) string { return tc.env[k] }, strings.NewReader(tc.in), &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr = %q, want %q in it", stderr.String(), tc.stderr)
			}
			if tc.stdout != nil {
				secs := sections(t, stdout.Bytes())
				if len(secs) != 2 || !slices.Equal(secs[1], tc.stdout) {
					t.Errorf("stdout sections = %q, want results %q", secs, tc.stdout)
				}
			}
		})
	}
}

// TestBridgeStops checks that Serve returns when its context ends, even
// with a hook connection in the middle of a push.
func TestBridgeStops(t *testing.T) {
	f := newFixture(t)
	b, err := receive.NewBridge(f.rc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Serve(ctx) }()
	s := b.Begin(receive.Push{Caller: admin.acct, Groups: admin.groups, Project: "demo", Repo: f.rp})
	defer s.End()
	env := map[string]string{}
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	conn, err := net.Dial("unix", env[receive.EnvSocket])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The daemon answers the version, then waits for commands that never
	// come.
	io.WriteString(conn, "proc-receive "+env[receive.EnvPushID]+"\n"+stream([]string{"version=1"}))
	if _, err := conn.Read(make([]byte, 1)); err != nil {
		t.Fatalf("no answer to the version: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v", err)
	}
}
