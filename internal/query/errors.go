package query

import (
	"fmt"

	"tandem/internal/fail"
)

// Error is a query the caller got wrong. Msg is safe to show (Gerrit's
// text where clients read it). It unwraps to a *fail.Error of kind
// Forbidden when the query needs a signed-in caller, Invalid otherwise.
type Error struct {
	Msg  string
	Auth bool // the query uses self, is:owner, has:draft… without a caller
}

func (e *Error) Error() string { return e.Msg }

// Unwrap gives the edges the kind to map to a status code.
func (e *Error) Unwrap() error {
	k := fail.Invalid
	if e.Auth {
		k = fail.Forbidden
	}
	return &fail.Error{Kind: k, Msg: e.Msg}
}

// MsgSignIn is Gerrit's text for self and caller-relative operators used
// anonymously.
const MsgSignIn = "Must be signed-in to use this operator"

func errorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

func errSignIn() error { return &Error{Msg: MsgSignIn, Auth: true} }

func errUnsupported(field, value string) error {
	if field == "" {
		return errorf("Unsupported operator %s", value)
	}
	return errorf("Unsupported operator %s:%s", field, value)
}

func errValue(field, value string) error {
	return errorf("Unrecognized value for %s: %s", field, value)
}
