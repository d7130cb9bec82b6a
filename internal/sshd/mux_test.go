package sshd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"tandem/internal/fail"
)

func TestMuxLookup(t *testing.T) {
	m := NewMux()
	named := func(name string) HandlerFunc {
		return func(context.Context, *Session) error { return errors.New("ran " + name) }
	}
	m.Handle("git-upload-pack", named("git-upload-pack"))
	m.Handle("gerrit version", named("gerrit version"))
	m.Handle("gerrit ls-groups", named("gerrit ls-groups"))

	tests := []struct {
		desc     string
		line     string
		wantName string
		wantArgs []string
		wantErr  string // what the handler returns
	}{
		{desc: "top-level", line: "git-upload-pack '/p.git'", wantName: "git-upload-pack", wantArgs: []string{"/p.git"}, wantErr: "ran git-upload-pack"},
		{desc: "group command", line: "gerrit ls-groups -v --owned", wantName: "gerrit ls-groups", wantArgs: []string{"-v", "--owned"}, wantErr: "ran gerrit ls-groups"},
		{desc: "unknown in group", line: "gerrit frobnicate x", wantName: "gerrit frobnicate", wantArgs: []string{"x"}, wantErr: "fatal: gerrit: frobnicate: not found"},
		{desc: "unknown top-level", line: "frobnicate", wantName: "frobnicate", wantArgs: []string{}, wantErr: "fatal: Gerrit Code Review: frobnicate: not found"},
		{desc: "bare group", line: "gerrit", wantName: "gerrit", wantErr: "fatal: Available commands of gerrit are:\n\n   ls-groups\n   version\n\nSee 'gerrit COMMAND --help' for more information.\n"},
		{desc: "group help", line: "gerrit --help", wantName: "gerrit", wantArgs: []string{}, wantErr: "Available commands of gerrit are:\n\n   ls-groups\n   version\n\nSee 'gerrit COMMAND --help' for more information.\n"},
		{desc: "empty line", line: "", wantName: "", wantErr: "fatal: Available commands are:\n\n   gerrit\n   git-upload-pack\n\nSee 'COMMAND --help' for more information.\n"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			name, h, args := m.lookup(Split(tc.line))
			if name != tc.wantName {
				t.Errorf("name = %q, want %q", name, tc.wantName)
			}
			if !slices.Equal(args, tc.wantArgs) {
				t.Errorf("args = %q, want %q", args, tc.wantArgs)
			}
			err := h(context.Background(), &Session{})
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("handler error = %q, want %q", err, tc.wantErr)
			}
		})
	}
	if got, want := m.Names(), []string{"gerrit ls-groups", "gerrit version", "git-upload-pack"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
}

func TestMuxHandlePanics(t *testing.T) {
	noop := func(context.Context, *Session) error { return nil }
	tests := []struct {
		desc  string
		first string
		name  string
	}{
		{desc: "empty name", name: " "},
		{desc: "three words", name: "a b c"},
		{desc: "duplicate command", first: "scp", name: "scp"},
		{desc: "duplicate group command", first: "gerrit version", name: "gerrit version"},
		{desc: "command over group", first: "gerrit version", name: "gerrit"},
		{desc: "group over command", first: "scp", name: "scp x"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			m := NewMux()
			if tc.first != "" {
				m.Handle(tc.first, noop)
			}
			defer func() {
				if recover() == nil {
					t.Errorf("Handle(%q) after %q did not panic", tc.name, tc.first)
				}
			}()
			m.Handle(tc.name, noop)
		})
	}
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		desc     string
		err      error
		wantCode int
		wantMsg  string
	}{
		{desc: "nil", err: nil, wantCode: 0, wantMsg: ""},
		{desc: "plain error", err: errors.New("boom"), wantCode: 1, wantMsg: "fatal: boom\n"},
		{desc: "exit error with message", err: &ExitError{Code: 3, Msg: "error: x"}, wantCode: 3, wantMsg: "error: x\n"},
		{desc: "exit error keeps newline", err: &ExitError{Code: 1, Msg: "usage\n\n"}, wantCode: 1, wantMsg: "usage\n\n"},
		{desc: "silent exit error", err: &ExitError{Code: 127}, wantCode: 127, wantMsg: ""},
		{desc: "wrapped exit error", err: fmt.Errorf("run: %w", &ExitError{Code: 2}), wantCode: 2, wantMsg: ""},
		{desc: "domain error shows safe message", err: fail.Wrap(fail.NotFound, errors.New("sql: no rows"), "project x not found"), wantCode: 1, wantMsg: "fatal: project x not found\n"},
		{desc: "internal domain error hides cause", err: fail.Wrap(fail.Internal, errors.New("pq: down"), ""), wantCode: 128, wantMsg: "fatal: internal server error\n"},
		{desc: "internal domain error with safe message", err: fail.Wrap(fail.Internal, errors.New("pq: down"), "database unavailable"), wantCode: 128, wantMsg: "fatal: database unavailable\n"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			code, msg := exitStatus(tc.err)
			if code != tc.wantCode || msg != tc.wantMsg {
				t.Errorf("exitStatus(%v) = %d, %q; want %d, %q", tc.err, code, msg, tc.wantCode, tc.wantMsg)
			}
		})
	}
}

func TestLogLine(t *testing.T) {
	tests := []struct {
		desc string
		name string
		args []string
		want string
	}{
		{desc: "plain", name: "gerrit ls-groups", args: []string{"-v"}, want: "gerrit ls-groups -v"},
		{desc: "password value masked", name: "gerrit create-account", args: []string{"--http-password", "s3cret", "bob"}, want: "gerrit create-account --http-password *** bob"},
		{desc: "password with equals masked", name: "gerrit set-account", args: []string{"--http-password=s3cret"}, want: "gerrit set-account --http-password=***"},
		{desc: "token masked", name: "x", args: []string{"--token", "abc"}, want: "x --token ***"},
		{desc: "spaces quoted", name: "gerrit review", args: []string{"-m", "looks good", ""}, want: `gerrit review -m "looks good" ""`},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := logLine(tc.name, tc.args, false); got != tc.want {
				t.Errorf("logLine = %q, want %q", got, tc.want)
			}
		})
	}
	if got := logLine("x", []string{strings.Repeat("a", 2*maxLogLine)}, false); len(got) > maxLogLine+len("…") {
		t.Errorf("logLine of a long line has %d bytes, want at most %d", len(got), maxLogLine+len("…"))
	}
}
