// Package catfile reads objects through long-lived
// `git cat-file --batch-command` processes, so that reading an object costs
// a pipe round trip instead of a process start.
//
// A Batch is one such process on one repository. It is used by one
// goroutine at a time; its owner calls Close, which ends the process. A
// Batch whose process failed reports the error on every later call. Refs
// named in revisions are resolved when each request is made, so a Batch
// sees ref updates made after it started; it is not a snapshot.
//
// A Pool hands out Batches keyed by repository directory and keeps returned
// ones for reuse, closing those idle for longer than its timeout. A Pool is
// safe for concurrent use.
package catfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"tandem/internal/git"
)

// ErrNotFound is returned for a revision that names no object.
var ErrNotFound = errors.New("object not found")

// ErrInvalidRevision is returned for a revision that cannot be sent to git:
// empty, or containing a newline, carriage return or NUL.
var ErrInvalidRevision = errors.New("invalid revision")

// ErrAmbiguous is returned for an abbreviated id matching several objects.
var ErrAmbiguous = errors.New("ambiguous object name")

// ObjectInfo describes an object.
type ObjectInfo struct {
	OID  string
	Type string // "blob", "tree", "commit" or "tag"
	Size int64
}

// Batch is a running cat-file process on one repository.
type Batch struct {
	dir  string
	proc *git.Process
	in   *bufio.Writer
	out  *bufio.Reader
	err  error // sticky: the process is unusable
}

// Open starts a Batch on the repository dir. It is killed when ctx is done.
func Open(ctx context.Context, r *git.Runner, dir string) (*Batch, error) {
	return OpenEnv(ctx, r, dir, nil)
}

// OpenEnv is Open with extra environment, for example
// GIT_OBJECT_DIRECTORY and GIT_ALTERNATE_OBJECT_DIRECTORIES to see the
// quarantined objects of a push in progress.
func OpenEnv(ctx context.Context, r *git.Runner, dir string, env []string) (*Batch, error) {
	p, err := r.Start(ctx, git.Cmd{Dir: dir, Name: "cat-file", Flags: []string{"--batch-command"}, Env: env})
	if err != nil {
		return nil, fmt.Errorf("cat-file %q: %w", dir, err)
	}
	return &Batch{
		dir:  dir,
		proc: p,
		in:   bufio.NewWriter(p.Stdin),
		out:  bufio.NewReaderSize(p.Stdout, 64<<10),
	}, nil
}

// Dir returns the repository the Batch reads.
func (b *Batch) Dir() string { return b.dir }

// Err returns the error that made the Batch unusable, or nil.
func (b *Batch) Err() error { return b.err }

// Info returns the id, type and size of the object rev names.
func (b *Batch) Info(rev string) (ObjectInfo, error) {
	return b.request("info", rev)
}

// Infos returns the Info of each of revs in one round trip: the requests
// are written while the answers are read. A revision naming no object,
// or several, gets an ObjectInfo with an empty Type.
func (b *Batch) Infos(revs []string) ([]ObjectInfo, error) {
	if b.err != nil {
		return nil, b.err
	}
	for _, rev := range revs {
		if rev == "" || strings.ContainsAny(rev, "\n\r\x00") {
			return nil, fmt.Errorf("revision %q: %w", rev, ErrInvalidRevision)
		}
	}
	// git answers each request as it reads it; writing from another
	// goroutine keeps both pipes moving whatever the number of requests.
	written := make(chan error, 1)
	go func() {
		for _, rev := range revs {
			b.in.WriteString("info ")
			b.in.WriteString(rev)
			b.in.WriteByte('\n')
		}
		written <- b.in.Flush()
	}()
	infos := make([]ObjectInfo, len(revs))
	var rerr error
	for i, rev := range revs {
		line, err := b.out.ReadString('\n')
		if err != nil {
			rerr = fmt.Errorf("info %q: %w", rev, err)
			break
		}
		line = line[:len(line)-1]
		if line == rev+" missing" || line == rev+" ambiguous" {
			continue
		}
		info, ok := parseHeader(line)
		if !ok {
			rerr = fmt.Errorf("info %q: unexpected %q", rev, line)
			break
		}
		infos[i] = info
	}
	if rerr != nil {
		b.fail(rerr) // kills git, which unblocks the writer
		<-written
		return nil, b.err
	}
	if err := <-written; err != nil {
		return nil, b.fail(fmt.Errorf("info: %w", err))
	}
	return infos, nil
}

// Read returns the object rev names and its content, all in memory: check
// the size with Info first where objects may be large.
func (b *Batch) Read(rev string) (ObjectInfo, []byte, error) {
	info, err := b.request("contents", rev)
	if err != nil {
		return info, nil, err
	}
	data := make([]byte, info.Size+1) // content and a newline
	if _, err := io.ReadFull(b.out, data); err != nil {
		return ObjectInfo{}, nil, b.fail(fmt.Errorf("read %q: %w", rev, err))
	}
	if data[info.Size] != '\n' {
		return ObjectInfo{}, nil, b.fail(fmt.Errorf("read %q: missing object terminator", rev))
	}
	return info, data[:info.Size], nil
}

func (b *Batch) request(cmd, rev string) (ObjectInfo, error) {
	if b.err != nil {
		return ObjectInfo{}, b.err
	}
	if rev == "" || strings.ContainsAny(rev, "\n\r\x00") {
		return ObjectInfo{}, fmt.Errorf("revision %q: %w", rev, ErrInvalidRevision)
	}
	b.in.WriteString(cmd)
	b.in.WriteByte(' ')
	b.in.WriteString(rev)
	b.in.WriteByte('\n')
	if err := b.in.Flush(); err != nil {
		return ObjectInfo{}, b.fail(fmt.Errorf("%s %q: %w", cmd, rev, err))
	}
	line, err := b.out.ReadString('\n')
	if err != nil {
		return ObjectInfo{}, b.fail(fmt.Errorf("%s %q: %w", cmd, rev, err))
	}
	line = line[:len(line)-1]
	switch line {
	case rev + " missing":
		return ObjectInfo{}, fmt.Errorf("revision %q: %w", rev, ErrNotFound)
	case rev + " ambiguous":
		return ObjectInfo{}, fmt.Errorf("revision %q: %w", rev, ErrAmbiguous)
	}
	info, ok := parseHeader(line)
	if !ok {
		return ObjectInfo{}, b.fail(fmt.Errorf("%s %q: unexpected %q", cmd, rev, line))
	}
	return info, nil
}

// parseHeader parses "<oid> <type> <size>".
func parseHeader(line string) (ObjectInfo, bool) {
	f := strings.Split(line, " ")
	if len(f) != 3 || (len(f[0]) != 40 && len(f[0]) != 64) {
		return ObjectInfo{}, false
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || size < 0 {
		return ObjectInfo{}, false
	}
	return ObjectInfo{OID: f[0], Type: f[1], Size: size}, true
}

// fail marks the Batch unusable, killing the process if it is still there.
func (b *Batch) fail(err error) error {
	if b.err == nil {
		b.err = err
		b.proc.Stdin.Close()
		io.Copy(io.Discard, b.out)
		if werr := b.proc.Wait(); werr != nil {
			b.err = fmt.Errorf("%w (%v)", err, werr)
		}
	}
	return b.err
}

var errClosed = errors.New("cat-file batch closed")

// Close ends the process and waits for it. Calling it again is a no-op.
func (b *Batch) Close() error {
	if b.err != nil {
		if b.err == errClosed {
			return nil
		}
		b.err = errClosed
		return nil
	}
	b.err = errClosed
	b.proc.Stdin.Close()
	io.Copy(io.Discard, b.out)
	return b.proc.Wait()
}
