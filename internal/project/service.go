package project

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"tandem/internal/cache"
	"tandem/internal/clock"
	"tandem/internal/db"
	"tandem/internal/fail"
	"tandem/internal/git"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
)

// ConfigRef is the ref that holds a project's configuration.
const ConfigRef = "refs/meta/config"

// Options are the dependencies of a Service.
type Options struct {
	DB     *db.DB
	Repos  *repo.Store
	Runner *git.Runner
	Clock  clock.Clock
	Logger *slog.Logger
	// ServerIdent names Tandem as the author of the commits it writes.
	ServerIdent func() (name, email string)
	// DefaultBranch is HEAD of a new project unless the input names branches.
	DefaultBranch string
	// CacheLimit bounds parsed configurations kept in memory (0 disables).
	CacheLimit int
	// Events, when set, gets a project-created event for each project made.
	Events Publisher
}

// Service manages projects and their refs/meta/config. The parsed
// configurations it caches are keyed by the commit id of refs/meta/config,
// so a change on any master is seen on the next read without eviction.
type Service struct {
	db            *db.DB
	repos         *repo.Store
	runner        *git.Runner
	clock         clock.Clock
	log           *slog.Logger
	ident         func() (string, string)
	defaultBranch string

	cache *configCache

	events Publisher // may be nil
}

// New returns a Service.
func New(o Options) *Service {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.DefaultBranch == "" {
		o.DefaultBranch = "main"
	}
	if o.ServerIdent == nil {
		o.ServerIdent = func() (string, string) { return "Tandem Code Review", "tandem@localhost" }
	}
	return &Service{
		db:            o.DB,
		repos:         o.Repos,
		runner:        o.Runner,
		clock:         o.Clock,
		log:           o.Logger.With("component", "project"),
		ident:         o.ServerIdent,
		defaultBranch: o.DefaultBranch,
		cache:         newConfigCache(o.CacheLimit),
		events:        o.Events,
	}
}

// SubmitTypes lists the submit types a project may name.
func SubmitTypes() []string { return slices.Clone(submitTypes) }

// Input describes a new project (Gerrit's ProjectInput).
type Input struct {
	Name              string
	Parent            string
	Description       string
	CreateEmptyCommit bool
	Branches          []string
	SubmitType        string
	Owners            []GroupRef
	PermissionsOnly   bool
	// The inheritable settings: TRUE, FALSE, INHERIT or "" (INHERIT).
	RequireChangeID                  string
	RequireSignedOffBy               string
	UseContributorAgreements         string
	MergeContent                     string
	RejectEmptyCommit                string
	CreateNewChangeForAllNotInTarget string
	MaxObjectSizeLimit               int64 // 0: inherited
	Author                           Ident // who asked; recorded on the config commit
	configForRootLevel               *Config
}

// Ident is a person recorded on a commit Tandem writes.
type Ident struct{ Name, Email string }

// Create makes a project: its row, its bare repository, refs/meta/config
// and optionally an initial empty commit on each branch.
func (s *Service) Create(ctx context.Context, in Input) error {
	name := repo.NormalizeName(in.Name)
	if err := repo.ValidateName(name); err != nil {
		return fail.Wrap(fail.Invalid, err, err.Error())
	}
	cfg := in.configForRootLevel
	if cfg == nil {
		parent := in.Parent
		if parent == "" {
			parent = AllProjects
		}
		if parent == name {
			return fail.Errorf(fail.Invalid, "cannot inherit from itself")
		}
		if _, err := s.repos.Open(parent); err != nil {
			return fail.Errorf(fail.Unprocessable, "Parent project \"%s\" does not exist", parent)
		}
		if !s.exists(ctx, parent) {
			return fail.Errorf(fail.Unprocessable, "Parent project \"%s\" does not exist", parent)
		}
		cfg = NewChild(parent, in.Description, in.Owners)
		if in.SubmitType != "" {
			cfg.Submit.Action = in.SubmitType
		}
		for _, set := range []struct {
			field *string
			value string
		}{
			{&cfg.Receive.RequireChangeID, in.RequireChangeID},
			{&cfg.Receive.RequireSignedOffBy, in.RequireSignedOffBy},
			{&cfg.Receive.RequireContributorAgreement, in.UseContributorAgreements},
			{&cfg.Submit.MergeContent, in.MergeContent},
			{&cfg.Submit.RejectEmptyCommit, in.RejectEmptyCommit},
			{&cfg.Receive.CreateNewChangeForAllNotInTarget, in.CreateNewChangeForAllNotInTarget},
		} {
			if set.value != "" {
				*set.field = set.value
			}
		}
		cfg.Receive.MaxObjectSizeLimit = in.MaxObjectSizeLimit
	}
	branches := in.Branches
	switch {
	case in.PermissionsOnly:
		// Access rules only: HEAD names the configuration, which is how
		// listings tell such projects apart.
		branches = []string{ConfigRef}
	case len(branches) == 0:
		branches = []string{s.defaultBranch}
	}
	for i, b := range branches {
		if !strings.HasPrefix(b, "refs/") {
			b = "refs/heads/" + b
		}
		if err := ValidBranchName(b); err != nil {
			return err
		}
		branches[i] = b
	}

	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	_, err := s.db.Exec(ctx, `INSERT INTO projects (name, created_on) VALUES ($1, $2)`, name, now.UnixMicro())
	if errors.Is(err, db.ErrConflict) {
		return fail.Errorf(fail.Conflict, "Project \"%s\" already exists", name)
	}
	if err != nil {
		return err
	}
	if err := s.createRepository(ctx, name, cfg, branches, in); err != nil {
		// Nothing else refers to a project that never came to be.
		if _, derr := s.db.Exec(context.WithoutCancel(ctx), `DELETE FROM projects WHERE name = $1`, name); derr != nil {
			s.log.Error("roll back project row", "project", name, "err", derr)
		}
		return err
	}
	s.log.Info("project created", "project", name)
	s.publishCreated(ctx, name, branches[0])
	return nil
}

func (s *Service) createRepository(ctx context.Context, name string, cfg *Config, branches []string, in Input) error {
	r, err := s.repos.Create(ctx, name, branches[0])
	if errors.Is(err, repo.ErrExists) {
		// A repository without a row is left over from an earlier failure
		// or was put there by an administrator; adopt it.
		r, err = s.repos.Open(name)
	}
	if err != nil {
		return fmt.Errorf("create repository %q: %w", name, err)
	}
	author := s.person(in.Author)
	if _, err := r.Resolve(ctx, ConfigRef); errors.Is(err, repo.ErrNotFound) {
		pc, groups := cfg.Files()
		if _, err := r.CommitFiles(ctx, repo.CommitInput{
			Ref:       ConfigRef,
			Files:     map[string][]byte{"project.config": pc, "groups": groups},
			Message:   "Created project\n",
			Author:    author,
			Committer: s.serverPerson(),
		}); err != nil {
			var mm *refupdate.MismatchError
			if !errors.As(err, &mm) {
				return fmt.Errorf("write %s: %w", ConfigRef, err)
			}
		}
	} else if err != nil {
		return err
	}
	if in.CreateEmptyCommit && !in.PermissionsOnly {
		for _, b := range branches {
			if _, err := r.Resolve(ctx, b); err == nil {
				continue
			}
			if _, err := r.CommitFiles(ctx, repo.CommitInput{
				Ref:       b,
				Files:     map[string][]byte{},
				Message:   "Initial empty repository\n",
				Author:    author,
				Committer: author,
			}); err != nil {
				return fmt.Errorf("create %s: %w", b, err)
			}
		}
	}
	return nil
}

func (s *Service) person(id Ident) repo.Ident {
	if id.Name == "" && id.Email == "" {
		return s.serverPerson()
	}
	return repo.Ident{Name: id.Name, Email: id.Email, When: s.clock.Now()}
}

func (s *Service) serverPerson() repo.Ident {
	n, e := s.ident()
	return repo.Ident{Name: n, Email: e, When: s.clock.Now()}
}

// CreateRoot makes All-Projects or All-Users with the given configuration;
// it does nothing for a project that already exists.
func (s *Service) CreateRoot(ctx context.Context, name string, cfg *Config) error {
	err := s.Create(ctx, Input{Name: name, configForRootLevel: cfg, PermissionsOnly: true})
	if fail.Is(err, fail.Conflict) {
		return nil
	}
	return err
}

func (s *Service) exists(ctx context.Context, name string) bool {
	var n string
	return s.db.QueryRow(ctx, `SELECT name FROM projects WHERE name = $1`, name).Scan(&n) == nil
}

// Exists reports whether a project of that name exists.
func (s *Service) Exists(ctx context.Context, name string) bool {
	return repo.ValidateName(name) == nil && s.exists(ctx, name)
}

// ValidBranchName checks a full ref name the way git check-ref-format does.
func ValidBranchName(ref string) error {
	if !git.ValidRefName(ref) {
		return fail.Errorf(fail.Invalid, "Branch \"%s\" is not a valid name", ref)
	}
	return nil
}

// Names lists the project names in order.
func (s *Service) Names(ctx context.Context) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT name FROM projects ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Children returns, in order, the projects whose parent is name (not
// their descendants), whoever may see them.
func (s *Service) Children(ctx context.Context, name string) ([]string, error) {
	names, err := s.Names(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if n == name {
			continue
		}
		_, cfg, err := s.loadOne(ctx, n)
		if fail.Is(err, fail.NotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		if cfg.ParentName(n) == name {
			out = append(out, n)
		}
	}
	return out, nil
}

// Filter selects projects by name, as GET /projects/ and ls-projects do.
type Filter struct {
	Prefix    string // p=
	Regex     string // r=
	Substring string // m=
}

// Matcher returns whether a name passes the filter; an invalid regular
// expression is an error.
func (f Filter) Matcher() (func(name string) bool, error) {
	var re *regexp.Regexp
	if f.Regex != "" {
		var err error
		if re, err = regexp.Compile("^(?:" + f.Regex + ")$"); err != nil {
			return nil, fail.Errorf(fail.Invalid, "invalid regex: %s", f.Regex)
		}
	}
	substring := strings.ToLower(f.Substring)
	return func(name string) bool {
		return strings.HasPrefix(name, f.Prefix) && strings.Contains(strings.ToLower(name), substring) &&
			(re == nil || re.MatchString(name))
	}, nil
}

// Open returns the repository of an existing project.
func (s *Service) Open(ctx context.Context, name string) (*repo.Repo, error) {
	name = repo.NormalizeName(name)
	if err := repo.ValidateName(name); err != nil {
		return nil, fail.Wrap(fail.Invalid, err, err.Error())
	}
	r, err := s.repos.Open(name)
	if errors.Is(err, repo.ErrNotFound) {
		return nil, fail.Errorf(fail.NotFound, "Not found: %s", name)
	}
	return r, err
}

// State is a project's configuration as of one commit of refs/meta/config.
// Its configurations are shared (the cache hands the same ones to every
// caller, and projects whose refs/meta/config is the same commit share
// them): a change is made to a copy, Parse(cfg.Files()), and saved.
type State struct {
	Name     string
	Revision string  // commit id of refs/meta/config
	Config   *Config // this project's own configuration
	// Chain is this project's configuration followed by its parents'; the
	// last element is All-Projects.
	Chain []*Config
	// ParentName is the effective parent (empty for All-Projects).
	ParentName string
}

// Load returns the current configuration chain of a project.
func (s *Service) Load(ctx context.Context, name string) (*State, error) {
	st := &State{Name: name}
	seen := map[string]bool{}
	for cur := name; ; {
		if seen[cur] {
			s.log.Warn("inheritance loop", "project", name, "at", cur)
			break
		}
		seen[cur] = true
		rev, cfg, err := s.loadOne(ctx, cur)
		if err != nil {
			if cur != name && fail.Is(err, fail.NotFound) {
				// A missing parent falls back to All-Projects, as in Gerrit.
				cur = AllProjects
				if seen[cur] {
					break
				}
				continue
			}
			return nil, err
		}
		if cur == name {
			st.Revision = rev
			st.Config = cfg
		}
		st.Chain = append(st.Chain, cfg)
		if cur == AllProjects {
			break
		}
		parent := cfg.InheritFrom
		if parent == "" {
			parent = AllProjects
		}
		if cur == name {
			st.ParentName = parent
		}
		cur = parent
	}
	return st, nil
}

func (s *Service) loadOne(ctx context.Context, name string) (rev string, cfg *Config, err error) {
	r, err := s.Open(ctx, name)
	if err != nil {
		return "", nil, err
	}
	rev, err = r.RefOID(ctx, ConfigRef)
	if errors.Is(err, repo.ErrNotFound) {
		return "", &Config{}, nil
	}
	if err != nil {
		return "", nil, err
	}
	if cfg := s.cache.get(rev); cfg != nil {
		return rev, cfg, nil
	}
	cfg, err = s.parseAt(ctx, r, rev)
	if err != nil {
		return "", nil, err
	}
	s.cache.put(rev, cfg)
	return rev, cfg, nil
}

// ParseAt parses the configuration files in commit rev of repository r.
func (s *Service) parseAt(ctx context.Context, r *repo.Repo, rev string) (*Config, error) {
	pc, err := r.ReadFile(ctx, rev, "project.config")
	if err != nil && !errors.Is(err, repo.ErrNotFound) {
		return nil, err
	}
	groups, err := r.ReadFile(ctx, rev, "groups")
	if err != nil && !errors.Is(err, repo.ErrNotFound) {
		return nil, err
	}
	cfg, err := Parse(pc, groups)
	if err != nil {
		return nil, fmt.Errorf("%s of %s: %w", ConfigRef, r.Name, err)
	}
	return cfg, nil
}

// ParseCommit parses the configuration in a commit that is not yet on
// refs/meta/config, as a push to it must be validated first.
func (s *Service) ParseCommit(ctx context.Context, r *repo.Repo, rev string) (*Config, error) {
	pc, err := r.ReadFile(ctx, rev, "project.config")
	if err != nil && !errors.Is(err, repo.ErrNotFound) {
		return nil, err
	}
	groups, err := r.ReadFile(ctx, rev, "groups")
	if err != nil && !errors.Is(err, repo.ErrNotFound) {
		return nil, err
	}
	return Parse(pc, groups)
}

// Save writes cfg as a new commit on refs/meta/config, expecting the ref to
// be at oldRev. It returns the new revision.
func (s *Service) Save(ctx context.Context, name, oldRev string, cfg *Config, message string, author Ident) (string, error) {
	r, err := s.Open(ctx, name)
	if err != nil {
		return "", err
	}
	pc, groups := cfg.Files()
	if _, err := Parse(pc, groups); err != nil {
		return "", fail.Wrap(fail.Invalid, err, err.Error())
	}
	var parents []string
	if oldRev != "" {
		parents = []string{oldRev}
	}
	rev, err := r.CommitFiles(ctx, repo.CommitInput{
		Ref:         ConfigRef,
		ExpectedOld: oldRev,
		Parents:     parents,
		Files:       map[string][]byte{"project.config": pc, "groups": groups},
		Message:     message,
		Author:      s.person(author),
		Committer:   s.serverPerson(),
	})
	var mm *refupdate.MismatchError
	if errors.As(err, &mm) {
		return "", fail.Errorf(fail.Conflict, "%s of %s changed concurrently; retry", ConfigRef, name)
	}
	return rev, err
}

// Update changes project name's own configuration: edit changes a copy of
// it, which is saved as a new commit of refs/meta/config by author with
// message, unless edit left it as it was. If refs/meta/config moves
// between the read and the save, edit is applied once more to the new
// version; a second move fails as a conflict (Save's expected old value).
func (s *Service) Update(ctx context.Context, name string, author Ident, message string, edit func(*Config) error) error {
	err := s.update(ctx, name, author, message, edit)
	if fail.Is(err, fail.Conflict) {
		err = s.update(ctx, name, author, message, edit)
	}
	return err
}

func (s *Service) update(ctx context.Context, name string, author Ident, message string, edit func(*Config) error) error {
	st, err := s.Load(ctx, name)
	if err != nil {
		return err
	}
	before, groups := st.Config.Files()
	cfg, err := Parse(before, groups)
	if err != nil {
		return err
	}
	if err := edit(cfg); err != nil {
		return err
	}
	if after, afterGroups := cfg.Files(); bytes.Equal(after, before) && bytes.Equal(afterGroups, groups) {
		return nil
	}
	_, err = s.Save(ctx, name, st.Revision, cfg, message, author)
	return err
}

// RenameGroup writes a group's new name into the configuration of every
// project that refers to it, a commit by author in each, as Gerrit does
// after a rename. Access follows the group's UUID, so a project left
// behind (a failure, or a master stopped half way) keeps working and only
// shows the old name; such failures are logged. It returns the projects
// it rewrote.
func (s *Service) RenameGroup(ctx context.Context, uuid, oldName, newName string, author Ident) []string {
	names, err := s.Names(ctx)
	if err != nil {
		s.log.Warn("group rename not written to projects", "group", uuid, "err", err)
		return nil
	}
	message := fmt.Sprintf("Rename group %s to %s\n", oldName, newName)
	var renamed []string
	for _, name := range names {
		found := false
		edit := func(cfg *Config) error {
			found = cfg.RenameGroup(uuid, newName)
			return nil
		}
		err := s.Update(ctx, name, author, message, edit)
		switch {
		case err != nil:
			s.log.Warn("group rename not written to project", "project", name, "group", uuid, "err", err)
		case found:
			renamed = append(renamed, name)
		}
	}
	return renamed
}

// ValidateParent checks that project name may inherit from parent: it
// must exist and not close a cycle, All-Projects has no parent and
// All-Users inherits from All-Projects alone.
func (s *Service) ValidateParent(ctx context.Context, name, parent string) error {
	switch {
	case name == AllProjects:
		return fail.Errorf(fail.Conflict, "cannot set parent of %s", AllProjects)
	case name == AllUsers && parent != AllProjects:
		return fail.Errorf(fail.Conflict, "%s must inherit from %s", AllUsers, AllProjects)
	}
	if !s.Exists(ctx, parent) {
		return fail.Errorf(fail.Unprocessable, "parent project %s not found", parent)
	}
	for cur, seen := parent, map[string]bool{}; cur != "" && !seen[cur]; {
		if cur == name {
			return fail.Errorf(fail.Conflict, "cycle exists between %s and %s", name, parent)
		}
		seen[cur] = true
		st, err := s.Load(ctx, cur)
		if err != nil {
			return err
		}
		cur = st.ParentName
	}
	return nil
}

// SetParent makes parent ("" for All-Projects) the project name inherits
// from, with message ("" for a default) as the commit message, and
// returns the parent.
func (s *Service) SetParent(ctx context.Context, name, parent string, author Ident, message string) (string, error) {
	if parent == "" {
		parent = AllProjects
	}
	if err := s.ValidateParent(ctx, name, parent); err != nil {
		return "", err
	}
	if message == "" {
		message = "Changed parent to " + parent + ".\n"
	}
	return parent, s.Update(ctx, name, author, message, func(cfg *Config) error {
		if cfg.ParentName(name) != parent {
			cfg.InheritFrom = parent
		}
		return nil
	})
}

// SetHead points project name's HEAD at branch (short or full name),
// which must exist, and returns the full name.
func (s *Service) SetHead(ctx context.Context, name, branch string) (string, error) {
	if branch == "" {
		return "", fail.Errorf(fail.Invalid, "ref required")
	}
	if !strings.HasPrefix(branch, "refs/") {
		branch = "refs/heads/" + branch
	}
	r, err := s.Open(ctx, name)
	if err != nil {
		return "", err
	}
	if _, err := r.Resolve(ctx, branch); err != nil {
		return "", fail.Errorf(fail.Unprocessable, "Ref Not Found: %s", branch)
	}
	return branch, r.SetHead(ctx, branch)
}

// Cache returns the cache of parsed configurations.
func (s *Service) Cache() cache.Cache { return s.cache }

// configCache holds parsed configurations by commit id. Entries never go
// stale, so the cache needs no cross-master eviction; it is only bounded.
type configCache struct {
	cache.Counter
	limit int
	mu    sync.Mutex
	m     map[string]*Config
	order []string
}

func newConfigCache(limit int) *configCache {
	return &configCache{limit: limit, m: map[string]*Config{}}
}

func (c *configCache) get(rev string) *Config {
	if c.limit <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg := c.m[rev]
	c.Count(cfg != nil)
	return cfg
}

// Len returns the number of configurations held.
func (c *configCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Flush drops every configuration.
func (c *configCache) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m, c.order = map[string]*Config{}, nil
}

func (c *configCache) put(rev string, cfg *Config) {
	if c.limit <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[rev]; ok {
		return
	}
	for len(c.order) >= c.limit {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[rev] = cfg
	c.order = append(c.order, rev)
}
