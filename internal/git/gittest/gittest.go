// Package gittest has test helpers that make real git repositories and
// commits at run time (no checked-in repositories).
//
// Exec runs the git binary directly, not through git.Runner, with an
// isolated environment (no system or global config, a fixed identity, "main"
// as the initial branch), so tests can set up state the way a user would.
// Every helper takes a testing.TB and fails the test on error; repositories
// live in t.TempDir() and need no cleanup. Helpers are safe to call from
// parallel tests.
package gittest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"tandem/internal/git"
)

// Identity used for commits made by the helpers.
const (
	AuthorName  = "Test User"
	AuthorEmail = "test@example.com"
)

// Env is the environment of Exec: isolated from the user's and the system's
// git configuration.
func Env() []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	return []string{
		"PATH=" + path,
		"HOME=/nonexistent",
		"LANG=C",
		"LC_ALL=C",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=" + AuthorName,
		"GIT_AUTHOR_EMAIL=" + AuthorEmail,
		"GIT_COMMITTER_NAME=" + AuthorName,
		"GIT_COMMITTER_EMAIL=" + AuthorEmail,
		"GIT_CONFIG_COUNT=2",
		"GIT_CONFIG_KEY_0=init.defaultBranch",
		"GIT_CONFIG_VALUE_0=main",
		"GIT_CONFIG_KEY_1=protocol.file.allow",
		"GIT_CONFIG_VALUE_1=always",
	}
}

// Runner returns a git.Runner with hooks disabled, logging to the test.
func Runner(t testing.TB) *git.Runner {
	t.Helper()
	r, err := git.NewRunner(context.Background(), git.Options{
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	if err != nil {
		t.Fatalf("new runner: %v", err)
	}
	return r
}

// Exec runs git with args in dir (a work tree or a bare repository; "" is
// the current directory) and returns its standard output with trailing
// white space removed.
func Exec(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return ExecInput(t, dir, nil, nil, args...)
}

// ExecInput is Exec with standard input and extra KEY=VALUE environment.
func ExecInput(t testing.TB, dir string, stdin []byte, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(Env(), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, stderr.Bytes())
	}
	return strings.TrimRight(stdout.String(), " \t\r\n")
}

// InitBare creates an empty bare repository whose HEAD is refs/heads/main
// and returns its absolute path.
func InitBare(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo.git")
	Exec(t, "", "init", "--quiet", "--bare", dir)
	return dir
}

// Worktree is a non-bare repository for making commits the way a user does.
type Worktree struct {
	t   testing.TB
	Dir string
}

// NewWorktree creates an empty repository on branch main in a temporary
// directory.
func NewWorktree(t testing.TB) *Worktree {
	t.Helper()
	dir := t.TempDir()
	Exec(t, dir, "init", "--quiet")
	return &Worktree{t: t, Dir: dir}
}

// Clone clones remote (a path or URL) into a temporary directory.
func Clone(t testing.TB, remote string) *Worktree {
	t.Helper()
	dir := t.TempDir()
	Exec(t, "", "clone", "--quiet", remote, dir)
	return &Worktree{t: t, Dir: dir}
}

// Git runs git in the work tree.
func (w *Worktree) Git(args ...string) string {
	w.t.Helper()
	return Exec(w.t, w.Dir, args...)
}

// WriteFiles writes files (slash-separated paths relative to the work tree)
// creating directories as needed.
func (w *Worktree) WriteFiles(files map[string]string) {
	w.t.Helper()
	for name, content := range files {
		p := filepath.Join(w.Dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
}

// Commit writes files, stages everything and commits with msg (allowing an
// empty commit). It returns the new commit's id.
func (w *Worktree) Commit(msg string, files map[string]string) string {
	w.t.Helper()
	w.WriteFiles(files)
	w.Git("add", "--all")
	w.Git("commit", "--quiet", "--allow-empty", "--message", msg)
	return w.Git("rev-parse", "HEAD")
}

// Push pushes refspecs to remote and returns git's porcelain report.
func (w *Worktree) Push(remote string, refspecs ...string) string {
	w.t.Helper()
	return w.Git(append([]string{"push", "--porcelain", remote}, refspecs...)...)
}

// WriteCommit makes a commit in the bare repository dir without a work tree:
// files (slash-separated paths) are the whole tree, parents its parents.
// When ref is not empty it is set to the commit. It returns the commit id.
func WriteCommit(t testing.TB, dir, ref, msg string, files map[string]string, parents ...string) string {
	t.Helper()
	index := filepath.Join(t.TempDir(), "index")
	env := []string{"GIT_INDEX_FILE=" + index}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var info strings.Builder
	for _, name := range names {
		oid := ExecInput(t, dir, []byte(files[name]), nil, "hash-object", "-w", "--stdin")
		fmt.Fprintf(&info, "100644 %s\t%s\n", oid, name)
	}
	ExecInput(t, dir, []byte(info.String()), env, "update-index", "--add", "--index-info")
	tree := ExecInput(t, dir, nil, env, "write-tree")
	args := []string{"commit-tree", tree}
	for _, p := range parents {
		args = append(args, "-p", p)
	}
	oid := ExecInput(t, dir, []byte(msg), nil, args...)
	if ref != "" {
		Exec(t, dir, "update-ref", ref, oid)
	}
	return oid
}

// Main runs the tests of a package and then fails if the test binary has
// child processes left: every git process must have been waited for. Call
// it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if kids := children(); len(kids) > 0 {
			fmt.Fprintf(os.Stderr, "gittest: leaked child processes: %v\n", kids)
			code = 1
		}
	}
	os.Exit(code)
}

// children lists the child processes of this process, from /proc.
func children() []int {
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	var pids []int
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, s := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(s); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}
