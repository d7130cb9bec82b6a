package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Options configures a Runner.
type Options struct {
	Bin string // path to git; "" looks up "git" on PATH once, at NewRunner

	// HooksPath is passed as -c core.hooksPath=... on every command. Empty
	// disables hooks (core.hooksPath=/dev/null): hook files stored in the
	// (shared) repositories are never run.
	HooksPath string

	// Config is passed as -c key=value on every command, after core.hooksPath
	// and before Cmd.Config (e.g. gc.auto=0 where GC is scheduled elsewhere).
	Config []ConfigPair

	Logger *slog.Logger // nil discards
}

// Runner runs git commands. It is immutable and safe for concurrent use.
type Runner struct {
	bin     string
	version string
	global  []string // leading arguments of every command: -c core.hooksPath=... etc.
	env     []string // the fixed environment, before Cmd.Env
	log     *slog.Logger
}

// MinVersion is the oldest git Tandem runs with: proc-receive,
// reference-transaction hooks, merge-tree --write-tree and
// cat-file --batch-command are all needed.
const MinVersion = "2.39"

// home is HOME for git: a directory that does not exist, so that no
// per-user file (attributes, credentials, XDG config) is ever read.
const home = "/nonexistent"

const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// NewRunner finds git, checks that it is at least MinVersion and returns a
// Runner for it.
func NewRunner(ctx context.Context, o Options) (*Runner, error) {
	bin := o.Bin
	if bin == "" {
		bin = "git"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("find git %q: %w", bin, err)
	}
	hooks := o.HooksPath
	if hooks == "" {
		hooks = os.DevNull
	}
	global := []string{"-c", "core.hooksPath=" + hooks}
	for _, p := range o.Config {
		if err := validateConfig(p); err != nil {
			return nil, err
		}
		global = append(global, "-c", p.Key+"="+p.Value)
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pathEnv := os.Getenv("PATH")
	if pathEnv == "" {
		pathEnv = defaultPath
	}
	r := &Runner{
		bin:    path,
		global: global,
		env: []string{
			"PATH=" + pathEnv,
			"HOME=" + home,
			"LANG=C",
			"LC_ALL=C",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=" + os.DevNull,
			"GIT_ATTR_NOSYSTEM=1",
			"GIT_TERMINAL_PROMPT=0",
		},
		log: logger.With("component", "git"),
	}
	out, err := r.Output(ctx, Cmd{Name: "version"})
	if err != nil {
		return nil, err
	}
	v, err := parseVersion(string(out))
	if err != nil {
		return nil, err
	}
	if !versionAtLeast(v, MinVersion) {
		return nil, fmt.Errorf("git %s or newer required, found %s", MinVersion, v)
	}
	r.version = v
	return r, nil
}

// Version returns the version of git, such as "2.39.5".
func (r *Runner) Version() string { return r.version }

// Bin returns the absolute path of the git binary.
func (r *Runner) Bin() string { return r.bin }

// Env returns the environment every command starts from (before Cmd.Env);
// for callers that must hand the same isolation to a process they do not
// start through the Runner, such as tests. The slice is a copy.
func (r *Runner) Env() []string { return append([]string(nil), r.env...) }

// parseVersion takes "git version 2.39.5" (possibly with a vendor suffix)
// and returns "2.39.5".
func parseVersion(out string) (string, error) {
	f := strings.Fields(out)
	if len(f) < 3 || f[0] != "git" || f[1] != "version" {
		return "", fmt.Errorf("parse git version %q", strings.TrimSpace(out))
	}
	return f[2], nil
}

// versionAtLeast compares the numeric dot-separated prefix of v with min.
func versionAtLeast(v, min string) bool {
	vs, ms := strings.Split(v, "."), strings.Split(min, ".")
	for i, m := range ms {
		mn, _ := strconv.Atoi(m)
		if i >= len(vs) {
			return mn == 0
		}
		vn, err := strconv.Atoi(vs[i])
		if err != nil {
			return false
		}
		if vn != mn {
			return vn > mn
		}
	}
	return true
}

// Run runs c and waits for it. A nil c.Stdout discards standard output.
func (r *Runner) Run(ctx context.Context, c Cmd) error {
	p, err := r.start(ctx, c, false)
	if err != nil {
		return err
	}
	return p.Wait()
}

// Output runs c and returns its standard output. c.Stdout must be nil.
func (r *Runner) Output(ctx context.Context, c Cmd) ([]byte, error) {
	if c.Stdout != nil {
		return nil, fmt.Errorf("%w: Output with Stdout set", ErrInvalidCmd)
	}
	var out bytes.Buffer
	c.Stdout = &out
	p, err := r.start(ctx, c, false)
	if err != nil {
		return nil, err
	}
	if err := p.Wait(); err != nil {
		return out.Bytes(), err
	}
	return out.Bytes(), nil
}

// Start starts c and returns the running process, for long-lived or
// streaming commands. When c.Stdin (c.Stdout) is nil, Process.Stdin
// (Process.Stdout) is a pipe to (from) the command. The caller must call
// Process.Wait; the process is killed when ctx is done.
func (r *Runner) Start(ctx context.Context, c Cmd) (*Process, error) {
	return r.start(ctx, c, true)
}

// ErrInvalidCmd is wrapped by every error about a Cmd that the Runner refuses
// to run (subcommand not allowed, malformed flag, config key or env).
var ErrInvalidCmd = errors.New("invalid git command")
