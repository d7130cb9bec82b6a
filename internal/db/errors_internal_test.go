package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestClassify(t *testing.T) {
	plain := errors.New("syntax error")
	for _, tc := range []struct {
		desc       string
		err        error
		kind       error // nil: returned unchanged
		constraint string
	}{
		{desc: "nil", err: nil},
		{desc: "unrelated", err: plain},
		{desc: "no rows", err: sql.ErrNoRows, kind: ErrNotFound},
		{desc: "wrapped no rows", err: fmt.Errorf("load: %w", sql.ErrNoRows), kind: ErrNotFound},
		{desc: "unique violation", err: &pgconn.PgError{Code: "23505", ConstraintName: "accounts_username_key"}, kind: ErrConflict, constraint: "accounts_username_key"},
		{desc: "foreign key violation", err: &pgconn.PgError{Code: "23503"}},
		{desc: "connection failure", err: &pgconn.PgError{Code: "08006"}, kind: ErrUnavailable},
		{desc: "admin shutdown", err: &pgconn.PgError{Code: "57P01"}, kind: ErrUnavailable},
		{desc: "cannot connect now", err: &pgconn.PgError{Code: "57P03"}, kind: ErrUnavailable},
		{desc: "serialization failure", err: &pgconn.PgError{Code: "40001"}},
		{desc: "bad connection", err: driver.ErrBadConn, kind: ErrUnavailable},
		{desc: "connection done", err: sql.ErrConnDone, kind: ErrUnavailable},
		{desc: "cut off", err: fmt.Errorf("read: %w", io.ErrUnexpectedEOF), kind: ErrUnavailable},
		{desc: "canceled", err: context.Canceled},
		{desc: "already classified", err: fmt.Errorf("x: %w", &Error{Kind: ErrConflict, Constraint: "c"}), kind: ErrConflict, constraint: "c"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got := Classify(tc.err)
			if tc.kind == nil {
				if got != tc.err {
					t.Errorf("Classify(%v) = %v, want it unchanged", tc.err, got)
				}
				return
			}
			var e *Error
			if !errors.Is(got, tc.kind) || !errors.As(got, &e) || e.Constraint != tc.constraint {
				t.Errorf("Classify(%v) = %#v, want kind %v, constraint %q", tc.err, got, tc.kind, tc.constraint)
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("Classify(%v) = %v, which no longer wraps the original", tc.err, got)
			}
			if Classify(got) != got {
				t.Errorf("Classify is not idempotent on %v", got)
			}
		})
	}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		desc string
		err  error
		want bool
	}{
		{desc: "serialization failure", err: &pgconn.PgError{Code: "40001"}, want: true},
		{desc: "deadlock", err: fmt.Errorf("update: %w", &Error{Kind: errors.New("x"), Err: &pgconn.PgError{Code: "40P01"}}), want: true},
		{desc: "unique violation", err: &pgconn.PgError{Code: "23505"}},
		{desc: "unrelated", err: errors.New("boom")},
		{desc: "nil", err: nil},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := retryable(tc.err); got != tc.want {
				t.Errorf("retryable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestSQLiteConstraint(t *testing.T) {
	for _, tc := range []struct {
		desc string
		msg  string
		want string
	}{
		{desc: "one column", msg: "constraint failed: UNIQUE constraint failed: accounts.username (2067)", want: "accounts.username"},
		{desc: "two columns", msg: "UNIQUE constraint failed: group_members.group_id, group_members.account_id (1555)", want: "group_members.group_id, group_members.account_id"},
		{desc: "no name", msg: "disk I/O error", want: ""},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := sqliteConstraint(tc.msg); got != tc.want {
				t.Errorf("sqliteConstraint(%q) = %q, want %q", tc.msg, got, tc.want)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   string
		want string // must appear
	}{
		{desc: "url user password", in: "postgres://u:secret@db.example.com/tandem", want: "postgres://u:xxxxx@db.example.com/tandem"},
		{desc: "url query password", in: "postgres://u@/tandem?host=/tmp&password=secret", want: "password=xxxxx"},
		{desc: "key value", in: "host=/tmp dbname=tandem password=secret user=u", want: "dbname=tandem password=xxxxx user=u"},
		{desc: "key value quoted", in: "dbname=tandem password='se cret' user=u", want: "password=xxxxx user=u"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got := redactURL(tc.in)
			if strings.Contains(got, "secret") || strings.Contains(got, "cret") || !strings.Contains(got, tc.want) {
				t.Errorf("redactURL(%q) = %q, want it to contain %q and no password", tc.in, got, tc.want)
			}
		})
	}
}
