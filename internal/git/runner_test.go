package git_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tandem/internal/git"
	"tandem/internal/git/gittest"
)

func TestMain(m *testing.M) { gittest.Main(m) }

func TestNewRunner(t *testing.T) {
	r := gittest.Runner(t)
	if !strings.HasPrefix(r.Version(), "2.") {
		t.Errorf("Version() = %q", r.Version())
	}
	if !filepath.IsAbs(r.Bin()) {
		t.Errorf("Bin() = %q, want absolute", r.Bin())
	}
	_, err := git.NewRunner(context.Background(), git.Options{Bin: filepath.Join(t.TempDir(), "nogit")})
	if err == nil {
		t.Error("NewRunner with a missing binary succeeded")
	}
	_, err = git.NewRunner(context.Background(), git.Options{Config: []git.ConfigPair{{Key: "nodot", Value: "1"}}})
	if !errors.Is(err, git.ErrInvalidCmd) {
		t.Errorf("NewRunner with a bad config key = %v, want ErrInvalidCmd", err)
	}
}

func TestNewRunnerOldGit(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "git")
	script := "#!/bin/sh\necho 'git version 2.38.1'\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := git.NewRunner(context.Background(), git.Options{Bin: fake})
	if err == nil || !strings.Contains(err.Error(), "git 2.39 or newer required, found 2.38.1") {
		t.Errorf("NewRunner(old git) = %v", err)
	}
}

func TestRunRefused(t *testing.T) {
	r := gittest.Runner(t)
	ctx := context.Background()
	tests := []struct {
		desc string
		cmd  git.Cmd
	}{
		{"subcommand not allowed", git.Cmd{Name: "daemon"}},
		{"shell alias", git.Cmd{Name: "!sh"}},
		{"option as subcommand", git.Cmd{Name: "--exec-path=/tmp"}},
		{"bad flag", git.Cmd{Name: "version", Flags: []string{"build-options"}}},
		{"env outside the allow-list", git.Cmd{Name: "version", Env: []string{"GIT_EXEC_PATH=/tmp"}}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if err := r.Run(ctx, tt.cmd); !errors.Is(err, git.ErrInvalidCmd) {
				t.Errorf("Run = %v, want ErrInvalidCmd", err)
			}
			if _, err := r.Output(ctx, tt.cmd); !errors.Is(err, git.ErrInvalidCmd) {
				t.Errorf("Output = %v, want ErrInvalidCmd", err)
			}
			if _, err := r.Start(ctx, tt.cmd); !errors.Is(err, git.ErrInvalidCmd) {
				t.Errorf("Start = %v, want ErrInvalidCmd", err)
			}
		})
	}
}

// TestEnvIsolation runs a reference-transaction hook that dumps its
// environment and checks that nothing from the parent leaks into git.
func TestEnvIsolation(t *testing.T) {
	repo := gittest.InitBare(t)
	oid := gittest.WriteCommit(t, repo, "", "c", nil)
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[core]\n\thooksPath = /tmp/evil\n[user]\n\tname = leaked\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("GIT_DIR", "/leaked")
	t.Setenv("GIT_CONFIG_PARAMETERS", "'user.name'='leaked'")
	t.Setenv("GIT_EXEC_PATH", "/leaked")
	t.Setenv("TANDEM_PARENT", "leaked")
	t.Setenv("LD_PRELOAD", "")

	hooks := t.TempDir()
	dump := filepath.Join(t.TempDir(), "env")
	writeHook(t, hooks, "reference-transaction", "env > \"$TANDEM_DUMP\"\n")
	r, err := git.NewRunner(context.Background(), git.Options{HooksPath: hooks})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// Without Dir, a leaked GIT_DIR would be used; "/" is no repository.
	if out, err := r.Output(ctx, git.Cmd{Name: "rev-parse", Flags: []string{"--git-dir"}}); err == nil {
		t.Errorf("rev-parse --git-dir without Dir = %q, want failure", out)
	}
	if out, err := r.Output(ctx, git.Cmd{Dir: repo, Name: "config", Flags: []string{"--get"}, Args: []string{"user.name"}}); err == nil {
		t.Errorf("user.name from the parent's config or env = %q", out)
	}

	err = r.Run(ctx, git.Cmd{Dir: repo, Name: "update-ref", Args: []string{"refs/heads/main", oid},
		Env: []string{"TANDEM_DUMP=" + dump, "GIT_PROTOCOL=version=2"}})
	if err != nil {
		t.Fatalf("update-ref: %v", err)
	}
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatalf("hook did not run: %v", err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	for _, k := range []string{"TANDEM_PARENT", "LD_PRELOAD"} {
		if v, ok := env[k]; ok {
			t.Errorf("%s leaked into git: %q", k, v)
		}
	}
	for k, v := range env {
		if strings.Contains(v, "leaked") {
			t.Errorf("%s=%q comes from the parent", k, v)
		}
	}
	want := map[string]string{
		"HOME":                "/nonexistent",
		"LANG":                "C",
		"LC_ALL":              "C",
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_CONFIG_GLOBAL":   os.DevNull,
		"GIT_TERMINAL_PROMPT": "0",
		"GIT_PROTOCOL":        "version=2",
		"TANDEM_DUMP":         dump,
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
}

func writeHook(t testing.TB, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestHooksDisabledByDefault(t *testing.T) {
	repo := gittest.InitBare(t)
	oid := gittest.WriteCommit(t, repo, "", "c", nil)
	marker := filepath.Join(t.TempDir(), "ran")
	// A hook stored in the repository itself must never run.
	writeHook(t, filepath.Join(repo, "hooks"), "reference-transaction", "touch "+marker+"\n")
	r := gittest.Runner(t)
	if err := r.Run(context.Background(), git.Cmd{Dir: repo, Name: "update-ref", Args: []string{"refs/heads/main", oid}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("repository hook ran")
	}
}

func TestEndOfOptions(t *testing.T) {
	r := gittest.Runner(t)
	repo := gittest.InitBare(t)
	gittest.WriteCommit(t, repo, "refs/heads/main", "c", map[string]string{"f": "x"})
	marker := filepath.Join(t.TempDir(), "pwned")
	ctx := context.Background()
	tests := []struct {
		desc string
		cmd  git.Cmd
	}{
		{"ls-remote --upload-pack", git.Cmd{Name: "ls-remote", Args: []string{"--upload-pack=touch " + marker + ";", repo}}},
		{"log --output", git.Cmd{Dir: repo, Name: "log", Args: []string{"--output=" + marker}}},
		{"rev-parse --output", git.Cmd{Dir: repo, Name: "rev-parse", Flags: []string{"--verify"}, Args: []string{"--output=" + marker}}},
		{"diff --output", git.Cmd{Dir: repo, Name: "diff", Args: []string{"--output=" + marker, "main", "main"}}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_ = r.Run(ctx, tt.cmd)
			if _, err := os.Stat(marker); err == nil {
				t.Fatalf("positional argument was taken as an option")
			}
		})
	}
	// The same positional argument does reach git as a revision.
	out, err := r.Output(ctx, git.Cmd{Dir: repo, Name: "rev-parse", Flags: []string{"--verify", "--quiet"}, Args: []string{"main"}})
	if err != nil || len(bytes.TrimSpace(out)) != 40 {
		t.Errorf("rev-parse main = %q, %v", out, err)
	}
}

func TestStdinStdout(t *testing.T) {
	r := gittest.Runner(t)
	repo := gittest.InitBare(t)
	ctx := context.Background()
	out, err := r.Output(ctx, git.Cmd{Dir: repo, Name: "hash-object", Flags: []string{"--stdin"}, Stdin: strings.NewReader("hello\n")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "ce013625030ba8dba906f756967f9e9ca394464a\n"; got != want {
		t.Errorf("hash-object = %q, want %q", got, want)
	}
	var buf bytes.Buffer
	if err := r.Run(ctx, git.Cmd{Name: "version", Stdout: &buf}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "git version ") {
		t.Errorf("Run stdout = %q", buf.String())
	}
	if _, err := r.Output(ctx, git.Cmd{Name: "version", Stdout: &buf}); !errors.Is(err, git.ErrInvalidCmd) {
		t.Errorf("Output with Stdout = %v, want ErrInvalidCmd", err)
	}
}

func TestStartPipes(t *testing.T) {
	r := gittest.Runner(t)
	repo := gittest.InitBare(t)
	oid := gittest.WriteCommit(t, repo, "refs/heads/main", "c", nil)
	p, err := r.Start(context.Background(), git.Cmd{Dir: repo, Name: "cat-file", Flags: []string{"--batch-check"}})
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(p.Stdout)
	for _, in := range []string{"refs/heads/main", "nope"} {
		if _, err := io.WriteString(p.Stdin, in+"\n"); err != nil {
			t.Fatal(err)
		}
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		want := oid + " commit "
		if in == "nope" {
			want = "nope missing"
		}
		if !strings.HasPrefix(line, want) {
			t.Errorf("%s: got %q, want prefix %q", in, line, want)
		}
	}
	p.Stdin.Close()
	if rest, _ := io.ReadAll(p.Stdout); len(rest) != 0 {
		t.Errorf("trailing output %q", rest)
	}
	if err := p.Wait(); err != nil {
		t.Errorf("Wait = %v", err)
	}
	if err := p.Wait(); err != nil {
		t.Errorf("second Wait = %v", err)
	}
}

func TestError(t *testing.T) {
	r := gittest.Runner(t)
	repo := gittest.InitBare(t)
	ctx := context.Background()
	_, err := r.Output(ctx, git.Cmd{Dir: repo, Name: "cat-file", Flags: []string{"-t"}, Args: []string{"nope"}})
	var ge *git.Error
	if !errors.As(err, &ge) {
		t.Fatalf("err = %T %v, want *git.Error", err, err)
	}
	if ge.ExitCode != 128 {
		t.Errorf("ExitCode = %d, want 128", ge.ExitCode)
	}
	if !strings.Contains(ge.Stderr, "Not a valid object name nope") {
		t.Errorf("Stderr = %q", ge.Stderr)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "git cat-file: exit status 128: fatal: Not a valid object name nope") {
		t.Errorf("Error() = %q", msg)
	}

	// A huge stderr (here from a failing hook) is capped, and the message
	// stays short.
	hooks := t.TempDir()
	writeHook(t, hooks, "reference-transaction", "head -c 100000 /dev/zero | tr '\\0' x >&2\nexit 1\n")
	hr, err := git.NewRunner(ctx, git.Options{HooksPath: hooks})
	if err != nil {
		t.Fatal(err)
	}
	oid := gittest.WriteCommit(t, repo, "", "c", nil)
	update := git.Cmd{Dir: repo, Name: "update-ref", Args: []string{"refs/heads/main", oid}}
	err = hr.Run(ctx, update)
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v", err)
	}
	if len(ge.Stderr) != git.StderrCap {
		t.Errorf("len(Stderr) = %d, want %d", len(ge.Stderr), git.StderrCap)
	}
	if n := len(err.Error()); n > 400 {
		t.Errorf("len(Error()) = %d, want short", n)
	}

	// A caller's Stderr gets everything; the *Error keeps its copy.
	var stderr bytes.Buffer
	update.Stderr = &stderr
	err = hr.Run(ctx, update)
	if !errors.As(err, &ge) || len(ge.Stderr) != git.StderrCap {
		t.Errorf("err = %v", err)
	}
	if stderr.Len() < 100000 {
		t.Errorf("caller's stderr got %d bytes", stderr.Len())
	}
}

func TestCancelKills(t *testing.T) {
	r := gittest.Runner(t)
	repo := gittest.InitBare(t)
	ctx, cancel := context.WithCancel(context.Background())
	p, err := r.Start(ctx, git.Cmd{Dir: repo, Name: "cat-file", Flags: []string{"--batch"}})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	err = p.Wait()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Wait = %v, want context.Canceled", err)
	}
	var ge *git.Error
	if errors.As(err, &ge) && ge.ExitCode != -1 {
		t.Errorf("ExitCode = %d, want -1", ge.ExitCode)
	}
}

func TestCancelBlockedStdin(t *testing.T) {
	r := gittest.Runner(t)
	repo := gittest.InitBare(t)
	pr, pw := io.Pipe()
	defer pw.Close() // releases the copying goroutine
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- r.Run(ctx, git.Cmd{Dir: repo, Name: "hash-object", Flags: []string{"--stdin"}, Stdin: pr})
	}()
	if _, err := pw.Write([]byte("partial")); err != nil { // git is running and reading
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
}

// TestStdinBlockedAfterExit: git exits without reading its input; Wait
// must not wait for a reader that only ends when the client sees the exit.
func TestStdinBlockedAfterExit(t *testing.T) {
	r := gittest.Runner(t)
	pr, pw := io.Pipe()
	defer pw.Close()
	if err := r.Run(context.Background(), git.Cmd{Name: "version", Stdin: pr}); err != nil {
		t.Errorf("Run = %v", err)
	}
}

type failingReader struct{ sent bool }

var errBody = errors.New("client went away")

func (f *failingReader) Read(p []byte) (int, error) {
	if !f.sent {
		f.sent = true
		return copy(p, "partial"), nil
	}
	return 0, errBody
}

func TestStdinReadError(t *testing.T) {
	r := gittest.Runner(t)
	repo := gittest.InitBare(t)
	err := r.Run(context.Background(), git.Cmd{Dir: repo, Name: "hash-object", Flags: []string{"--stdin"}, Stdin: &failingReader{}})
	if !errors.Is(err, errBody) {
		t.Errorf("Run = %v, want the reader's error", err)
	}
}

// TestCancelKillsGroup checks that a hook started by git dies with it.
func TestCancelKillsGroup(t *testing.T) {
	repo := gittest.InitBare(t)
	oid := gittest.WriteCommit(t, repo, "", "c", nil)
	hooks := t.TempDir()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	writeHook(t, hooks, "reference-transaction", "sleep 1000 &\necho $! > \"$TANDEM_FIFO\"\nwait\n")
	r, err := git.NewRunner(context.Background(), git.Options{HooksPath: hooks})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- r.Run(ctx, git.Cmd{Dir: repo, Name: "update-ref", Args: []string{"refs/heads/main", oid},
			Env: []string{"TANDEM_FIFO=" + fifo}})
	}()
	b, err := os.ReadFile(fifo) // blocks until the hook has started sleep
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid %q: %v", b, err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	// SIGKILL went to the whole group; wait (bounded) for the grandchild
	// to be gone or a zombie.
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("hook child %d survived the cancelled command", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) STATE ...
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func TestCancelledBeforeStart(t *testing.T) {
	r := gittest.Runner(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Run(ctx, git.Cmd{Name: "version"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
}
