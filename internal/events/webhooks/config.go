package webhooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"tandem/internal/fail"
	"tandem/internal/git/repo"
	"tandem/internal/gitconfig"
	"tandem/internal/project"
)

// FileName is the file of refs/meta/config that configures webhooks.
const FileName = "webhooks.config"

// errBadFile marks a webhooks.config that does not parse.
var errBadFile = errors.New("invalid " + FileName)

// Settings are the delivery parameters of a remote. The zero value of a
// field means "the default" in Defaults.
type Settings struct {
	ConnectionTimeout time.Duration
	SocketTimeout     time.Duration
	MaxTries          int // attempts in all; 0 (in a file) means one attempt, no retries
	RetryInterval     time.Duration
	SSLVerify         bool
}

// PluginDefaults are the webhooks plugin's defaults: 5 s to connect, 5 s
// to answer, 5 attempts 1 s apart, certificates not verified.
var PluginDefaults = Settings{
	ConnectionTimeout: 5 * time.Second,
	SocketTimeout:     5 * time.Second,
	MaxTries:          5,
	RetryInterval:     time.Second,
}

// Remote is one [remote "NAME"] section of webhooks.config.
type Remote struct {
	Name   string
	URL    string
	Events []string // event types to post; empty means all
	Settings
}

// Wants reports whether the remote takes events of type t.
func (r *Remote) Wants(t string) bool { return len(r.Events) == 0 || slices.Contains(r.Events, t) }

// ParseRemotes returns the remotes of a (merged) webhooks.config, in file
// order, with def for what the file leaves out. Remotes without a url are
// skipped; bad numbers and booleans fall back to def and are reported in
// the returned error, which does not stop the others.
func ParseRemotes(cfg *gitconfig.Config, def Settings) ([]Remote, error) {
	var out []Remote
	var errs []error
	for _, name := range cfg.Subsections("remote") {
		url, _ := cfg.Get("remote", name, "url")
		if url == "" {
			continue
		}
		r := Remote{Name: name, URL: url, Events: cfg.GetAll("remote", name, "event"), Settings: def}
		millis := func(key string, dst *time.Duration) {
			n, err := cfg.Int("remote", name, key, -1)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("remote %q: %w", name, err))
			case n >= 0:
				*dst = time.Duration(n) * time.Millisecond
			}
		}
		millis("connectionTimeout", &r.ConnectionTimeout)
		millis("socketTimeout", &r.SocketTimeout)
		millis("retryInterval", &r.RetryInterval)
		if n, err := cfg.Int("remote", name, "maxTries", -1); err != nil {
			errs = append(errs, fmt.Errorf("remote %q: %w", name, err))
		} else if n >= 0 {
			r.MaxTries = int(n)
		}
		if v, err := cfg.Bool("remote", name, "sslVerify", def.SSLVerify); err != nil {
			errs = append(errs, fmt.Errorf("remote %q: %w", name, err))
		} else {
			r.SSLVerify = v
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

// Inherit returns child with what parent has and child lacks, the way
// Gerrit merges an inheritable plugin file: for each (section, subsection,
// key), the child's values if it has any, else the parent's.
func Inherit(child, parent *gitconfig.Config) *gitconfig.Config {
	out := child.Clone()
	type name struct{ section, sub, key string }
	have := map[name]bool{}
	for _, e := range child.Entries() {
		have[name{e.Section, e.Subsection, e.Key}] = true
	}
	for _, e := range parent.Entries() {
		if have[name{e.Section, e.Subsection, e.Key}] {
			continue
		}
		v := e.Value
		if e.NoValue {
			v = "true" // a bare key is a boolean true
		}
		out.Add(e.Section, e.Subsection, e.Key, v)
	}
	return out
}

// Projects is what the webhooks need of project storage; *project.Service
// is one.
type Projects interface {
	Load(ctx context.Context, name string) (*project.State, error)
	Open(ctx context.Context, name string) (*repo.Repo, error)
}

// configs reads webhooks.config files through Projects, keeping parsed
// files by commit of refs/meta/config (content-keyed: never stale).
type configs struct {
	projects Projects
	limit    int

	mu    sync.Mutex
	files map[string]*gitconfig.Config // "project\x00rev" -> parsed file
}

func newConfigs(p Projects) *configs {
	return &configs{projects: p, limit: 512, files: map[string]*gitconfig.Config{}}
}

// effective returns the webhooks.config of a project merged with those of
// its parents up to All-Projects.
func (c *configs) effective(ctx context.Context, name string) (*gitconfig.Config, error) {
	type level struct{ name, rev string }
	var chain []level
	seen := map[string]bool{}
	for cur := name; cur != "" && !seen[cur]; {
		seen[cur] = true
		st, err := c.projects.Load(ctx, cur)
		if err != nil {
			if cur != name && fail.Is(err, fail.NotFound) {
				break // a missing parent ends the chain, as in project.Load
			}
			return nil, err
		}
		chain = append(chain, level{cur, st.Revision})
		cur = st.ParentName
	}
	merged := gitconfig.New()
	for i := len(chain) - 1; i >= 0; i-- {
		f, err := c.file(ctx, chain[i].name, chain[i].rev)
		if err != nil {
			return nil, err
		}
		merged = Inherit(f, merged)
	}
	return merged, nil
}

// file returns the parsed webhooks.config of a project at commit rev.
func (c *configs) file(ctx context.Context, name, rev string) (*gitconfig.Config, error) {
	if rev == "" {
		return gitconfig.New(), nil
	}
	key := name + "\x00" + rev
	c.mu.Lock()
	f, ok := c.files[key]
	c.mu.Unlock()
	if ok {
		return f, nil
	}
	r, err := c.projects.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	data, err := r.ReadFile(ctx, rev, FileName)
	switch {
	case errors.Is(err, repo.ErrNotFound):
		f = gitconfig.New()
	case err != nil:
		return nil, err
	default:
		if f, err = gitconfig.Parse(data); err != nil {
			return nil, fmt.Errorf("%w of %s: %w", errBadFile, name, err)
		}
	}
	c.mu.Lock()
	if len(c.files) >= c.limit {
		clear(c.files)
	}
	c.files[key] = f
	c.mu.Unlock()
	return f, nil
}
