// Package refupdate writes refs through `git update-ref --stdin -z`
// transactions with expected old values. Tandem moves refs with
// repo.Repo.UpdateRefs, which writes plain files-backend refs itself, with
// these types and errors, and leaves everything else to Apply.
//
// Apply runs one all-or-nothing transaction in one git process. Start gives
// an interactive transaction (prepare, then commit or abort) for callers
// that must agree with someone else while the refs are locked, such as the
// global ref database of a multi-site setup.
//
// A compare-and-swap that fails (the ref moved, exists, is missing, or is
// locked by another writer) is a *MismatchError; a directory/file clash
// between ref names is a *ConflictError; a malformed name is an
// *InvalidRefError. Other failures are *git.Error.
//
// Once git has started, cancelling the context never kills it halfway:
// a killed update-ref would leave lock files that block the refs for every
// master. Apply then runs to its end; a Tx is aborted by closing git's input.
package refupdate

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"tandem/internal/git"
)

// ZeroOID as an Update's Old means "must not exist"; as New, "delete".
const ZeroOID = "0000000000000000000000000000000000000000"

// Update moves one ref. Old is the expected current value: ZeroOID for "must
// not exist", "" for no check (avoid: it is not a compare-and-swap).
type Update struct{ Ref, Old, New string }

// MismatchError is a failed compare-and-swap: the ref is not at the
// expected old value (it moved, already exists or is missing), or another
// writer holds its lock.
type MismatchError struct {
	Ref    string
	Reason string // git's words, e.g. "reference already exists"
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("ref %q changed concurrently: %s", e.Ref, e.Reason)
}

// ConflictError is a ref that cannot exist next to another one: refs/a/b
// when refs/a exists, or both in one transaction.
type ConflictError struct {
	Ref    string
	Reason string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("ref %q conflicts: %s", e.Ref, e.Reason)
}

// InvalidRefError is a ref name that git refuses.
type InvalidRefError struct{ Ref string }

func (e *InvalidRefError) Error() string { return fmt.Sprintf("invalid ref name %q", e.Ref) }

// Apply applies updates in one transaction: all of them or none. No updates
// is a no-op.
func Apply(ctx context.Context, r *git.Runner, dir string, updates ...Update) error {
	if len(updates) == 0 {
		return nil
	}
	var in bytes.Buffer
	in.WriteString("start\x00")
	for _, u := range updates {
		if err := encode(&in, u); err != nil {
			return err
		}
	}
	in.WriteString("prepare\x00commit\x00")
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := r.Output(context.WithoutCancel(ctx), git.Cmd{
		Dir: dir, Name: "update-ref", Flags: []string{"--stdin", "-z"}, Stdin: &in,
	})
	return classify(err)
}

func encode(w *bytes.Buffer, u Update) error {
	if !strings.HasPrefix(u.Ref, "refs/") || strings.ContainsAny(u.Ref, "\x00\n") {
		return &InvalidRefError{Ref: u.Ref}
	}
	if !git.IsOID(u.New) {
		return fmt.Errorf("update %q: new value %q is not an object id", u.Ref, u.New)
	}
	if u.Old != "" && !git.IsOID(u.Old) {
		return fmt.Errorf("update %q: old value %q is not an object id", u.Ref, u.Old)
	}
	fmt.Fprintf(w, "update %s\x00%s\x00%s\x00", u.Ref, u.New, u.Old)
	return nil
}

var (
	lockRE    = regexp.MustCompile(`(?m)^fatal: (?:prepare: |commit: )?cannot lock ref '([^']+)': (.*)$`)
	invalidRE = regexp.MustCompile(`(?m)^fatal: invalid ref format: (.*)$`)
)

// classify turns git's complaint about a transaction into a typed error.
func classify(err error) error {
	var ge *git.Error
	if err == nil || !errors.As(err, &ge) {
		return err
	}
	if m := invalidRE.FindStringSubmatch(ge.Stderr); m != nil {
		return &InvalidRefError{Ref: m[1]}
	}
	m := lockRE.FindStringSubmatch(ge.Stderr)
	if m == nil {
		return err
	}
	ref, reason := m[1], strings.TrimSpace(m[2])
	switch {
	case strings.Contains(reason, "' exists; cannot create '"),
		strings.Contains(reason, "at the same time"):
		return &ConflictError{Ref: ref, Reason: reason}
	case strings.HasPrefix(reason, "reference already exists"),
		strings.HasPrefix(reason, "is at "),
		strings.HasPrefix(reason, "unable to resolve reference"),
		strings.HasPrefix(reason, "reference is missing"),
		strings.HasPrefix(reason, "Unable to create") && strings.Contains(reason, ".lock"):
		if strings.HasPrefix(reason, "Unable to create") {
			reason = "locked by another writer"
		}
		return &MismatchError{Ref: ref, Reason: reason}
	}
	return err
}

// Tx is an interactive transaction: queue updates, Prepare (which takes the
// locks and checks old values), then Commit or Abort. A Tx is used by one
// goroutine; Abort after Commit is a no-op, so `defer tx.Abort()` is safe.
// When ctx is done the transaction is aborted unless Commit was sent.
type Tx struct {
	ctx   context.Context
	proc  *git.Process
	stdin io.WriteCloser
	out   *bufio.Reader
	buf   bytes.Buffer
	stop  func() bool
	err   error // sticky once the transaction is over
}

var (
	errCommitted = errors.New("transaction already committed")
	errAborted   = errors.New("transaction aborted")
)

// Start begins a transaction in the repository dir.
func Start(ctx context.Context, r *git.Runner, dir string) (*Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := r.Start(context.WithoutCancel(ctx), git.Cmd{
		Dir: dir, Name: "update-ref", Flags: []string{"--stdin", "-z"},
	})
	if err != nil {
		return nil, err
	}
	t := &Tx{ctx: ctx, proc: p, stdin: p.Stdin, out: bufio.NewReader(p.Stdout)}
	// Closing git's input aborts a transaction that was not committed.
	t.stop = context.AfterFunc(ctx, func() { p.Stdin.Close() })
	t.buf.WriteString("start\x00")
	if err := t.roundTrip("start"); err != nil {
		return nil, err
	}
	return t, nil
}

// Update queues updates; they are sent with Prepare or Commit.
func (t *Tx) Update(updates ...Update) error {
	if t.err != nil {
		return t.err
	}
	for _, u := range updates {
		if err := encode(&t.buf, u); err != nil {
			return err
		}
	}
	return nil
}

// Prepare locks every queued ref and checks its old value. After it
// succeeds, Commit cannot fail on a compare-and-swap.
func (t *Tx) Prepare() error {
	if t.err != nil {
		return t.err
	}
	t.buf.WriteString("prepare\x00")
	return t.roundTrip("prepare")
}

// Commit applies the transaction (preparing it first if needed).
func (t *Tx) Commit() error {
	if t.err != nil {
		return t.err
	}
	t.buf.WriteString("commit\x00")
	if err := t.roundTrip("commit"); err != nil {
		return err
	}
	return t.end(errCommitted)
}

// Abort releases the locks and discards the transaction. It is a no-op on a
// transaction that is already over.
func (t *Tx) Abort() error {
	if t.err != nil {
		return nil
	}
	return t.end(errAborted)
}

// roundTrip sends the buffered commands and waits for "cmd: ok".
func (t *Tx) roundTrip(cmd string) error {
	err := t.ctx.Err() // a transaction is never committed after ctx is done
	if err == nil {
		_, err = t.stdin.Write(t.buf.Bytes())
	}
	t.buf.Reset()
	if err == nil {
		var line string
		line, err = t.out.ReadString('\n')
		if err == nil && line == cmd+": ok\n" {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("unexpected %q", line)
		}
	}
	// git died, or ctx closed its input: its exit status tells which.
	werr := t.end(errAborted)
	switch {
	case werr != nil:
		err = classify(werr)
	case t.ctx.Err() != nil:
		err = t.ctx.Err()
	default:
		err = fmt.Errorf("update-ref %s: %w", cmd, err)
	}
	t.err = err
	return err
}

// end closes git's input (which aborts an uncommitted transaction), waits
// for git and marks the transaction over with state.
func (t *Tx) end(state error) error {
	t.stop()
	t.stdin.Close()
	io.Copy(io.Discard, t.out)
	err := t.proc.Wait()
	t.err = state
	return err
}
