// Package repo manages the bare repositories under one root directory
// (gerrit.basePath): project names and their paths, creation, refs, and
// reading and writing files in commits without a work tree.
//
// Project "foo/bar" lives in ROOT/foo/bar.git. Names are validated before
// any path is built, and every path is checked to stay under the root.
// Creation is atomic (init in a temporary directory, then rename), so two
// masters creating one project at once get one repository and one
// ErrExists. Every ref write goes through refupdate with an expected old
// value.
//
// Store and Repo are safe for concurrent use; a Store's pooled cat-file
// readers end with Close. All git work goes through the git.Runner,
// except reading refs and HEAD, which come from the files of git's files
// ref backend directly (see refs.go).
package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"tandem/internal/git"
	"tandem/internal/git/catfile"
)

// Errors callers branch on.
var (
	ErrInvalidName = errors.New("invalid project name")
	ErrNotFound    = errors.New("not found")
	ErrExists      = errors.New("already exists")
)

// DefaultHead is HEAD of a repository created without one.
const DefaultHead = "refs/heads/master"

// Store is the set of repositories under one root.
type Store struct {
	root   string
	runner *git.Runner
	pool   *catfile.Pool // long-lived cat-file readers, so reads spawn nothing
	packed *packedCache  // parsed packed-refs, while unchanged
}

// NewStore returns the Store of repositories under root (made absolute).
func NewStore(root string, r *git.Runner) *Store {
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	return &Store{root: filepath.Clean(root), runner: r, pool: catfile.NewPool(r, catfile.PoolOptions{}), packed: newPackedCache()}
}

// Close stops the store's cat-file readers.
func (s *Store) Close() error { return s.pool.Close() }

// Root returns the absolute root directory.
func (s *Store) Root() string { return s.root }

// Path returns the directory of the project name, which must be valid and
// normalized; it does not check that the repository exists.
func (s *Store) Path(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	p := filepath.Join(s.root, filepath.FromSlash(name)+".git")
	if !strings.HasPrefix(p, s.root+string(filepath.Separator)) {
		return "", fmt.Errorf("project name %q: %w: outside the root", name, ErrInvalidName)
	}
	return p, nil
}

// Open returns the existing repository of the project name.
func (s *Store) Open(name string) (*Repo, error) {
	p, err := s.Path(name)
	if err != nil {
		return nil, err
	}
	// A bare repository always has HEAD; one stat keeps Open cheap.
	if fi, err := os.Stat(filepath.Join(p, "HEAD")); err != nil || fi.IsDir() {
		return nil, fmt.Errorf("repository %q: %w", name, ErrNotFound)
	}
	return &Repo{Name: name, Path: p, runner: s.runner, pool: s.pool, packed: s.packed}, nil
}

// Create creates an empty bare repository for the project name with HEAD
// pointing at headRef ("" means DefaultHead). It returns ErrExists when the
// repository is already there.
func (s *Store) Create(ctx context.Context, name, headRef string) (*Repo, error) {
	p, err := s.Path(name)
	if err != nil {
		return nil, err
	}
	if headRef == "" {
		headRef = DefaultHead
	}
	if !strings.HasPrefix(headRef, "refs/") || strings.ContainsAny(headRef, " \t\r\n\x00") {
		return nil, fmt.Errorf("create %q: invalid HEAD %q", name, headRef)
	}
	if _, err := os.Lstat(p); err == nil {
		return nil, fmt.Errorf("repository %q: %w", name, ErrExists)
	}
	parent := filepath.Dir(p)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("create %q: %w", name, err)
	}
	// Build the repository aside and rename it into place: the rename is
	// the one decision between concurrent creators.
	tmp, err := os.MkdirTemp(parent, ".tmp-create-*")
	if err != nil {
		return nil, fmt.Errorf("create %q: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	flags := []string{"--bare", "--quiet", "--template="}
	branch, isBranch := strings.CutPrefix(headRef, "refs/heads/")
	if isBranch {
		flags = append(flags, "--initial-branch="+branch)
	}
	if err := s.runner.Run(ctx, git.Cmd{Dir: tmp, Name: "init", Flags: flags}); err != nil {
		return nil, fmt.Errorf("create %q: %w", name, err)
	}
	if !isBranch {
		err := s.runner.Run(ctx, git.Cmd{Dir: tmp, Name: "symbolic-ref", Args: []string{"HEAD", headRef}})
		if err != nil {
			return nil, fmt.Errorf("create %q: %w", name, err)
		}
	}
	if err := os.Rename(tmp, p); err != nil {
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			return nil, fmt.Errorf("repository %q: %w", name, ErrExists)
		}
		return nil, fmt.Errorf("create %q: %w", name, err)
	}
	return &Repo{Name: name, Path: p, runner: s.runner, pool: s.pool, packed: s.packed}, nil
}

// List returns the names of all projects under the root, sorted. It skips
// directories that are not valid project names.
func (s *Store) List() ([]string, error) {
	var names []string
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == s.root {
				return err
			}
			return nil // a directory vanished or is unreadable: not a project
		}
		if !d.IsDir() || p == s.root {
			return nil
		}
		if !strings.HasSuffix(d.Name(), ".git") {
			if strings.HasPrefix(d.Name(), ".tmp-create-") {
				return filepath.SkipDir // a repository being created
			}
			return nil
		}
		rel, _ := filepath.Rel(s.root, p)
		name := strings.TrimSuffix(filepath.ToSlash(rel), ".git")
		if ValidateName(name) == nil {
			if _, err := os.Stat(filepath.Join(p, "HEAD")); err == nil {
				names = append(names, name)
			}
		}
		return filepath.SkipDir // no repositories inside repositories
	})
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", s.root, err)
	}
	sort.Strings(names)
	return names, nil
}

// Repo is one bare repository.
type Repo struct {
	Name   string // project name
	Path   string // absolute directory
	runner *git.Runner
	pool   *catfile.Pool
	packed *packedCache
}

// batch borrows a cat-file reader; release gives it back.
func (r *Repo) batch(ctx context.Context) (*catfile.Batch, error) {
	if r.pool == nil {
		return catfile.Open(ctx, r.runner, r.Path)
	}
	return r.pool.Get(r.Path)
}

func (r *Repo) release(b *catfile.Batch) {
	if r.pool == nil {
		b.Close()
		return
	}
	r.pool.Put(b)
}

// Runner returns the runner the repository uses.
func (r *Repo) Runner() *git.Runner { return r.runner }

// Resolve returns the object id rev names, not peeled (any revision
// expression; give full ref names to avoid ambiguity). A rev naming nothing
// is ErrNotFound.
func (r *Repo) Resolve(ctx context.Context, rev string) (string, error) {
	// cat-file, unlike rev-parse --verify, also checks that a full object
	// id names an existing object.
	b, err := r.batch(ctx)
	if err != nil {
		return "", err
	}
	defer r.release(b)
	info, err := b.Info(rev)
	switch {
	case errors.Is(err, catfile.ErrNotFound), errors.Is(err, catfile.ErrInvalidRevision):
		return "", fmt.Errorf("revision %q in %q: %w", rev, r.Name, ErrNotFound)
	case err != nil:
		return "", fmt.Errorf("resolve %q in %q: %w", rev, r.Name, err)
	}
	return info.OID, nil
}

// Head returns the ref HEAD points at, such as "refs/heads/main".
func (r *Repo) Head(ctx context.Context) (string, error) {
	// HEAD is a plain file in a bare repository (files ref backend);
	// reading it saves a process.
	b, err := os.ReadFile(filepath.Join(r.Path, "HEAD"))
	if err != nil {
		return "", fmt.Errorf("head of %q: %w", r.Name, err)
	}
	target, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "ref: ")
	if !ok {
		return "", fmt.Errorf("head of %q: not a symbolic ref", r.Name)
	}
	return target, nil
}

// SetHead points HEAD at ref, which must start with "refs/".
func (r *Repo) SetHead(ctx context.Context, ref string) error {
	if !strings.HasPrefix(ref, "refs/") {
		return fmt.Errorf("set head of %q: invalid ref %q", r.Name, ref)
	}
	err := r.runner.Run(ctx, git.Cmd{Dir: r.Path, Name: "symbolic-ref", Args: []string{"HEAD", ref}})
	if err != nil {
		return fmt.Errorf("set head of %q: %w", r.Name, err)
	}
	return nil
}

// ReadFile returns the content of the file path (slash-separated) in the
// tree of rev. A missing rev or path is ErrNotFound.
func (r *Repo) ReadFile(ctx context.Context, rev, path string) ([]byte, error) {
	if strings.Contains(rev, ":") {
		return nil, fmt.Errorf("read %q at %q: invalid revision", path, rev)
	}
	b, err := r.batch(ctx)
	if err != nil {
		return nil, err
	}
	defer r.release(b)
	info, data, err := b.Read(rev + ":" + path)
	switch {
	case errors.Is(err, catfile.ErrNotFound):
		return nil, fmt.Errorf("read %q at %q: %w", path, rev, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("read %q at %q: %w", path, rev, err)
	case info.Type != "blob":
		return nil, fmt.Errorf("read %q at %q: is a %s", path, rev, info.Type)
	}
	return data, nil
}

// ancestorWalk bounds the commits IsAncestor reads itself before it asks
// git merge-base: a push or a submit usually adds a commit or two.
const ancestorWalk = 64

// IsAncestor reports whether ancestor is an ancestor of (or equal to)
// descendant.
func (r *Repo) IsAncestor(ctx context.Context, ancestor, descendant string) (bool, error) {
	if git.IsOID(ancestor) {
		if ok, decided, err := r.nearAncestor(ctx, ancestor, descendant); err != nil || decided {
			return ok, err
		}
	}
	err := r.runner.Run(ctx, git.Cmd{
		Dir: r.Path, Name: "merge-base", Flags: []string{"--is-ancestor"}, Args: []string{ancestor, descendant},
	})
	var ge *git.Error
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ge) && ge.ExitCode == 1:
		return false, nil
	}
	return false, fmt.Errorf("is %q an ancestor of %q: %w", ancestor, descendant, err)
}

// nearAncestor walks up to ancestorWalk commits back from descendant
// through the pooled reader, which costs no process. It decides when it
// meets ancestor, or when the whole history is shorter than the bound;
// otherwise git must.
func (r *Repo) nearAncestor(ctx context.Context, ancestor, descendant string) (ok, decided bool, err error) {
	start, err := r.ReadCommit(ctx, descendant)
	if err != nil {
		return false, false, nil // let git say what is wrong
	}
	seen := map[string]bool{start.OID: true}
	queue := []*Commit{start}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c.OID == ancestor {
			return true, true, nil
		}
		for _, p := range c.Parents {
			if seen[p] {
				continue
			}
			if len(seen) == ancestorWalk {
				return false, false, nil
			}
			seen[p] = true
			pc, err := r.ReadCommit(ctx, p)
			if err != nil {
				return false, false, nil
			}
			queue = append(queue, pc)
		}
	}
	// The whole history is read: ancestor is not in it, if it is a
	// commit at all, which git answers with an error otherwise.
	if _, err := r.ReadCommit(ctx, ancestor); err != nil {
		return false, false, nil
	}
	return false, true, nil
}
