package sshd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := checkGoroutines(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// checkGoroutines fails when goroutines running this package's code outlive
// the tests. Stopping goroutines may need a moment to unwind.
func checkGoroutines() error {
	var stacks string
	for range 100 {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "tandem/internal/sshd.") && !strings.Contains(g, "checkGoroutines") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return nil
		}
		stacks = strings.Join(leaked, "\n\n")
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("leaked goroutines:\n%s", stacks)
}

// keys are a host key and client keys on disk for /usr/bin/ssh.
type keys struct {
	host     ssh.Signer
	alice    string // private key file accepted for user alice
	alicePub ssh.PublicKey
	stranger string // private key file nobody accepts
}

func newKeys(t testing.TB) keys {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	host, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k := keys{host: host, alice: filepath.Join(dir, "alice"), stranger: filepath.Join(dir, "stranger")}
	for _, f := range []string{k.alice, k.stranger} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", f).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(k.alice + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if k.alicePub, _, _, _, err = ssh.ParseAuthorizedKey(pub); err != nil {
		t.Fatal(err)
	}
	return k
}

// startServer runs a server on a free local port until the test ends.
func startServer(t testing.TB, k keys, mux *Mux, mod func(*Options)) *Server {
	t.Helper()
	o := Options{
		Listen:   "127.0.0.1:0",
		HostKeys: []ssh.Signer{k.host},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Authenticate: func(_ context.Context, user string, key ssh.PublicKey) (Identity, error) {
			if user == "alice" && bytes.Equal(key.Marshal(), k.alicePub.Marshal()) {
				return Identity{AccountID: 1000001, Username: "alice"}, nil
			}
			return Identity{}, ErrUnknownKey
		},
		Version:  "3.9.0",
		Commands: mux,
	}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := s.Shutdown(sctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

func port(s *Server) string {
	return strconv.Itoa(s.Addr().(*net.TCPAddr).Port)
}

// sshArgs are the client options every test uses.
func sshArgs(key string) []string {
	return []string{
		"-F", "/dev/null",
		"-i", key,
		"-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null",
		"-o", "IdentitiesOnly=yes",
		"-o", "BatchMode=yes",
		"-o", "LogLevel=ERROR",
	}
}

type result struct {
	stdout, stderr string
	code           int
}

// runSSH runs /usr/bin/ssh as user alice with key, extra options and an
// optional remote command ("" asks for a shell).
func runSSH(t testing.TB, s *Server, key string, extra []string, remote string, stdin io.Reader) result {
	t.Helper()
	args := append(sshArgs(key), "-p", port(s))
	args = append(args, extra...)
	args = append(args, "alice@127.0.0.1")
	if remote != "" {
		args = append(args, remote)
	}
	return run(t, exec.Command("ssh", args...), stdin)
}

func run(t testing.TB, cmd *exec.Cmd, stdin io.Reader) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s: %v", cmd, err)
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

// testMux has the commands the end-to-end tests drive.
func testMux() *Mux {
	m := NewMux()
	m.Handle("echo-args", func(_ context.Context, s *Session) error {
		return json.NewEncoder(s.Stdout).Encode(s.Args)
	})
	m.Handle("gerrit whoami", func(_ context.Context, s *Session) error {
		_, err := fmt.Fprintf(s.Stdout, "%d %s %s\n", s.Identity.AccountID, s.Identity.Username, s.Command)
		return err
	})
	m.Handle("gerrit fail", func(context.Context, *Session) error { return errors.New("boom") })
	m.Handle("gerrit exit", func(_ context.Context, s *Session) error {
		fmt.Fprintln(s.Stdout, "partial output")
		return &ExitError{Code: 3, Msg: "error: custom"}
	})
	m.Handle("env", func(_ context.Context, s *Session) error {
		_, err := fmt.Fprintf(s.Stdout, "GIT_PROTOCOL=%s\n", s.Env["GIT_PROTOCOL"])
		return err
	})
	m.Handle("big", func(_ context.Context, s *Session) error {
		n, err := strconv.Atoi(s.Args[0])
		if err != nil {
			return err
		}
		_, err = io.Copy(s.Stdout, io.LimitReader(&pattern{}, int64(n)))
		fmt.Fprintln(s.Stderr, "done")
		return err
	})
	m.Handle("cat", func(_ context.Context, s *Session) error {
		_, err := io.Copy(s.Stdout, s.Stdin)
		return err
	})
	m.Handle("panic", func(context.Context, *Session) error { panic("oops") })
	return m
}

// pattern is an endless deterministic byte stream that does not compress to
// nothing and is not periodic on small scales.
type pattern struct{ off int }

func (r *pattern) Read(p []byte) (int, error) {
	for i := range p {
		n := r.off + i
		p[i] = byte(n*7 + n/251)
	}
	r.off += len(p)
	return len(p), nil
}

func TestExec(t *testing.T) {
	k := newKeys(t)
	s := startServer(t, k, testMux(), nil)
	usageGerrit := "fatal: Available commands of gerrit are:\n\n   exit\n   fail\n   whoami\n\nSee 'gerrit COMMAND --help' for more information.\n\n"
	tests := []struct {
		desc       string
		remote     string
		extra      []string
		wantStdout string
		wantStderr string
		wantCode   int
	}{
		{desc: "identity and command name", remote: "gerrit whoami", wantStdout: "1000001 alice gerrit whoami\n"},
		{desc: "handler error", remote: "gerrit fail", wantStderr: "fatal: boom\n", wantCode: 1},
		{desc: "exit error", remote: "gerrit exit", wantStdout: "partial output\n", wantStderr: "error: custom\n", wantCode: 3},
		{desc: "panic", remote: "panic", wantStderr: "fatal: internal server error\n", wantCode: 128},
		{desc: "unknown gerrit command", remote: "gerrit frobnicate --x", wantStderr: "fatal: gerrit: frobnicate: not found\n", wantCode: 1},
		{desc: "unknown top-level command", remote: "frobnicate", wantStderr: "fatal: Gerrit Code Review: frobnicate: not found\n", wantCode: 1},
		{desc: "bare group", remote: "gerrit", wantStderr: usageGerrit, wantCode: 1},
		{desc: "quoting", remote: `echo-args 'a b' "c d" e\ f "it's" '"q"' x"`, wantStdout: `["a b","c d","e f","it's","\"q\"","x"]` + "\n"},
		{desc: "empty args kept", remote: `echo-args '' -m ""`, wantStdout: `["","-m",""]` + "\n"},
		{desc: "env GIT_PROTOCOL", remote: "env", extra: []string{"-o", "SetEnv=GIT_PROTOCOL=version=2"}, wantStdout: "GIT_PROTOCOL=version=2\n"},
		{desc: "env absent", remote: "env", wantStdout: "GIT_PROTOCOL=\n"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			r := runSSH(t, s, k.alice, tc.extra, tc.remote, nil)
			if r.stdout != tc.wantStdout || r.stderr != tc.wantStderr || r.code != tc.wantCode {
				t.Errorf("ssh %q:\n got stdout %q stderr %q exit %d\nwant stdout %q stderr %q exit %d",
					tc.remote, r.stdout, r.stderr, r.code, tc.wantStdout, tc.wantStderr, tc.wantCode)
			}
		})
	}
}

func TestShell(t *testing.T) {
	k := newKeys(t)
	tests := []struct {
		desc    string
		welcome func(Identity) string
		want    string
	}{
		{desc: "custom banner", welcome: func(id Identity) string { return "hello " + id.Username + "\r\n" }, want: "hello alice\r\n"},
		{desc: "default banner", want: "interactive shells are disabled"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s := startServer(t, k, testMux(), func(o *Options) { o.Welcome = tc.welcome })
			r := runSSH(t, s, k.alice, []string{"-T"}, "", strings.NewReader(""))
			if r.code != 127 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
				t.Errorf("shell: stdout %q stderr %q exit %d; want stderr containing %q and exit 127", r.stdout, r.stderr, r.code, tc.want)
			}
		})
	}
}

func TestAuthRefused(t *testing.T) {
	k := newKeys(t)
	s := startServer(t, k, testMux(), nil)
	tests := []struct {
		desc string
		key  string
		user string
	}{
		{desc: "unknown key", key: k.stranger, user: "alice"},
		{desc: "key of another user", key: k.alice, user: "bob"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			args := append(sshArgs(tc.key), "-p", port(s), tc.user+"@127.0.0.1", "gerrit whoami")
			r := run(t, exec.Command("ssh", args...), nil)
			if r.code != 255 || !strings.Contains(r.stderr, "Permission denied") {
				t.Errorf("got exit %d stderr %q, want 255 and Permission denied", r.code, r.stderr)
			}
		})
	}
}

func TestLargeStreams(t *testing.T) {
	k := newKeys(t)
	s := startServer(t, k, testMux(), nil)
	const size = 8 << 20
	want, _ := io.ReadAll(io.LimitReader(&pattern{}, size))

	t.Run("stdout", func(t *testing.T) {
		r := runSSH(t, s, k.alice, nil, "big "+strconv.Itoa(size), nil)
		if r.code != 0 || r.stderr != "done\n" {
			t.Fatalf("exit %d stderr %q, want 0 and done", r.code, r.stderr)
		}
		if len(r.stdout) != size || sha256.Sum256([]byte(r.stdout)) != sha256.Sum256(want) {
			t.Errorf("stdout has %d bytes that differ from the %d sent", len(r.stdout), size)
		}
	})
	t.Run("stdin echoed", func(t *testing.T) {
		r := runSSH(t, s, k.alice, nil, "cat", bytes.NewReader(want))
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("exit %d stderr %q, want 0 and nothing", r.code, r.stderr)
		}
		if r.stdout != string(want) {
			t.Errorf("echoed %d bytes, differ from the %d sent", len(r.stdout), size)
		}
	})
}

func TestSCP(t *testing.T) {
	k := newKeys(t)
	hook := []byte("#!/bin/sh\n# commit-msg\necho hook\n")
	mux := testMux()
	var asked []string
	mux.Handle("scp", SCPSource(func(p string) ([]byte, os.FileMode, error) {
		asked = append(asked, p)
		if p == "hooks/commit-msg" {
			return hook, 0o755, nil
		}
		return nil, 0, fmt.Errorf("open %s: %w", p, fs.ErrNotExist)
	}))
	s := startServer(t, k, mux, nil)
	tests := []struct {
		desc       string
		flags      []string
		src        string
		wantCode   int
		wantStderr string
	}{
		{desc: "legacy protocol", flags: []string{"-O"}, src: "hooks/commit-msg"},
		{desc: "preserve times, leading slash", flags: []string{"-O", "-p"}, src: "/hooks/commit-msg"},
		{desc: "missing file", flags: []string{"-O"}, src: "hooks/nope", wantCode: 1, wantStderr: "scp: hooks/nope: No such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			asked = nil
			dst := filepath.Join(t.TempDir(), "commit-msg")
			args := append(tc.flags, sshArgs(k.alice)...)
			args = append(args, "-P", port(s), "alice@127.0.0.1:"+tc.src, dst)
			r := run(t, exec.Command("scp", args...), nil)
			if r.code != tc.wantCode || !strings.Contains(r.stderr, tc.wantStderr) {
				t.Fatalf("scp %q: exit %d stderr %q, want %d and %q", tc.src, r.code, r.stderr, tc.wantCode, tc.wantStderr)
			}
			if tc.wantCode != 0 {
				return
			}
			if len(asked) != 1 || asked[0] != "hooks/commit-msg" {
				t.Errorf("files asked for %q, want [hooks/commit-msg]", asked)
			}
			got, err := os.ReadFile(dst)
			if err != nil || !bytes.Equal(got, hook) {
				t.Errorf("copied %q, %v; want %q", got, err, hook)
			}
			if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm()&0o100 == 0 {
				t.Errorf("copied hook is not executable: %v %v", fi.Mode(), err)
			}
		})
	}
}

// blocker is a command that runs until its context is cancelled or it is
// released.
type blocker struct {
	started   chan struct{}
	cancelled chan struct{}
	release   chan struct{}
}

func newBlocker() *blocker {
	return &blocker{started: make(chan struct{}, 1), cancelled: make(chan struct{}, 1), release: make(chan struct{})}
}

func (b *blocker) handle(ctx context.Context, s *Session) error {
	b.started <- struct{}{}
	select {
	case <-ctx.Done():
		b.cancelled <- struct{}{}
		return ctx.Err()
	case <-b.release:
		fmt.Fprintln(s.Stdout, "released")
		return nil
	}
}

// await fails the test when ch stays silent; the bound only guards against
// a hung test run.
func await(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("gave up waiting: %s", what)
	}
}

// waitFor polls cond; the bound only guards against a hung test run.
func waitFor(t testing.TB, cond func() bool, what string) {
	t.Helper()
	for range 3000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("gave up waiting: %s", what)
}

func TestCancelOnDisconnect(t *testing.T) {
	k := newKeys(t)
	b := newBlocker()
	mux := testMux()
	mux.Handle("block", b.handle)
	s := startServer(t, k, mux, nil)

	t.Run("ssh client killed", func(t *testing.T) {
		args := append(sshArgs(k.alice), "-p", port(s), "alice@127.0.0.1", "block")
		cmd := exec.Command("ssh", args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		await(t, b.started, "command start")
		if got := s.Connections(); len(got) != 1 || got[0].Identity.Username != "alice" || got[0].Sessions != 1 || len(got[0].ID) != 8 {
			t.Errorf("Connections() = %+v, want one session of alice with an 8-digit id", got)
		}
		cmd.Process.Kill()
		cmd.Wait()
		await(t, b.cancelled, "handler context cancelled")
	})
	t.Run("channel closed", func(t *testing.T) {
		client := dial(t, s, k)
		sess, err := client.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if err := sess.Start("block"); err != nil {
			t.Fatal(err)
		}
		await(t, b.started, "command start")
		sess.Close()
		await(t, b.cancelled, "handler context cancelled")
	})
}

// dial connects with x/crypto's client, for protocol-level checks the
// OpenSSH client cannot make.
func dial(t testing.TB, s *Server, k keys) *ssh.Client {
	t.Helper()
	priv, err := os.ReadFile(k.alice)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", s.Addr().String(), &ssh.ClientConfig{
		User:            "alice",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(k.host.PublicKey()),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRefusedFeatures(t *testing.T) {
	k := newKeys(t)
	s := startServer(t, k, testMux(), nil)
	client := dial(t, s, k)
	t.Run("port forwarding", func(t *testing.T) {
		if c, err := client.Dial("tcp", s.Addr().String()); err == nil {
			c.Close()
			t.Error("direct-tcpip channel accepted")
		}
	})
	t.Run("sftp subsystem", func(t *testing.T) {
		sess, err := client.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		if err := sess.RequestSubsystem("sftp"); err == nil {
			t.Error("sftp subsystem accepted")
		}
	})
	t.Run("second exec on a session", func(t *testing.T) {
		sess, err := client.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		out, err := sess.Output("gerrit whoami")
		if err != nil || string(out) != "1000001 alice gerrit whoami\n" {
			t.Errorf("first exec: %q, %v", out, err)
		}
		ok, err := sess.SendRequest("exec", true, ssh.Marshal(struct{ Command string }{"gerrit whoami"}))
		if ok && err == nil {
			t.Error("second exec accepted")
		}
	})
}

func TestIdent(t *testing.T) {
	k := newKeys(t)
	tests := []struct {
		desc    string
		version string
		want    string
	}{
		{desc: "version", version: "3.9.0", want: "SSH-2.0-Tandem_3.9.0"},
		{desc: "spaces replaced", version: "3.9 dev", want: "SSH-2.0-Tandem_3.9_dev"},
		{desc: "none", version: "", want: "SSH-2.0-Tandem"},
		{desc: "full ident", version: "SSH-2.0-GerritCodeReview_3.9.0", want: "SSH-2.0-GerritCodeReview_3.9.0"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s := startServer(t, k, testMux(), func(o *Options) { o.Version = tc.version })
			c, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || strings.TrimRight(line, "\r\n") != tc.want {
				t.Errorf("ident = %q, %v; want %q", line, err, tc.want)
			}
		})
	}
}

func TestListenBusy(t *testing.T) {
	k := newKeys(t)
	s := startServer(t, k, testMux(), nil)
	addr := s.Addr().String()
	other, err := New(Options{Listen: addr, HostKeys: []ssh.Signer{k.host}, Commands: NewMux(),
		Authenticate: func(context.Context, string, ssh.PublicKey) (Identity, error) { return Identity{}, ErrUnknownKey }})
	if err != nil {
		t.Fatal(err)
	}
	err = other.Listen()
	want := "listen on " + addr + ": address already in use"
	if err == nil || err.Error() != want || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Listen on a busy port: %v, want %q wrapping EADDRINUSE", err, want)
	}
}

func TestNewValidates(t *testing.T) {
	k := newKeys(t)
	auth := func(context.Context, string, ssh.PublicKey) (Identity, error) { return Identity{}, nil }
	tests := []struct {
		desc string
		o    Options
	}{
		{desc: "no host keys", o: Options{Authenticate: auth, Commands: NewMux()}},
		{desc: "no authenticate", o: Options{HostKeys: []ssh.Signer{k.host}, Commands: NewMux()}},
		{desc: "no commands", o: Options{HostKeys: []ssh.Signer{k.host}, Authenticate: auth}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if _, err := New(tc.o); err == nil {
				t.Error("New accepted incomplete options")
			}
		})
	}
}

func TestShutdown(t *testing.T) {
	k := newKeys(t)

	t.Run("drains running sessions", func(t *testing.T) {
		b := newBlocker()
		mux := testMux()
		mux.Handle("block", b.handle)
		s := startServer(t, k, mux, nil)
		idle := dial(t, s, k) // a connection with no session is closed at once
		args := append(sshArgs(k.alice), "-p", port(s), "alice@127.0.0.1", "block")
		cmd := exec.Command("ssh", args...)
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		await(t, b.started, "command start")
		shut := make(chan error, 1)
		go func() { shut <- s.Shutdown(context.Background()) }()
		idleClosed := make(chan struct{})
		go func() { idle.Wait(); close(idleClosed) }()
		await(t, idleClosed, "idle connection closed")
		if c, err := net.Dial("tcp", s.Addr().String()); err == nil {
			c.Close()
			t.Error("new connection accepted while draining")
		}
		close(b.release)
		if err := <-shut; err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := cmd.Wait(); err != nil || stdout.String() != "released\n" {
			t.Errorf("drained command: %q, %v; want released and exit 0", stdout.String(), err)
		}
	})
	t.Run("deadline cancels handlers", func(t *testing.T) {
		b := newBlocker()
		mux := testMux()
		mux.Handle("block", b.handle)
		s := startServer(t, k, mux, nil)
		args := append(sshArgs(k.alice), "-p", port(s), "alice@127.0.0.1", "block")
		cmd := exec.Command("ssh", args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		await(t, b.started, "command start")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Shutdown with a done context: %v, want context.Canceled", err)
		}
		await(t, b.cancelled, "handler context cancelled")
		cmd.Wait()
	})
}

func TestIdleTimeout(t *testing.T) {
	k := newKeys(t)
	s := startServer(t, k, testMux(), func(o *Options) { o.IdleTimeout = 300 * time.Millisecond })
	client := dial(t, s, k)
	closed := make(chan struct{})
	go func() { client.Wait(); close(closed) }()
	await(t, closed, "idle connection closed")
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSessionLog(t *testing.T) {
	k := newKeys(t)
	var logs syncBuffer
	s := startServer(t, k, testMux(), func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	runSSH(t, s, k.alice, nil, "gerrit fail --http-password=hunter2", nil)
	args := append(sshArgs(k.stranger), "-p", port(s), "mallory@127.0.0.1", "gerrit whoami")
	run(t, exec.Command("ssh", args...), nil)
	// The server may log the failure after the client has given up.
	waitFor(t, func() bool { return strings.Contains(logs.String(), "ssh authentication failed") }, "authentication failure log")

	var cmd, authFail map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch rec["msg"] {
		case "ssh command":
			cmd = rec
		case "ssh authentication failed":
			authFail = rec
		}
	}
	for key, want := range map[string]any{
		"component": "sshd",
		"user":      "alice",
		"command":   "gerrit fail --http-password=***",
		"status":    float64(1),
		"err":       "boom",
	} {
		if cmd[key] != want {
			t.Errorf("command log %s = %v, want %v (record %v)", key, cmd[key], want, cmd)
		}
	}
	for _, key := range []string{"remote", "duration", "conn"} {
		if _, ok := cmd[key]; !ok {
			t.Errorf("command log lacks %s: %v", key, cmd)
		}
	}
	if authFail["user"] != "mallory" || authFail["component"] != "sshd" {
		t.Errorf("authentication failure log = %v, want user mallory", authFail)
	}
	if strings.Contains(logs.String(), "hunter2") {
		t.Error("log contains the password")
	}
}
