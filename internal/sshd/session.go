package sshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"

	"golang.org/x/crypto/ssh"

	"tandem/internal/fail"
)

// maxEnv bounds the "env" requests kept per session.
const maxEnv = 64

// maxLogLine bounds the command line written to the log.
const maxLogLine = 512

// serveSession answers the requests of one session channel and runs at most
// one command on it. It returns when the channel is closed and the command,
// if any, has returned.
func (s *Server) serveSession(c *conn, id Identity, log *slog.Logger, nch ssh.NewChannel) {
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	env := map[string]string{}
	var done chan struct{}
	for req := range reqs {
		ok := false
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			if done == nil && len(env) < maxEnv && ssh.Unmarshal(req.Payload, &kv) == nil {
				env[kv.Name] = kv.Value
				ok = true
			}
		case "pty-req":
			// Accepted and ignored, so an interactive `ssh -p 29418 host`
			// shows the welcome text without a "PTY allocation failed" line.
			ok = done == nil
		case "exec", "shell":
			if done != nil {
				break
			}
			var line string
			if req.Type == "exec" {
				var p struct{ Command string }
				if ssh.Unmarshal(req.Payload, &p) != nil {
					break
				}
				line = p.Command
			}
			req.Reply(true, nil)
			done = make(chan struct{})
			sess := &Session{
				Identity:   id,
				Line:       line,
				Env:        env,
				Stdin:      ch,
				Stdout:     ch,
				Stderr:     ch.Stderr(),
				RemoteAddr: c.nc.RemoteAddr(),
				ConnID:     c.id,
				server:     s,
			}
			shell := req.Type == "shell"
			go func() {
				defer close(done)
				s.run(ctx, ch, sess, shell, log)
			}()
			continue
		}
		if req.WantReply {
			req.Reply(ok, nil)
		}
	}
	// The client closed the channel or the connection is gone.
	cancel()
	if done == nil {
		ch.Close()
		return
	}
	<-done
}

// run runs one command, then reports its exit status and closes the channel.
func (s *Server) run(ctx context.Context, ch ssh.Channel, sess *Session, shell bool, log *slog.Logger) {
	start := s.clock.Now()
	var h HandlerFunc
	if shell {
		h = s.shell
	} else {
		sess.Command, h, sess.Args = s.o.Commands.lookup(Split(sess.Line))
	}
	err := call(ctx, h, sess, log)
	code, msg := exitStatus(err)
	if msg != "" {
		io.WriteString(sess.Stderr, msg)
	}
	attrs := []any{
		"command", logLine(sess.Command, sess.Args, shell),
		"status", code,
		"duration", s.clock.Now().Sub(start),
	}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	if ctx.Err() != nil {
		attrs = append(attrs, "cancelled", true)
	}
	// Logged before the client can see the end, so the log is complete when
	// a client (or test) finishes.
	log.Info("ssh command", attrs...)

	// Writes return once their data is queued on the connection, so
	// everything the handler wrote precedes EOF, the status and close.
	ch.CloseWrite()
	ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
	ch.Close()
}

// call runs h and turns a panic into an internal error.
func call(ctx context.Context, h HandlerFunc, sess *Session, log *slog.Logger) (err error) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("ssh command panicked", "panic", r, "stack", string(debug.Stack()))
			err = &fail.Error{Kind: fail.Internal, Err: fmt.Errorf("panic: %v", r)}
		}
	}()
	return h(ctx, sess)
}

// exitStatus maps a handler's result to an exit status and stderr text.
func exitStatus(err error) (int, string) {
	if err == nil {
		return 0, ""
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		msg := ee.Msg
		if msg != "" && !strings.HasSuffix(msg, "\n") {
			msg += "\n"
		}
		return ee.Code, msg
	}
	var fe *fail.Error
	if errors.As(err, &fe) {
		// Only the caller-safe message is sent; the cause is logged. Gerrit
		// exits 128 on unexpected failures.
		code := 1
		if fe.Kind == fail.Internal {
			code = 128
		}
		return code, "fatal: " + fail.Message(err, "internal server error") + "\n"
	}
	return 1, "fatal: " + err.Error() + "\n"
}

func (s *Server) shell(_ context.Context, sess *Session) error {
	var msg string
	if s.o.Welcome != nil {
		msg = s.o.Welcome(sess.Identity)
	} else {
		msg = "\r\n  ****    Welcome to Tandem Code Review    ****\r\n\r\n" +
			"  Hi " + sess.Identity.Username + ", you have successfully connected over SSH.\r\n\r\n" +
			"  Unfortunately, interactive shells are disabled.\r\n\r\n"
	}
	io.WriteString(sess.Stderr, msg)
	return &ExitError{Code: 127}
}

// logLine renders a command for the log with secret option values masked.
func logLine(name string, args []string, shell bool) string {
	if shell {
		return "(shell)"
	}
	var b strings.Builder
	b.WriteString(name)
	maskNext := false
	for _, a := range args {
		b.WriteByte(' ')
		switch {
		case maskNext:
			b.WriteString("***")
			maskNext = false
		case strings.HasPrefix(a, "-") && secret(a):
			if k, _, ok := strings.Cut(a, "="); ok {
				b.WriteString(k + "=***")
			} else {
				b.WriteString(a)
				maskNext = true
			}
		case a == "" || strings.ContainsAny(a, " \t\n\"'\\"):
			fmt.Fprintf(&b, "%q", a)
		default:
			b.WriteString(a)
		}
		if b.Len() > maxLogLine {
			return b.String()[:maxLogLine] + "…"
		}
	}
	return b.String()
}

func secret(opt string) bool {
	opt = strings.ToLower(opt)
	return strings.Contains(opt, "password") || strings.Contains(opt, "token") || strings.Contains(opt, "secret")
}
