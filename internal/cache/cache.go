// Package cache names a master's in-memory caches so that administrators
// can list, inspect and flush them, as Gerrit's `gerrit show-caches`,
// `gerrit flush-caches` and /config/server/caches do.
//
// Every cache registered here is keyed by content (a commit id, a password
// hash): an entry never goes stale, so flushing is only a way to free
// memory or start cold, and it concerns the master that runs it alone.
// Caches whose entries can go stale must also evict through the cluster's
// event log (DESIGN.md, section 3).
package cache

import (
	"slices"
	"sync"
	"sync/atomic"

	"tandem/internal/fail"
)

// Cache is what a registered cache offers.
type Cache interface {
	// Len returns the number of entries held.
	Len() int
	// Flush drops every entry.
	Flush()
	// Counts returns the lookups that found an entry and those that did not.
	Counts() (hits, misses uint64)
}

// Registry holds the named caches of a master.
type Registry struct {
	mu     sync.Mutex
	caches map[string]Cache
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{caches: map[string]Cache{}} }

// Register names c; a second cache of the same name replaces the first.
func (r *Registry) Register(name string, c Cache) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.caches[name] = c
}

// Names returns the names of the caches, sorted.
func (r *Registry) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.caches))
	for n := range r.caches {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Get returns the cache called name.
func (r *Registry) Get(name string) (Cache, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.caches[name]
	return c, ok
}

// Flush empties the caches named, or all of them when names is empty or
// just "all" (Gerrit's spelling). A name no cache has fails the whole
// flush, before anything is flushed, as Unprocessable.
func (r *Registry) Flush(names ...string) error {
	if len(names) == 0 || len(names) == 1 && names[0] == "all" {
		names = r.Names()
	}
	caches := make([]Cache, len(names))
	for i, n := range names {
		c, ok := r.Get(n)
		if !ok {
			return fail.Errorf(fail.Unprocessable, "cache %s not found", n)
		}
		caches[i] = c
	}
	for _, c := range caches {
		c.Flush()
	}
	return nil
}

// Stats is one cache's figures.
type Stats struct {
	Name         string
	Entries      int
	Hits, Misses uint64
}

// HitRatio is the percentage of lookups that found an entry, and false
// before the first lookup.
func (s Stats) HitRatio() (int, bool) {
	total := s.Hits + s.Misses
	if total == 0 {
		return 0, false
	}
	return int(s.Hits * 100 / total), true
}

// Stat returns the figures of the cache called name.
func (r *Registry) Stat(name string) (Stats, bool) {
	c, ok := r.Get(name)
	if !ok {
		return Stats{}, false
	}
	hits, misses := c.Counts()
	return Stats{Name: name, Entries: c.Len(), Hits: hits, Misses: misses}, true
}

// Stats returns the figures of every cache, in name order.
func (r *Registry) Stats() []Stats {
	var out []Stats
	for _, n := range r.Names() {
		if st, ok := r.Stat(n); ok {
			out = append(out, st)
		}
	}
	return out
}

// Counter counts a cache's hits and misses; caches embed it.
type Counter struct{ hits, misses atomic.Uint64 }

// Count records one lookup.
func (c *Counter) Count(hit bool) {
	if hit {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
}

// Counts returns the lookups counted.
func (c *Counter) Counts() (hits, misses uint64) { return c.hits.Load(), c.misses.Load() }
