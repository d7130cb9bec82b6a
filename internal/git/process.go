package git

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// StderrCap is how much of a command's standard error is kept for *Error.
const StderrCap = 8 << 10

// Process is a running git command started by Runner.Start.
type Process struct {
	// Stdin is a pipe to the command when Cmd.Stdin was nil, else nil.
	// Close it to send end of file.
	Stdin io.WriteCloser
	// Stdout is a pipe from the command when Cmd.Stdout was nil, else nil.
	// Read it to end of file before calling Wait, which closes it.
	Stdout io.ReadCloser

	ctx     context.Context
	cmd     *exec.Cmd
	runner  *Runner
	name    string
	args    []string
	stderr  *capBuffer
	started time.Time

	// Copying a caller's Stdin is done here rather than by os/exec so that
	// Wait can return once git has exited even if the caller's reader blocks.
	stdinW    *os.File
	stdinDone chan error // nil unless we copy Stdin

	waitOnce sync.Once
	waitErr  error
}

func (r *Runner) start(ctx context.Context, c Cmd, pipes bool) (*Process, error) {
	argv, env, err := r.args(c)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, r.bin, argv...)
	cmd.Env = env
	cmd.Dir = "/" // never discover a repository from the server's working directory
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// Once git is reaped its group id may be reused: check first
		// (os.ErrProcessDone tells os/exec there is nothing to cancel).
		if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
			return err
		}
		// Kill the whole group: hooks and helpers die with git.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	p := &Process{
		ctx:     ctx,
		cmd:     cmd,
		runner:  r,
		name:    c.Name,
		args:    argv,
		stderr:  &capBuffer{max: StderrCap},
		started: time.Now(),
	}
	if c.Stderr != nil {
		cmd.Stderr = &teeWriter{cap: p.stderr, w: c.Stderr}
	} else {
		cmd.Stderr = p.stderr
	}

	var closeAfterStart, closeOnFail []io.Closer
	fail := func(err error) (*Process, error) {
		for _, c := range closeAfterStart {
			c.Close()
		}
		for _, c := range closeOnFail {
			c.Close()
		}
		return nil, &Error{Args: argv, ExitCode: -1, Err: err}
	}

	switch in := c.Stdin.(type) {
	case nil:
		if pipes {
			pr, pw, err := os.Pipe()
			if err != nil {
				return fail(err)
			}
			cmd.Stdin = pr
			p.Stdin = pw
			closeAfterStart = append(closeAfterStart, pr)
			closeOnFail = append(closeOnFail, pw)
		}
	case *os.File:
		cmd.Stdin = in
	default:
		pr, pw, err := os.Pipe()
		if err != nil {
			return fail(err)
		}
		cmd.Stdin = pr
		p.stdinW = pw
		closeAfterStart = append(closeAfterStart, pr)
		closeOnFail = append(closeOnFail, pw)
	}

	if c.Stdout != nil {
		cmd.Stdout = c.Stdout
	} else if pipes {
		pr, pw, err := os.Pipe()
		if err != nil {
			return fail(err)
		}
		cmd.Stdout = pw
		p.Stdout = pr
		closeAfterStart = append(closeAfterStart, pw)
		closeOnFail = append(closeOnFail, pr)
	}

	if err := cmd.Start(); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return fail(err)
	}
	for _, c := range closeAfterStart {
		c.Close()
	}
	if p.stdinW != nil {
		p.stdinDone = make(chan error, 1)
		go copyStdin(p.stdinW, c.Stdin, p.stdinDone)
	}
	return p, nil
}

// copyStdin copies src to the command and reports read errors only: a
// command may legitimately exit without reading all of its input.
func copyStdin(w *os.File, src io.Reader, done chan<- error) {
	rerr := &readErr{r: src}
	_, _ = io.Copy(w, rerr)
	done <- rerr.err // before git can see EOF, so Wait finds it
	w.Close()
}

type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// Pid returns the process id, which is also its process group id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Wait waits for the command to exit and for its output to be copied, and
// returns an *Error if it failed or its context was done. It does not wait
// for a Cmd.Stdin reader that blocks after git has exited. Calling it again
// returns the same result.
func (p *Process) Wait() error {
	p.waitOnce.Do(func() { p.waitErr = p.wait() })
	return p.waitErr
}

func (p *Process) wait() error {
	err := p.cmd.Wait()
	if p.Stdin != nil {
		p.Stdin.Close()
	}
	if p.Stdout != nil {
		p.Stdout.Close()
	}
	if p.stdinDone != nil {
		// git is gone: unblock a pending write, but do not wait for a Read
		// on the caller's reader, which may only return once the client
		// has seen this command end (an SSH channel). The goroutine ends
		// when that Read returns.
		p.stdinW.Close()
		select {
		case cerr := <-p.stdinDone:
			if err == nil && cerr != nil {
				err = fmt.Errorf("copy stdin: %w", cerr)
			}
		default:
		}
	}
	code := -1
	if p.cmd.ProcessState != nil {
		code = p.cmd.ProcessState.ExitCode() // -1 when killed by a signal
	}
	if err != nil && p.ctx.Err() != nil {
		err = p.ctx.Err()
	}
	log := p.runner.log
	if log.Enabled(p.ctx, slog.LevelDebug) {
		log.DebugContext(p.ctx, "git command", "cmd", p.name, "exit_code", code,
			"duration_ms", time.Since(p.started).Milliseconds())
	}
	if err == nil {
		return nil
	}
	return &Error{Args: p.args, ExitCode: code, Stderr: p.stderr.String(), Err: err}
}

// Error is a failed git command.
type Error struct {
	Args     []string // git's arguments, without the binary
	ExitCode int      // -1 when it did not start or was killed
	Stderr   string   // standard error, capped at StderrCap
	Err      error    // the cause: *exec.ExitError, a context error, ...
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("git ")
	b.WriteString(e.subcommand())
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	if s := e.shortStderr(); s != "" {
		b.WriteString(": ")
		b.WriteString(s)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// subcommand finds the subcommand in Args: the first word that is neither
// a global option nor the value of -c.
func (e *Error) subcommand() string {
	for i := 0; i < len(e.Args); i++ {
		a := e.Args[i]
		switch {
		case a == "-c":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			return a
		}
	}
	return "command"
}

// shortStderr is stderr on one line, cut to a length fit for a log line.
func (e *Error) shortStderr() string {
	const max = 300
	s := strings.Join(strings.Fields(e.Stderr), " ")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// capBuffer keeps the first max bytes written to it and drops the rest.
type capBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (c *capBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (c *capBuffer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf)
}

// teeWriter feeds the capture and the caller's writer; it never fails, so a
// caller's broken writer cannot stall git on a full stderr pipe.
type teeWriter struct {
	cap    *capBuffer
	w      io.Writer
	broken bool
}

func (t *teeWriter) Write(p []byte) (int, error) {
	t.cap.Write(p)
	if !t.broken {
		if _, err := t.w.Write(p); err != nil {
			t.broken = true
		}
	}
	return len(p), nil
}
