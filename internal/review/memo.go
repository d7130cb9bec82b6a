package review

import (
	"context"
	"sync"

	"tandem/internal/access"
	"tandem/internal/project"
)

// WithPolicyMemo returns a Service that looks each project's policy up at
// most once. Use it for the changes of one request (a page of results):
// the policy is read fresh for every request, so a configuration pushed
// on any master still takes effect at once.
func (s *Service) WithPolicyMemo() *Service {
	c := *s
	c.policies = &memoPolicies{inner: s.policies, m: map[string]memoPolicy{}}
	c.branchPolicies = &branchPolicies{m: map[[2]string]*policy{}}
	return &c
}

// branchPolicies keeps the policy of each (project, branch) of one
// request, so that the changes of a page share labels, requirements and
// their callers' compiled permissions.
type branchPolicies struct {
	mu sync.Mutex
	m  map[[2]string]*policy
}

type memoPolicies struct {
	inner Policies
	mu    sync.Mutex
	m     map[string]memoPolicy
}

type memoPolicy struct {
	p  *access.Project
	st *project.State
}

func (m *memoPolicies) Project(ctx context.Context, name string) (*access.Project, *project.State, error) {
	m.mu.Lock()
	e, ok := m.m[name]
	m.mu.Unlock()
	if ok {
		return e.p, e.st, nil
	}
	p, st, err := m.inner.Project(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	m.mu.Lock()
	m.m[name] = memoPolicy{p, st}
	m.mu.Unlock()
	return p, st, nil
}
