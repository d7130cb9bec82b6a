package access

import (
	"context"
	"slices"
	"sync"

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
	loader Loader

	mu    sync.Mutex
	cache map[string]compiled
}

type compiled struct {
	chain []*project.Config
	p     *Project
}

// NewControl returns a Control loading projects through l.
func NewControl(l Loader) *Control {
	return &Control{loader: l, cache: map[string]compiled{}}
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
	if e, ok := c.cache[st.Name]; ok && slices.Equal(e.chain, st.Chain) {
		return e.p, st, nil
	}
	p := NewProject(st.Name, st.Chain)
	c.cache[st.Name] = compiled{chain: slices.Clone(st.Chain), p: p}
	return p, st, nil
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
