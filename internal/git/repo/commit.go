package repo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tandem/internal/git"
	"tandem/internal/git/refupdate"
)

// Ident is an author or committer.
type Ident struct {
	Name, Email string
	When        time.Time // zero: the time of the commit
}

// CommitInput describes a commit made from file contents.
type CommitInput struct {
	Ref         string            // ref to update
	ExpectedOld string            // "" = ref must not exist; else its current id (compare-and-swap)
	Parents     []string          // commit ids
	Files       map[string][]byte // the whole tree: slash-separated paths to contents (mode 100644)
	Message     string            // a final newline is added when missing
	Author      Ident
	Committer   Ident
}

// CommitFiles writes the blobs, trees and commit described by in, then
// moves in.Ref from in.ExpectedOld to the new commit, and returns the new
// commit's id. If the ref is not at in.ExpectedOld the error is a
// *refupdate.MismatchError and the ref is untouched (the objects written
// stay unreferenced until gc prunes them).
func (r *Repo) CommitFiles(ctx context.Context, in CommitInput) (string, error) {
	fail := func(err error) (string, error) { return "", fmt.Errorf("commit to %q in %q: %w", in.Ref, r.Name, err) }
	if !strings.HasPrefix(in.Ref, "refs/") {
		return fail(fmt.Errorf("invalid ref"))
	}
	old := in.ExpectedOld
	if old == "" {
		old = refupdate.ZeroOID
	}
	if !git.IsOID(old) {
		return fail(fmt.Errorf("expected old %q is not an object id", in.ExpectedOld))
	}
	root, paths, err := buildTree(in.Files)
	if err != nil {
		return fail(err)
	}

	blobs, err := r.writeBlobs(ctx, paths, in.Files)
	if err != nil {
		return fail(err)
	}
	tree, err := r.writeTrees(ctx, root, blobs)
	if err != nil {
		return fail(err)
	}
	commit, err := r.WriteCommit(ctx, tree, in.Parents, in.Message, in.Author, in.Committer)
	if err != nil {
		return fail(err)
	}
	if err := r.UpdateRefs(ctx, refupdate.Update{Ref: in.Ref, Old: old, New: commit}); err != nil {
		return fail(err)
	}
	return commit, nil
}

// WriteCommit writes a commit of tree with the parents, message (a final
// newline is added when missing) and identities, and returns its id.
func (r *Repo) WriteCommit(ctx context.Context, tree string, parents []string, message string, author, committer Ident) (string, error) {
	if !git.IsOID(tree) {
		return "", fmt.Errorf("commit in %q: tree %q is not an object id", r.Name, tree)
	}
	flags := make([]string, 0, len(parents))
	for _, p := range parents {
		if !git.IsOID(p) {
			return "", fmt.Errorf("commit in %q: parent %q is not an object id", r.Name, p)
		}
		flags = append(flags, "-p"+p)
	}
	env, err := identEnv(author, committer)
	if err != nil {
		return "", err
	}
	if message != "" && !strings.HasSuffix(message, "\n") {
		message += "\n"
	}
	out, err := r.runner.Output(ctx, git.Cmd{
		Dir: r.Path, Name: "commit-tree", Flags: flags, Args: []string{tree},
		Env: env, Stdin: strings.NewReader(message),
	})
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func identEnv(author, committer Ident) ([]string, error) {
	var env []string
	for _, id := range []struct {
		who   string
		ident Ident
	}{{"AUTHOR", author}, {"COMMITTER", committer}} {
		for _, v := range []string{id.ident.Name, id.ident.Email} {
			if strings.TrimSpace(v) == "" || strings.ContainsAny(v, "<>\n\x00") || !utf8.ValidString(v) {
				return nil, fmt.Errorf("invalid %s identity %q <%s>", strings.ToLower(id.who), id.ident.Name, id.ident.Email)
			}
		}
		env = append(env, "GIT_"+id.who+"_NAME="+id.ident.Name, "GIT_"+id.who+"_EMAIL="+id.ident.Email)
		if !id.ident.When.IsZero() {
			w := id.ident.When
			env = append(env, "GIT_"+id.who+"_DATE=@"+strconv.FormatInt(w.Unix(), 10)+" "+w.Format("-0700"))
		}
	}
	return env, nil
}

// tree is a directory of a commit being built.
type tree struct {
	files map[string]string // name -> path in CommitInput.Files
	dirs  map[string]*tree
}

func newTree() *tree { return &tree{files: map[string]string{}, dirs: map[string]*tree{}} }

// buildTree arranges the flat paths of files into directories and returns
// them with the paths sorted.
func buildTree(files map[string][]byte) (*tree, []string, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	root := newTree()
	for _, p := range paths {
		if err := validatePath(p); err != nil {
			return nil, nil, err
		}
		parts := strings.Split(p, "/")
		t := root
		for _, dir := range parts[:len(parts)-1] {
			if _, ok := t.files[dir]; ok {
				return nil, nil, fmt.Errorf("path %q: %q is a file", p, dir)
			}
			sub := t.dirs[dir]
			if sub == nil {
				sub = newTree()
				t.dirs[dir] = sub
			}
			t = sub
		}
		name := parts[len(parts)-1]
		if _, ok := t.dirs[name]; ok {
			return nil, nil, fmt.Errorf("path %q is a directory", p)
		}
		t.files[name] = p
	}
	return root, paths, nil
}

// ErrInvalidPath reports a file path that cannot be in a tree: empty,
// absolute, with empty, "." or ".." components, or a ".git" component.
var ErrInvalidPath = errors.New("invalid path")

func validatePath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") ||
		strings.Contains(p, "//") || strings.ContainsAny(p, "\x00") {
		return fmt.Errorf("%w %q", ErrInvalidPath, p)
	}
	for _, c := range strings.Split(p, "/") {
		if c == "." || c == ".." || strings.EqualFold(c, ".git") {
			return fmt.Errorf("%w %q", ErrInvalidPath, p)
		}
	}
	return nil
}

// writeBlobs stores the contents in one hash-object process and returns
// their ids by path.
func (r *Repo) writeBlobs(ctx context.Context, paths []string, files map[string][]byte) (map[string]string, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	dir, err := os.MkdirTemp("", "tandem-blobs-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var list strings.Builder
	for i, p := range paths {
		f := filepath.Join(dir, strconv.Itoa(i))
		if err := os.WriteFile(f, files[p], 0o600); err != nil {
			return nil, err
		}
		list.WriteString(f)
		list.WriteByte('\n')
	}
	out, err := r.runner.Output(ctx, git.Cmd{
		Dir: r.Path, Name: "hash-object", Flags: []string{"-w", "--no-filters", "--stdin-paths"},
		Stdin: strings.NewReader(list.String()),
	})
	if err != nil {
		return nil, err
	}
	oids := strings.Fields(string(out))
	if len(oids) != len(paths) {
		return nil, fmt.Errorf("hash-object: %d ids for %d files", len(oids), len(paths))
	}
	blobs := make(map[string]string, len(paths))
	for i, p := range paths {
		blobs[p] = oids[i]
	}
	return blobs, nil
}

// writeTrees writes every directory, deepest first, through one
// `mktree --batch` process and returns the root tree's id.
func (r *Repo) writeTrees(ctx context.Context, root *tree, blobs map[string]string) (string, error) {
	p, err := r.runner.Start(ctx, git.Cmd{Dir: r.Path, Name: "mktree", Flags: []string{"--batch", "-z"}})
	if err != nil {
		return "", err
	}
	w := bufio.NewWriter(p.Stdin)
	br := bufio.NewReader(p.Stdout)
	var write func(t *tree) (string, error)
	write = func(t *tree) (string, error) {
		subs := make(map[string]string, len(t.dirs))
		for name, sub := range t.dirs {
			oid, err := write(sub)
			if err != nil {
				return "", err
			}
			subs[name] = oid
		}
		for name, path := range t.files {
			fmt.Fprintf(w, "100644 blob %s\t%s\x00", blobs[path], name)
		}
		for name, oid := range subs {
			fmt.Fprintf(w, "040000 tree %s\t%s\x00", oid, name)
		}
		w.WriteByte(0) // an empty entry ends the tree
		if err := w.Flush(); err != nil {
			return "", err
		}
		line, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		oid := strings.TrimSpace(line)
		if !git.IsOID(oid) {
			return "", fmt.Errorf("mktree: unexpected %q", line)
		}
		return oid, nil
	}
	oid, werr := write(root)
	p.Stdin.Close()
	io.Copy(io.Discard, br)
	if err := p.Wait(); err != nil {
		return "", err
	}
	if werr != nil {
		return "", fmt.Errorf("mktree: %w", werr)
	}
	return oid, nil
}
