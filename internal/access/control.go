package access

import (
	"context"
	"slices"
	"sync"

	"tandem/internal/cache"
	"tandem/internal/project"
)

// Loader loads a project's configuration chain; *project.Service is one.
// Configurations it returns for an unchanged refs/meta/config should be
// the same pointers, which is what lets Control reuse compiled policies.
type Loader interface {
	Load(ctx context.Context, name string) (*project.State, error)
}

// Control hands out Checkers for projects loaded through a Loader. It keeps
// the compiled policy of each project while its configuration chain (by
// identity) stays the same, so it needs no eviction of its own. It is safe
// for concurrent use.
type Control struct {
	cache.Counter
	loader Loader

	mu       sync.Mutex
	compiled map[string]compiled
}

type compiled struct {
	chain []*project.Config
	p     *Project
}

// NewControl returns a Control loading projects through l.
func NewControl(l Loader) *Control {
	return &Control{loader: l, compiled: map[string]compiled{}}
}

// Project returns the compiled policy of a project and its loaded state.
// Load errors are returned as they come (a missing project stays a
// not-found error).
func (c *Control) Project(ctx context.Context, name string) (*Project, *project.State, error) {
	st, err := c.loader.Load(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.compiled[st.Name]
	hit := ok && slices.Equal(e.chain, st.Chain)
	c.Count(hit)
	if hit {
		return e.p, st, nil
	}
	p := NewProject(st.Name, st.Chain)
	c.compiled[st.Name] = compiled{chain: slices.Clone(st.Chain), p: p}
	return p, st, nil
}

// Len returns the number of compiled policies held.
func (c *Control) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.compiled)
}

// Flush drops every compiled policy.
func (c *Control) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.compiled)
}

// Check returns a Checker for s in project name, with the project's state.
func (c *Control) Check(ctx context.Context, name string, s Subject) (*Checker, *project.State, error) {
	p, st, err := c.Project(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	return p.For(s), st, nil
}

// Capabilities returns the global capabilities of s, from All-Projects.
func (c *Control) Capabilities(ctx context.Context, s Subject) (CapabilitySet, error) {
	st, err := c.loader.Load(ctx, project.AllProjects)
	if err != nil {
		return CapabilitySet{}, err
	}
	var root *project.Config
	if len(st.Chain) > 0 {
		root = st.Chain[len(st.Chain)-1]
	}
	return Capabilities(root, s), nil
}
