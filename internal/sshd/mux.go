package sshd

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Identity is the account a connection authenticated as.
type Identity struct {
	AccountID int64
	Username  string
}

// Session is one command run by a client.
type Session struct {
	Identity Identity
	// Command is the registered name that matched, e.g. "gerrit ls-groups".
	Command string
	// Args are the words that follow the command name, split Gerrit-style
	// (see [Split]): for "gerrit ls-groups -v" they are ["-v"], for
	// "git-upload-pack '/p.git'" they are ["/p.git"].
	Args []string
	// Line is the exec request as the client sent it.
	Line string
	// Env holds the client's "env" requests (GIT_PROTOCOL matters).
	Env map[string]string
	// Stdin reaches EOF when the client closes its input. Stdout and Stderr
	// are unbuffered: each Write is on its way to the client when it returns.
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
	RemoteAddr net.Addr
	// ConnID is the connection's id as listed by [Server.Connections].
	ConnID string

	server *Server
}

// Connections lists the authenticated connections of the session's
// server, oldest first (none for a session made outside a server).
func (s *Session) Connections() []ConnInfo {
	if s.server == nil {
		return nil
	}
	return s.server.Connections()
}

// CloseConnection closes a connection of the session's server; see
// [Server.CloseConnection].
func (s *Session) CloseConnection(id string) (<-chan struct{}, bool) {
	if s.server == nil {
		return nil, false
	}
	return s.server.CloseConnection(id)
}

// HandlerFunc runs one command. Its context is cancelled when the client goes
// away; see the package doc for how the returned error becomes an exit status.
type HandlerFunc func(ctx context.Context, s *Session) error

// ExitError ends a command with exactly this status. Msg, when not empty, is
// written to stderr as is (a newline is added when missing).
type ExitError struct {
	Code int
	Msg  string
}

func (e *ExitError) Error() string {
	if e.Msg != "" {
		return strings.TrimSuffix(e.Msg, "\n")
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// rootName is what Gerrit calls itself when a top-level command is unknown.
const rootName = "Gerrit Code Review"

// Mux dispatches a command line on its first word, or on its first two words
// for command groups such as "gerrit". It is safe for concurrent use.
type Mux struct {
	mu     sync.RWMutex
	top    map[string]HandlerFunc
	groups map[string]map[string]HandlerFunc
}

// NewMux returns an empty Mux.
func NewMux() *Mux {
	return &Mux{top: map[string]HandlerFunc{}, groups: map[string]map[string]HandlerFunc{}}
}

// Handle registers h for name: one word ("git-upload-pack", "scp") for a
// top-level command, two words ("gerrit ls-groups") for a command of a group.
// It panics on an empty or duplicate name or when a word would be both a
// command and a group: those are programming errors.
func (m *Mux) Handle(name string, h HandlerFunc) {
	words := strings.Fields(name)
	if len(words) == 0 || len(words) > 2 || h == nil {
		panic(fmt.Sprintf("sshd: bad registration %q", name))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(words) == 1 {
		if _, ok := m.top[words[0]]; ok {
			panic(fmt.Sprintf("sshd: %q registered twice", name))
		}
		if _, ok := m.groups[words[0]]; ok {
			panic(fmt.Sprintf("sshd: %q is a command group", name))
		}
		m.top[words[0]] = h
		return
	}
	if _, ok := m.top[words[0]]; ok {
		panic(fmt.Sprintf("sshd: %q is a command", words[0]))
	}
	g := m.groups[words[0]]
	if g == nil {
		g = map[string]HandlerFunc{}
		m.groups[words[0]] = g
	}
	if _, ok := g[words[1]]; ok {
		panic(fmt.Sprintf("sshd: %q registered twice", name))
	}
	g[words[1]] = h
}

// Names returns every registered command name, sorted.
func (m *Mux) Names() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var names []string
	for n := range m.top {
		names = append(names, n)
	}
	for g, cmds := range m.groups {
		for n := range cmds {
			names = append(names, g+" "+n)
		}
	}
	sort.Strings(names)
	return names
}

// lookup finds the handler for a split command line. It always returns a
// handler: unknown commands get one that prints Gerrit's error.
func (m *Mux) lookup(words []string) (name string, h HandlerFunc, args []string) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if len(words) == 0 {
		return "", failWith("fatal: " + usage("", m.topNames())), nil
	}
	if h, ok := m.top[words[0]]; ok {
		return words[0], h, words[1:]
	}
	g, ok := m.groups[words[0]]
	if !ok {
		return words[0], failWith(fmt.Sprintf("fatal: %s: %s: not found", rootName, words[0])), words[1:]
	}
	if len(words) == 1 || words[1] == "" {
		return words[0], failWith("fatal: " + usage(words[0], slices.Sorted(maps.Keys(g)))), nil
	}
	if words[1] == "--help" || words[1] == "-h" {
		return words[0], failWith(usage(words[0], slices.Sorted(maps.Keys(g)))), words[2:]
	}
	if h, ok := g[words[1]]; ok {
		return words[0] + " " + words[1], h, words[2:]
	}
	return words[0] + " " + words[1], failWith(fmt.Sprintf("fatal: %s: %s: not found", words[0], words[1])), words[2:]
}

func (m *Mux) topNames() []string {
	names := slices.Collect(maps.Keys(m.top))
	for g := range m.groups {
		names = append(names, g)
	}
	sort.Strings(names)
	return names
}

// usage is the command list Gerrit prints for a bare group name.
func usage(group string, names []string) string {
	var b strings.Builder
	b.WriteString("Available commands")
	if group != "" {
		b.WriteString(" of " + group)
	}
	b.WriteString(" are:\n\n")
	for _, n := range names {
		b.WriteString("   " + n + "\n")
	}
	b.WriteString("\nSee '")
	if group != "" {
		b.WriteString(group + " ")
	}
	b.WriteString("COMMAND --help' for more information.\n\n")
	return b.String()
}

func failWith(msg string) HandlerFunc {
	return func(context.Context, *Session) error { return &ExitError{Code: 1, Msg: msg} }
}
