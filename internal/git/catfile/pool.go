package catfile

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"tandem/internal/git"
)

// Clock tells the time; clock.Real and clock.Fake satisfy it.
type Clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// PoolOptions configures a Pool. Zero values take the defaults.
type PoolOptions struct {
	IdleTimeout   time.Duration // close a Batch idle this long; default 1 minute
	MaxIdle       int           // idle Batches kept in all; default 64
	MaxIdlePerDir int           // idle Batches kept per repository; default 4
	Clock         Clock         // default: the system clock
	Logger        *slog.Logger  // default: discard
}

// ErrPoolClosed is returned by Get after Close.
var ErrPoolClosed = errors.New("cat-file pool closed")

// Pool reuses Batches per repository directory.
type Pool struct {
	runner *git.Runner
	opts   PoolOptions
	log    *slog.Logger
	ctx    context.Context // outlives requests: pooled processes serve many
	cancel context.CancelFunc
	done   chan struct{} // closed when the sweeper has exited

	mu     sync.Mutex
	idle   map[string][]idleBatch // by dir, most recently used last
	nidle  int
	closed bool
}

type idleBatch struct {
	b     *Batch
	since time.Time
}

// NewPool returns a Pool running cat-file through r. A goroutine closes idle
// Batches until Close.
func NewPool(r *git.Runner, o PoolOptions) *Pool {
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = time.Minute
	}
	if o.MaxIdle <= 0 {
		o.MaxIdle = 64
	}
	if o.MaxIdlePerDir <= 0 {
		o.MaxIdlePerDir = 4
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pool{
		runner: r,
		opts:   o,
		log:    log.With("component", "catfile"),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
		idle:   map[string][]idleBatch{},
	}
	go p.sweeper()
	return p
}

func (p *Pool) sweeper() {
	defer close(p.done)
	t := time.NewTicker(p.opts.IdleTimeout / 2)
	defer t.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
			p.Sweep()
		}
	}
}

// Get returns a Batch on dir, reused when one is idle. Give it back with
// Put (or Close it) when done.
func (p *Pool) Get(dir string) (*Batch, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrPoolClosed
	}
	if l := p.idle[dir]; len(l) > 0 {
		b := l[len(l)-1].b
		p.removeLocked(dir, len(l)-1)
		p.mu.Unlock()
		return b, nil
	}
	p.mu.Unlock()
	return Open(p.ctx, p.runner, dir)
}

// Put gives a Batch back for reuse. A Batch that failed, or one the pool
// has no room for, is closed.
func (p *Pool) Put(b *Batch) {
	if b == nil {
		return
	}
	if b.Err() != nil {
		b.Close()
		return
	}
	p.mu.Lock()
	if p.closed || p.nidle >= p.opts.MaxIdle || len(p.idle[b.dir]) >= p.opts.MaxIdlePerDir {
		p.mu.Unlock()
		p.close(b)
		return
	}
	p.idle[b.dir] = append(p.idle[b.dir], idleBatch{b: b, since: p.opts.Clock.Now()})
	p.nidle++
	p.mu.Unlock()
}

// Idle returns how many Batches are idle in the pool.
func (p *Pool) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nidle
}

// Sweep closes the Batches idle for longer than the idle timeout, by the
// pool's clock. The pool calls it periodically.
func (p *Pool) Sweep() {
	cutoff := p.opts.Clock.Now().Add(-p.opts.IdleTimeout)
	var stale []*Batch
	p.mu.Lock()
	for dir, l := range p.idle {
		keep := l[:0]
		for _, e := range l {
			if e.since.After(cutoff) {
				keep = append(keep, e)
			} else {
				stale = append(stale, e.b)
			}
		}
		if len(keep) == 0 {
			delete(p.idle, dir)
		} else {
			p.idle[dir] = keep
		}
	}
	p.nidle -= len(stale)
	p.mu.Unlock()
	for _, b := range stale {
		p.close(b)
	}
}

// Close closes the idle Batches and stops the pool; Batches still out are
// killed and closed when they are Put back.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	var all []*Batch
	for _, l := range p.idle {
		for _, e := range l {
			all = append(all, e.b)
		}
	}
	p.idle, p.nidle = nil, 0
	p.mu.Unlock()
	for _, b := range all {
		p.close(b)
	}
	p.cancel()
	<-p.done
	return nil
}

func (p *Pool) removeLocked(dir string, i int) {
	l := p.idle[dir]
	l = append(l[:i], l[i+1:]...)
	if len(l) == 0 {
		delete(p.idle, dir)
	} else {
		p.idle[dir] = l
	}
	p.nidle--
}

func (p *Pool) close(b *Batch) {
	if err := b.Close(); err != nil {
		p.log.Warn("close cat-file", "dir", b.dir, "err", err)
	}
}
