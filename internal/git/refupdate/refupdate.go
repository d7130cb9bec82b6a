// Package refupdate writes refs through `git update-ref --stdin -z`
// transactions with expected old values. Tandem moves refs with
// repo.Repo.UpdateRefs, which writes plain files-backend refs itself, with
// these types and errors, and leaves everything else to Apply.
//
// Apply runs one all-or-nothing transaction in one git process.
//
// A compare-and-swap that fails (the ref moved, exists, is missing, or is
// locked by another writer) is a *MismatchError; a directory/file clash
// between ref names is a *ConflictError; a malformed name is an
// *InvalidRefError. Other failures are *git.Error.
//
// Once git has started, cancelling the context never kills it halfway:
// a killed update-ref would leave lock files that block the refs for every
// master. Apply then runs to its end.
package refupdate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
