package sshd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"tandem/internal/clock"
)

// ErrUnknownKey is what Authenticate returns for a key that belongs to
// nobody (or not to that user).
var ErrUnknownKey = errors.New("unknown public key")

// handshakeTimeout bounds key exchange and authentication, like OpenSSH's
// LoginGraceTime, so half-open connections cannot pile up.
const handshakeTimeout = 2 * time.Minute

// Options configure a Server. HostKeys, Authenticate and Commands are
// required.
type Options struct {
	Listen   string // "HOST:PORT"; "*:29418" means all interfaces
	HostKeys []ssh.Signer
	Logger   *slog.Logger // nil: slog.Default()
	// Authenticate checks a public key for a user name. Return ErrUnknownKey
	// (or any error) to refuse. It may be called for several keys per
	// connection; only the key the client proves it holds is used.
	Authenticate func(ctx context.Context, user string, key ssh.PublicKey) (Identity, error)
	// Version goes into the identification string: "SSH-2.0-Tandem_<Version>"
	// (a Version that starts with "SSH-2.0-" is used as is).
	Version  string
	Commands *Mux
	// Welcome is the text printed on stderr when a client asks for a shell;
	// the session then exits 127. Nil prints a short default.
	Welcome func(id Identity) string
	// IdleTimeout closes a connection after this long without any traffic
	// in either direction; zero disables it.
	IdleTimeout time.Duration
	// Clock stamps connection start and activity times; nil is the real clock.
	Clock clock.Clock
	// Algorithms restrict or extend the transport algorithms offered.
	Algorithms Algorithms
}

// ConnInfo describes one open connection, for `gerrit show-connections`.
type ConnInfo struct {
	ID       string // 8 hex digits
	Identity Identity
	Remote   net.Addr
	Start    time.Time
	Idle     time.Duration // since the last byte in either direction
	Sessions int           // commands running now
}

// Server is an SSH server. Create it with New, bind with Listen, run Serve,
// stop with Shutdown.
type Server struct {
	o         Options
	log       *slog.Logger
	clock     clock.Clock
	transport ssh.Config // resolved Algorithms, copied into each connection

	mu       sync.Mutex
	ln       net.Listener
	served   bool
	draining bool
	conns    map[*conn]struct{}
	wg       sync.WaitGroup // one count per connection goroutine
}

// New checks o and returns a server that is not yet listening.
func New(o Options) (*Server, error) {
	if len(o.HostKeys) == 0 {
		return nil, errors.New("sshd: no host keys")
	}
	if o.Authenticate == nil {
		return nil, errors.New("sshd: no Authenticate function")
	}
	if o.Commands == nil {
		return nil, errors.New("sshd: no Commands")
	}
	if o.Listen == "" {
		o.Listen = "*:29418"
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	c := o.Clock
	if c == nil {
		c = clock.Real{}
	}
	s := &Server{o: o, log: log.With("component", "sshd"), clock: c, conns: map[*conn]struct{}{}}
	if err := o.Algorithms.apply(&s.transport); err != nil {
		return nil, err
	}
	return s, nil
}

// Listen binds the listen address. A busy port gives an error such as
// "listen on :29418: address already in use" that wraps the system error
// (errors.Is(err, syscall.EADDRINUSE) holds).
func (s *Server) Listen() error {
	addr := s.o.Listen
	if strings.HasPrefix(addr, "*:") {
		addr = addr[1:]
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var sysErr *os.SyscallError
		if errors.As(err, &sysErr) {
			err = sysErr.Err
		}
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil || s.draining {
		ln.Close()
		return errors.New("sshd: already listening or shut down")
	}
	s.ln = ln
	return nil
}

// Addr is the bound address, or nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Serve accepts connections until ctx is done or Shutdown is called, then
// stops accepting, waits for the open sessions to end (Shutdown's context
// bounds that wait) and returns nil. It calls Listen when that has not been
// done. It may be called once.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	if s.served {
		s.mu.Unlock()
		return errors.New("sshd: Serve called twice")
	}
	s.served = true
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		if err := s.Listen(); err != nil {
			return err
		}
		s.mu.Lock()
		ln = s.ln
		s.mu.Unlock()
	}
	s.log.Info("ssh listening", "addr", ln.Addr().String())
	stop := context.AfterFunc(ctx, s.drain)
	defer stop()
	// Handler contexts outlive ctx so that sessions drain gracefully; they
	// end with their connection.
	base := context.WithoutCancel(ctx)
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isDraining() {
				s.wg.Wait()
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("ssh accept", "err", err, "retry_in", backoff)
				time.Sleep(backoff)
				continue
			}
			s.drain()
			s.closeAll()
			s.wg.Wait()
			return fmt.Errorf("accept: %w", err)
		}
		backoff = 0
		c := s.newConn(base, nc)
		if c == nil {
			nc.Close()
			continue
		}
		go s.serveConn(c)
	}
}

// Shutdown stops accepting, refuses new sessions, closes connections as soon
// as they have no session running, and waits for all of them to end. When ctx
// is done first it closes every connection, which cancels the running
// handlers, waits for them, and returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.drain()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.closeAll()
		<-done
		return ctx.Err()
	}
}

// Connections lists the authenticated connections, oldest first.
func (s *Server) Connections() []ConnInfo {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ConnInfo
	for c := range s.conns {
		if !c.authed {
			continue
		}
		out = append(out, ConnInfo{
			ID:       c.id,
			Identity: c.ident,
			Remote:   c.nc.RemoteAddr(),
			Start:    c.start,
			Idle:     now.Sub(time.Unix(0, c.nc.last.Load())),
			Sessions: c.sessions,
		})
	}
	slices.SortFunc(out, func(a, b ConnInfo) int { return a.Start.Compare(b.Start) })
	return out
}

// CloseConnection closes the authenticated connection with the given id
// (as Connections lists it), ending whatever its sessions run. It returns
// a channel closed once the connection is gone, and false when there is
// no such connection on this server.
func (s *Server) CloseConnection(id string) (<-chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.authed && c.id == id {
			c.close()
			return c.done, true
		}
	}
	return nil, false
}

// drain stops accepting and closes connections that run nothing.
func (s *Server) drain() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return
	}
	s.draining = true
	if s.ln != nil {
		s.ln.Close()
	}
	for c := range s.conns {
		if c.sessions == 0 {
			c.close()
		}
	}
}

func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.close()
	}
}

func (s *Server) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// conn is one client connection. Fields below mu-comment are guarded by
// Server.mu.
type conn struct {
	id     string
	nc     *trackedConn
	start  time.Time
	ctx    context.Context
	cancel context.CancelFunc
	// authUser is the last user name tried; used only during the handshake.
	authUser string

	done chan struct{} // closed once the connection is gone

	// guarded by Server.mu
	authed   bool
	ident    Identity
	sessions int
}

// close cancels the connection's context (a slow Authenticate, running
// handlers) and closes the socket, which ends its channels.
func (c *conn) close() {
	c.cancel()
	c.nc.Close()
}

// newConn registers a connection, or returns nil when draining.
func (s *Server) newConn(base context.Context, nc net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return nil
	}
	now := s.clock.Now()
	tc := &trackedConn{Conn: nc, clock: s.clock}
	if t, ok := nc.(*net.TCPConn); ok {
		tc.raw, _ = t.SyscallConn()
	}
	tc.last.Store(now.UnixNano())
	ctx, cancel := context.WithCancel(base)
	c := &conn{id: newID(), nc: tc, start: now, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return c
}

func newID() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type identityKey struct{}

func (s *Server) config(c *conn) *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{
		Config:        s.transport,
		ServerVersion: s.ident(),
		PublicKeyCallback: func(md ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			id, err := s.o.Authenticate(c.ctx, md.User(), key)
			if err != nil {
				s.log.Debug("ssh key refused", "user", md.User(), "remote", md.RemoteAddr().String(),
					"key", ssh.FingerprintSHA256(key), "err", err)
				return nil, err
			}
			return &ssh.Permissions{ExtraData: map[any]any{identityKey{}: id}}, nil
		},
	}
	cfg.AuthLogCallback = func(md ssh.ConnMetadata, _ string, _ error) {
		// Runs on the handshake goroutine, like the failure log below.
		c.authUser = md.User()
	}
	for _, k := range s.o.HostKeys {
		cfg.AddHostKey(k)
	}
	return cfg
}

// ident is the SSH identification string; it may not contain spaces or
// control characters.
func (s *Server) ident() string {
	v := s.o.Version
	if strings.HasPrefix(v, "SSH-2.0-") {
		return v
	}
	id := "SSH-2.0-Tandem"
	if v != "" {
		id += "_" + v
	}
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r > '~' {
			return '_'
		}
		return r
	}, id)
}

func (s *Server) serveConn(c *conn) {
	defer s.wg.Done()
	defer func() {
		c.close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		close(c.done)
	}()
	remote := c.nc.RemoteAddr().String()
	c.nc.SetDeadline(time.Now().Add(handshakeTimeout))
	sc, chans, reqs, err := ssh.NewServerConn(c.nc, s.config(c))
	if err != nil {
		var authErr *ssh.ServerAuthError
		if errors.As(err, &authErr) {
			s.log.Info("ssh authentication failed", "user", c.authUser, "remote", remote, "conn", c.id)
		} else {
			// Health checks and port scanners end here; keep it quiet.
			s.log.Debug("ssh handshake", "remote", remote, "err", err)
		}
		return
	}
	defer sc.Close()
	if s.o.IdleTimeout > 0 {
		c.nc.idle.Store(int64(s.o.IdleTimeout))
		c.nc.SetDeadline(time.Now().Add(s.o.IdleTimeout))
	} else {
		c.nc.SetDeadline(time.Time{})
	}
	id, _ := sc.Permissions.ExtraData[identityKey{}].(Identity)
	s.mu.Lock()
	c.authed, c.ident = true, id
	s.mu.Unlock()
	log := s.log.With("conn", c.id, "user", id.Username, "remote", remote)
	log.Debug("ssh login")

	var sessions sync.WaitGroup
	defer sessions.Wait()
	sessions.Go(func() { ssh.DiscardRequests(reqs) })
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "only session channels")
			continue
		}
		if !s.beginSession(c) {
			nch.Reject(ssh.ResourceShortage, "server is shutting down")
			continue
		}
		sessions.Go(func() {
			defer s.endSession(c)
			s.serveSession(c, id, log, nch)
		})
	}
	log.Debug("ssh logout")
}

func (s *Server) beginSession(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return false
	}
	c.sessions++
	return true
}

func (s *Server) endSession(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.sessions--
	if s.draining && c.sessions == 0 {
		c.close()
	}
}

// trackedConn records activity for Connections and, once idle is set, pushes
// the deadline forward on every read or write: a connection dies after idle
// without traffic, while long commands that keep writing live on.
type trackedConn struct {
	net.Conn
	clock clock.Clock
	last  atomic.Int64 // unix nanoseconds of the last read or write
	idle  atomic.Int64 // nanoseconds; 0 = no idle timeout
	raw   syscall.RawConn
}

func (t *trackedConn) touch() {
	t.last.Store(t.clock.Now().UnixNano())
	if d := t.idle.Load(); d > 0 {
		t.Conn.SetDeadline(time.Now().Add(time.Duration(d)))
	}
}

func (t *trackedConn) Read(p []byte) (int, error) {
	t.quickAck()
	n, err := t.Conn.Read(p)
	if n > 0 {
		t.touch()
	}
	return n, err
}

// quickAck acknowledges incoming data at once. OpenSSH clients leave Nagle's
// algorithm on for non-interactive sessions, so each small handshake packet
// would otherwise wait for our delayed ACK (40 ms on Linux), several times
// per connection. The kernel clears the flag by itself, hence every read.
func (t *trackedConn) quickAck() {
	if t.raw == nil {
		return
	}
	t.raw.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}

func (t *trackedConn) Write(p []byte) (int, error) {
	n, err := t.Conn.Write(p)
	if n > 0 {
		t.touch()
	}
	return n, err
}
