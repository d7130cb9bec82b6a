package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Kinds of errors callers branch on; see Error and Classify.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")             // unique or primary key violation
	ErrUnavailable = errors.New("database unavailable") // cannot connect, or the connection was lost
)

// Error is a classified database error: one of the kinds above, the name of
// the violated constraint when the driver reports it, and the driver's error.
//
// Constraint names differ between dialects: PostgreSQL reports the
// constraint's name (accounts_username_key), SQLite the columns
// (accounts.username).
type Error struct {
	Kind       error
	Constraint string
	Err        error
}

func (e *Error) Error() string {
	if e.Err == nil || errors.Is(e.Err, sql.ErrNoRows) {
		return e.Kind.Error()
	}
	return e.Kind.Error() + ": " + e.Err.Error()
}

// Is reports whether target is e's kind, so errors.Is(err, ErrConflict) works.
func (e *Error) Is(target error) bool { return target == e.Kind }

func (e *Error) Unwrap() error { return e.Err }

// PostgreSQL SQLSTATE codes the store acts on.
const (
	pgUniqueViolation      = "23505"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
	pgUndefinedTable       = "42P01"
	pgAdminShutdown        = "57P01"
	pgCrashShutdown        = "57P02"
	pgCannotConnectNow     = "57P03"
)

// Classify returns err as an *Error when it is one of the kinds above and err
// unchanged otherwise. It is idempotent and returns nil for nil.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var classified *Error
	if errors.As(err, &classified) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &Error{Kind: ErrNotFound, Err: err}
	}
	if errors.Is(err, context.Canceled) {
		return err // the caller gave up; the database may be fine
	}

	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == pgUniqueViolation:
			return &Error{Kind: ErrConflict, Constraint: pgErr.ConstraintName, Err: err}
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception class
			pgErr.Code == pgAdminShutdown,
			pgErr.Code == pgCrashShutdown,
			pgErr.Code == pgCannotConnectNow:
			return &Error{Kind: ErrUnavailable, Err: err}
		}
		return err
	}

	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &Error{Kind: ErrConflict, Constraint: sqliteConstraint(liteErr.Error()), Err: err}
		}
		if liteErr.Code()&0xff == sqlite3.SQLITE_CANTOPEN {
			return &Error{Kind: ErrUnavailable, Err: err}
		}
		return err
	}

	if lostConnection(err) {
		return &Error{Kind: ErrUnavailable, Err: err}
	}
	return err
}

// lostConnection reports errors that mean the server could not be reached or
// went away; context cancellation and timeouts are not among them.
func lostConnection(err error) bool {
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && !opErr.Timeout()
}

// sqliteConstraint extracts "table.column[, table.column]" from SQLite's
// "UNIQUE constraint failed: accounts.username (2067)" message.
func sqliteConstraint(msg string) string {
	const marker = "constraint failed: "
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return ""
	}
	rest := msg[i+len(marker):]
	if i := strings.LastIndex(rest, " ("); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// retryable reports whether a transaction that failed with err may succeed
// when run again from the start.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == pgSerializationFailure || pgErr.Code == pgDeadlockDetected
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		return liteErr.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return false
}
