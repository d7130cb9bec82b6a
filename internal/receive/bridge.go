package receive

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"

	"tandem/internal/account"
	"tandem/internal/git"
	"tandem/internal/git/repo"
)

// Environment variables that carry a push's identity to its hooks.
const (
	EnvSocket = "TANDEM_HOOK_SOCKET"
	EnvPushID = "TANDEM_PUSH_ID"
)

// HiddenFromPush lists ref prefixes git receive-pack neither advertises nor
// lets a client update: patch-set refs are Tandem's to write.
var HiddenFromPush = []string{"refs/changes/", "refs/cache-automerge/"}

// Push is the context of one git receive-pack run.
type Push struct {
	Caller  *account.Account
	Groups  map[string]bool
	Project string
	Repo    *repo.Repo
}

// Session is a registered push; End must be called when receive-pack exits.
type Session struct {
	Push
	id     string
	bridge *Bridge
}

// Env returns the variables receive-pack must pass to its hooks.
func (s *Session) Env() []string {
	return []string{EnvSocket + "=" + s.bridge.addr, EnvPushID + "=" + s.id}
}

// Config returns the git configuration that routes every ref of the push
// through the proc-receive hook, where Tandem decides and writes each ref.
// receive-pack leaves gc to the bridge's housekeeper, after the client has
// its answer. Its connectivity check lists the refs of each alternate
// object store with a for-each-ref process; while objects are quarantined
// that is the repository itself, whose refs the check has already, so the
// listing is made a no-op (the refs of other alternates would only spare
// some walking).
func (s *Session) Config() []git.ConfigPair {
	return []git.ConfigPair{
		{Key: "receive.procReceiveRefs", Value: "refs/"},
		{Key: "receive.autogc", Value: "false"},
		{Key: "core.alternateRefsCommand", Value: "true"},
		{Key: "receive.advertisePushOptions", Value: "true"},
		{Key: "receive.advertiseAtomic", Value: "true"},
	}
}

// End forgets the push and schedules the housekeeping it may call for.
func (s *Session) End() {
	s.bridge.mu.Lock()
	delete(s.bridge.pushes, s.id)
	hk := s.bridge.housekeeper
	s.bridge.mu.Unlock()
	if hk != nil && s.Repo != nil {
		hk.Schedule(s.Repo.Path)
	}
}

// Handler processes one hook invocation for a push.
type Handler interface {
	ProcReceive(ctx context.Context, push *Session, in io.Reader, out, msgs io.Writer) error
}

// Bridge is the daemon side of the hooks: a unix socket that `tandem hook`
// processes connect to. Hook processes never open the database; they only
// relay their standard streams to the daemon that started the push.
type Bridge struct {
	ln      net.Listener
	addr    string
	handler Handler
	log     *slog.Logger

	mu          sync.Mutex
	housekeeper *repo.Housekeeper // nil: no gc after pushes
	pushes      map[string]*Session
	wg          sync.WaitGroup
}

// NewBridge listens on a fresh abstract unix socket.
func NewBridge(h Handler, log *slog.Logger) (*Bridge, error) {
	addr := "@tandem-hook-" + randomID()
	ln, err := net.Listen("unix", addr)
	if err != nil {
		return nil, fmt.Errorf("hook socket: %w", err)
	}
	return &Bridge{ln: ln, addr: addr, handler: h, log: log.With("component", "receive"), pushes: map[string]*Session{}}, nil
}

func randomID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// SetHousekeeper makes every ended push schedule a gc --auto of its
// repository with h.
func (b *Bridge) SetHousekeeper(h *repo.Housekeeper) {
	b.mu.Lock()
	b.housekeeper = h
	b.mu.Unlock()
}

// Begin registers a push and returns its session.
func (b *Bridge) Begin(p Push) *Session {
	s := &Session{Push: p, id: randomID(), bridge: b}
	b.mu.Lock()
	b.pushes[s.id] = s
	b.mu.Unlock()
	return s
}

// Serve accepts hook connections until ctx is done, then waits for the
// connections it started.
func (b *Bridge) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { b.ln.Close() })
	defer stop()
	for {
		conn, err := b.ln.Accept()
		if err != nil {
			b.wg.Wait()
			if ctx.Err() != nil {
				return nil
			}
			b.ln.Close()
			return err
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.serveConn(ctx, conn)
		}()
	}
}

// Frame types sent from the daemon to a hook process.
const (
	frameStdout = 1
	frameStderr = 2
	frameExit   = 3
)

func (b *Bridge) serveConn(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	// A connection must not outlive Serve, which waits for it.
	defer context.AfterFunc(ctx, func() { conn.Close() })()
	br := bufio.NewReader(conn)
	header, err := br.ReadString('\n')
	if err != nil {
		return
	}
	hook, id, _ := strings.Cut(strings.TrimSpace(header), " ")
	b.mu.Lock()
	push := b.pushes[id]
	b.mu.Unlock()
	fw := &frameWriter{w: conn}
	if push == nil || hook != "proc-receive" {
		fw.frame(frameStderr, []byte("error: unknown push\n"))
		fw.exit(1)
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err = b.handler.ProcReceive(ctx, push, br, fw.stream(frameStdout), fw.stream(frameStderr))
	code := 0
	if err != nil {
		b.log.Error("proc-receive", "project", push.Project, "err", err)
		fw.frame(frameStderr, []byte("error: internal server error\n"))
		code = 1
	}
	fw.exit(code)
}

type frameWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (f *frameWriter) frame(typ byte, p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var hdr [5]byte
	hdr[0] = typ
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(p)))
	if _, err := f.w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := f.w.Write(p)
	return err
}

func (f *frameWriter) exit(code int) { f.frame(frameExit, []byte{byte(code)}) }

func (f *frameWriter) stream(typ byte) io.Writer { return streamWriter{f, typ} }

type streamWriter struct {
	f   *frameWriter
	typ byte
}

func (s streamWriter) Write(p []byte) (int, error) {
	if err := s.f.frame(s.typ, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// RunHook is the hook process side: it connects to the daemon named in the
// environment, relays stdin, demultiplexes stdout and stderr, and returns
// the exit status the daemon chose.
func RunHook(name string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	addr, id := getenv(EnvSocket), getenv(EnvPushID)
	if addr == "" || id == "" {
		fmt.Fprintf(stderr, "error: %s hook must be run by tandem\n", name)
		return 1
	}
	conn, err := net.Dial("unix", addr)
	if err != nil {
		fmt.Fprintf(stderr, "error: cannot reach tandem: %v\n", err)
		return 1
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "%s %s\n", name, id); err != nil {
		return 1
	}
	go func() {
		io.Copy(conn, stdin)
		conn.(*net.UnixConn).CloseWrite()
	}()
	br := bufio.NewReader(conn)
	for {
		var hdr [5]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			fmt.Fprintf(stderr, "error: tandem hook connection lost\n")
			return 1
		}
		n := binary.BigEndian.Uint32(hdr[1:])
		buf := make([]byte, n)
		if _, err := io.ReadFull(br, buf); err != nil {
			return 1
		}
		switch hdr[0] {
		case frameStdout:
			stdout.Write(buf)
		case frameStderr:
			stderr.Write(buf)
		case frameExit:
			if len(buf) == 1 {
				return int(buf[0])
			}
			return 1
		default:
			return 1
		}
	}
}
