package sshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// SCPSource serves `scp -f PATH…`, the legacy scp "source" side that clients
// use to download hooks/commit-msg (modern OpenSSH needs `scp -O`). Register
// it as "scp". files returns the content and mode for a path with any leading
// "/" removed and cleaned ("hooks/commit-msg"); an error wrapping
// fs.ErrNotExist reads "No such file or directory" on the client. The flags
// -p, -v, -r, -d and -q are tolerated; sink mode (-t, uploads) is refused.
// Failures are reported in-band (byte 2, message, newline) and exit 1.
func SCPSource(files func(path string) ([]byte, os.FileMode, error)) HandlerFunc {
	return func(ctx context.Context, s *Session) error {
		var (
			paths  []string
			source bool
			bad    string
			end    bool
		)
		for _, a := range s.Args {
			switch {
			case end || a == "-" || !strings.HasPrefix(a, "-"):
				paths = append(paths, a)
			case a == "--":
				end = true
			default:
				for _, f := range a[1:] {
					switch f {
					case 'f':
						source = true
					case 'p', 'v', 'r', 'd', 'q':
					default:
						bad = "-" + string(f)
					}
				}
			}
		}
		out := s.Stdout
		switch {
		case bad != "":
			return scpFail(out, "unsupported option "+bad)
		case !source:
			return scpFail(out, "only downloads (scp -f) are supported")
		case len(paths) == 0:
			return scpFail(out, "no file given")
		}
		// The sink speaks first: one zero byte when it is ready.
		if err := scpAck(s.Stdin); err != nil {
			return err
		}
		for _, p := range paths {
			name := path.Clean(strings.TrimLeft(p, "/"))
			data, mode, err := files(name)
			if err != nil {
				return scpFail(out, p+": "+scpReason(err))
			}
			perm := mode.Perm()
			if perm == 0 {
				perm = 0o644
			}
			if _, err := fmt.Fprintf(out, "C%04o %d %s\n", perm, len(data), path.Base(name)); err != nil {
				return err
			}
			if err := scpAck(s.Stdin); err != nil {
				return err
			}
			if _, err := out.Write(data); err != nil {
				return err
			}
			if _, err := out.Write([]byte{0}); err != nil {
				return err
			}
			if err := scpAck(s.Stdin); err != nil {
				return err
			}
		}
		return nil
	}
}

func scpReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	}
	return err.Error()
}

// scpFail sends a fatal protocol error; the client prints it and exits 1.
func scpFail(w io.Writer, msg string) error {
	fmt.Fprintf(w, "\x02scp: %s\n", strings.ReplaceAll(msg, "\n", " "))
	return &ExitError{Code: 1}
}

// scpAck reads the sink's answer: zero is OK, anything else (1 or 2 with a
// message) ends the transfer.
func scpAck(r io.Reader) error {
	var b [1]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return fmt.Errorf("scp: read ack: %w", err)
	}
	if b[0] == 0 {
		return nil
	}
	// The client has already shown its own message; end quietly.
	return &ExitError{Code: 1}
}
