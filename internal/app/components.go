package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/cache"
	"tandem/internal/change"
	"tandem/internal/clock"
	"tandem/internal/db"
	"tandem/internal/events"
	"tandem/internal/git"
	"tandem/internal/git/repo"
	"tandem/internal/project"
	"tandem/internal/query"
	"tandem/internal/review"
	"tandem/internal/site"
	"tandem/internal/sshd/commands"
	"tandem/internal/submit"
)

// components are the parts shared by init and the daemon.
type components struct {
	cfg      *site.Config
	log      *slog.Logger
	db       *db.DB
	runner   *git.Runner
	repos    *repo.Store
	accounts *account.Service
	projects *project.Service
	access   *access.Control
	changes  *change.Store
	events   *events.Log
	recorder *events.Recorder
	reviews  *review.Service
	submit   *submit.Service
	// caches are the caches administrators list and flush.
	caches *cache.Registry
	// queryOptions are the query language's dependencies for a caller.
	queryOptions func(caller int64) query.Options
}

// hooksDir is where this master keeps its git hook scripts.
func hooksDir(cfg *site.Config) string { return cfg.Path("data/hooks") }

// build opens the database and constructs the domain services.
func build(ctx context.Context, cfg *site.Config, log *slog.Logger) (*components, error) {
	opts := db.Options{Type: db.Type(cfg.DatabaseType), URL: cfg.DatabaseURL, Path: cfg.DatabasePath, Logger: log}
	if opts.Type == db.SQLite {
		if err := os.MkdirAll(filepath.Dir(cfg.DatabasePath), 0o755); err != nil {
			return nil, err
		}
	}
	d, err := db.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	c := &components{cfg: cfg, log: log, db: d}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	c.runner, err = git.NewRunner(ctx, git.Options{HooksPath: hooksDir(cfg), Logger: log})
	if err != nil {
		d.Close()
		return nil, err
	}
	if err := os.MkdirAll(cfg.BasePath, 0o755); err != nil {
		d.Close()
		return nil, err
	}
	c.repos = repo.NewStore(cfg.BasePath, c.runner)
	c.events = events.NewLog(events.Options{DB: d, Clock: clock.Real{}, Logger: log})
	c.accounts = account.New(account.Options{
		DB:        d,
		Clock:     clock.Real{},
		Logger:    log,
		ParseKey:  commands.ParseKey,
		MemoLimit: int(cfg.CacheLimit("http_passwords", 4096)),
		// A renamed group keeps its name in the projects that name it.
		GroupRenamed: func(ctx context.Context, uuid, oldName, newName string, by *account.Account) {
			c.projects.RenameGroup(ctx, uuid, oldName, newName, project.Ident{Name: by.DisplayName(), Email: by.PreferredEmail})
		},
	})
	c.projects = project.New(project.Options{
		DB:         d,
		Repos:      c.repos,
		Runner:     c.runner,
		Clock:      clock.Real{},
		Logger:     log,
		CacheLimit: int(cfg.CacheLimit("projects", 1024)),
		Events:     c.events,
	})
	c.access = access.NewControl(c.projects)
	c.caches = cache.NewRegistry()
	c.caches.Register("projects", c.projects.Cache())
	c.caches.Register("project_access", c.access)
	c.caches.Register("http_passwords", c.accounts.PasswordCache())
	c.changes = change.NewStore(d)
	c.recorder = events.NewRecorder(c.events, c.accounts, c.changes, cfg.CanonicalWebURL)
	resolver := queryResolver{c}
	c.reviews = review.New(review.Options{
		DB:        d,
		Changes:   c.changes,
		Policies:  c.access,
		Accounts:  c.accounts,
		Matcher:   &requirementMatcher{resolver: resolver},
		Events:    reviewEvents{c.recorder},
		Repos:     reviewRepos{c},
		Clock:     clock.Real{},
		Logger:    log,
		Committed: c.events.Notify,
	})
	c.submit = submit.New(submit.Options{
		DB: d, Runner: c.runner, Changes: c.changes, Projects: c.projects, Access: c.access,
		Reviews: submitReviews{c.reviews}, Accounts: c.accounts, Events: c.recorder,
		Clock: clock.Real{}, Logger: log, NodeID: cfg.NodeID, WebURL: cfg.CanonicalWebURL,
		Server:    repo.Ident{Name: "Tandem Code Review", Email: "tandem@" + hostOf(cfg.CanonicalWebURL)},
		Committed: c.events.Notify,
	})
	c.queryOptions = func(caller int64) query.Options {
		return query.Options{Caller: caller, Resolver: resolver, Evaluator: evaluator{c, c.reviews}}
	}
	return c, nil
}

func (c *components) Close() {
	c.repos.Close()
	c.db.Close()
}

// ensureGroup returns the group called name, creating it when missing.
func (c *components) ensureGroup(ctx context.Context, name, description string) (*account.Group, error) {
	g, err := c.accounts.ResolveGroup(ctx, name)
	if err == nil {
		return g, nil
	}
	g, err = c.accounts.CreateGroup(ctx, account.GroupInput{Name: name, Description: description})
	if err != nil {
		// Another master may have created it in the meantime.
		if g2, err2 := c.accounts.ResolveGroup(ctx, name); err2 == nil {
			return g2, nil
		}
		return nil, err
	}
	return g, nil
}

var errNoSecret = errors.New("no such secret")

// secret returns the shared secret called name, storing make()'s value when
// none exists yet; every master ends up with the same value.
func (c *components) secret(ctx context.Context, name string, make func() (string, error)) (string, error) {
	var v string
	err := c.db.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, db.ErrNotFound) {
		return "", err
	}
	if make == nil {
		return "", errNoSecret
	}
	nv, err := make()
	if err != nil {
		return "", err
	}
	if _, err := c.db.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, nv); err != nil {
		return "", err
	}
	err = c.db.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
	return v, err
}
