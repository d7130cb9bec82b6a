// Package fail defines Tandem's domain error: a kind that the edges (REST, SSH,
// git) map to a status code, a message that is safe to show the caller
// (Gerrit's exact text where clients read it), and an optional cause that is
// logged but never sent.
package fail

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the edges.
type Kind int

// The kinds, each mapped once by the REST and SSH layers.
const (
	Internal      Kind = iota // anything unexpected; 500, cause logged
	Invalid                   // bad input; 400
	Unauthorized              // no or wrong credentials; 401
	Forbidden                 // signed in but not permitted; 403
	NotFound                  // unknown or invisible; 404
	Conflict                  // state conflict; 409
	NotAllowed                // never possible on this resource; 405
	Unprocessable             // unresolvable id in a request body; 422
	Unavailable               // a dependency is down; 503
)

// Error is a domain error with a kind and a caller-safe message.
type Error struct {
	Kind Kind
	Msg  string // safe to show the caller
	Err  error  // cause, for logs only
}

func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an error of kind k with a formatted caller-safe message.
func Errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of kind k whose message is msg and whose cause is err.
func Wrap(k Kind, err error, msg string) error {
	return &Error{Kind: k, Msg: msg, Err: err}
}

// KindOf returns the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Message returns the caller-safe message of err, or def for errors that
// carry none (internal errors never leak their text).
func Message(err error, def string) string {
	var e *Error
	if errors.As(err, &e) && e.Msg != "" {
		return e.Msg
	}
	return def
}

// Is reports whether err is a domain error of kind k.
func Is(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}
