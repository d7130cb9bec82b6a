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

// Housekeeper runs `git gc --auto` on repositories in the background.
// receive-pack would otherwise run it itself before it answers, so every
// pushing client would wait for it; pushes turn that off
// (receive.autogc=false) and schedule it here once they have answered.
//
// Runs are one at a time, and a repository scheduled again while it waits
// is queued once. git's own gc.pid lock keeps runs by several masters on
// one repository apart. Schedule is safe for concurrent use and never
// blocks; Run works until its context ends.
type Housekeeper struct {
	runner *git.Runner
	log    *slog.Logger

	mu     sync.Mutex
	queue  []string        // repository paths, in order
	queued map[string]bool // paths in queue
	wake   chan struct{}
}

// NewHousekeeper returns a Housekeeper; start it with Run.
func NewHousekeeper(r *git.Runner, log *slog.Logger) *Housekeeper {
	return &Housekeeper{runner: r, log: log.With("component", "housekeeping"), queued: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// Schedule asks for a gc --auto of the repository at path.
func (h *Housekeeper) Schedule(path string) {
	h.mu.Lock()
	if !h.queued[path] {
		h.queued[path] = true
		h.queue = append(h.queue, path)
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
		path, ok := h.next()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-h.wake:
				continue
			}
		}
		// git decides whether anything needs doing, and packs in a
		// detached process of its own when it does.
		err := h.runner.Run(ctx, git.Cmd{Dir: path, Name: "gc", Flags: []string{"--auto", "--quiet"}})
		if err != nil && ctx.Err() == nil {
			h.log.Warn("gc --auto failed", "repository", path, "err", err)
		}
	}
}

func (h *Housekeeper) next() (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.queue) == 0 {
		return "", false
	}
	path := h.queue[0]
	h.queue = h.queue[1:]
	delete(h.queued, path)
	return path, true
}

// GC runs a full `git gc` on the repository, aggressive when asked, and
// copies git's messages to out (nil discards them). It is what an
// administrator asks for; the Housekeeper's runs after pushes are the
// cheap --auto kind. git's gc.pid lock refuses a second gc of the same
// repository, from this master or another, while one runs.
func (r *Repo) GC(ctx context.Context, aggressive bool, out io.Writer) error {
	flags := []string{"--quiet"}
	if aggressive {
		flags = append(flags, "--aggressive")
	}
	err := r.runner.Run(ctx, git.Cmd{Dir: r.Path, Name: "gc", Flags: flags, Stderr: out})
	var ge *git.Error
	if errors.As(err, &ge) && strings.Contains(ge.Stderr, "gc is already running") {
		return ErrGCRunning
	}
	return err
}

// ErrGCRunning reports a gc refused because another is running.
var ErrGCRunning = errors.New("garbage collection is already running")
