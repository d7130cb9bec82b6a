package repo

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"

	"tandem/internal/git"
)

// Housekeeper runs git gc on repositories in the background: the cheap
// `gc --auto` after pushes, and the full gc an administrator starts
// without waiting for it. receive-pack would otherwise run gc --auto
// itself before it answers, so every pushing client would wait for it;
// pushes turn that off (receive.autogc=false) and schedule it here once
// they have answered.
//
// Runs are one at a time, so however many are asked for, one gc at most
// loads the machine. A repository scheduled again while it waits is
// queued once, for the most thorough gc asked of it. git's own gc.pid
// lock keeps runs by several masters on one repository apart. The
// methods are safe for concurrent use and never block; Run works until
// its context ends.
type Housekeeper struct {
	runner *git.Runner
	log    *slog.Logger

	mu     sync.Mutex
	queue  []string          // repository paths, in order
	queued map[string]gcKind // the gc each path in queue waits for
	wake   chan struct{}
}

// gcKind orders the kinds of gc from cheapest to most thorough.
type gcKind int

const (
	gcAuto gcKind = iota + 1
	gcFull
	gcAggressive
)

// NewHousekeeper returns a Housekeeper; start it with Run.
func NewHousekeeper(r *git.Runner, log *slog.Logger) *Housekeeper {
	return &Housekeeper{runner: r, log: log.With("component", "housekeeping"), queued: map[string]gcKind{}, wake: make(chan struct{}, 1)}
}

// Schedule asks for a gc --auto of the repository at path.
func (h *Housekeeper) Schedule(path string) { h.schedule(path, gcAuto) }

// ScheduleGC asks for a full gc of the repository at path, aggressive
// when asked, as Repo.GC runs it.
func (h *Housekeeper) ScheduleGC(path string, aggressive bool) {
	if aggressive {
		h.schedule(path, gcAggressive)
	} else {
		h.schedule(path, gcFull)
	}
}

func (h *Housekeeper) schedule(path string, kind gcKind) {
	h.mu.Lock()
	if was, ok := h.queued[path]; !ok {
		h.queue = append(h.queue, path)
		h.queued[path] = kind
	} else {
		h.queued[path] = max(was, kind)
	}
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Run serves the queue until ctx is done.
func (h *Housekeeper) Run(ctx context.Context) {
	for {
		path, kind, ok := h.next()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-h.wake:
				continue
			}
		}
		var err error
		if kind == gcAuto {
			// git decides whether anything needs doing, and packs in a
			// detached process of its own when it does.
			err = h.runner.Run(ctx, git.Cmd{Dir: path, Name: "gc", Flags: []string{"--auto", "--quiet"}})
		} else {
			err = gc(ctx, h.runner, path, kind == gcAggressive, nil)
		}
		if err != nil && ctx.Err() == nil {
			h.log.Warn("garbage collection failed", "repository", path, "auto", kind == gcAuto, "err", err)
		}
	}
}

func (h *Housekeeper) next() (string, gcKind, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.queue) == 0 {
		return "", 0, false
	}
	path := h.queue[0]
	h.queue = h.queue[1:]
	kind := h.queued[path]
	delete(h.queued, path)
	return path, kind, true
}

// GC runs a full `git gc` on the repository, aggressive when asked, and
// copies git's messages to out (nil discards them). It is what an
// administrator asks for; the Housekeeper's runs after pushes are the
// cheap --auto kind. git's gc.pid lock refuses a second gc of the same
// repository, from this master or another, while one runs.
func (r *Repo) GC(ctx context.Context, aggressive bool, out io.Writer) error {
	return gc(ctx, r.runner, r.Path, aggressive, out)
}

func gc(ctx context.Context, runner *git.Runner, path string, aggressive bool, out io.Writer) error {
	var flags []string
	if out == nil {
		flags = append(flags, "--quiet")
	}
	if aggressive {
		flags = append(flags, "--aggressive")
	}
	err := runner.Run(ctx, git.Cmd{Dir: path, Name: "gc", Flags: flags, Stderr: out})
	var ge *git.Error
	if errors.As(err, &ge) && strings.Contains(ge.Stderr, "gc is already running") {
		return ErrGCRunning
	}
	return err
}

// ErrGCRunning reports a gc refused because another is running.
var ErrGCRunning = errors.New("garbage collection is already running")
