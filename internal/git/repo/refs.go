package repo

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"tandem/internal/git"
	"tandem/internal/git/catfile"
)

// Ref is a ref and the object it points at. Symref is the target of a
// symbolic ref, else empty. Peeled is the object an annotated tag points
// at when packed-refs records it, else empty, which means the ref is no
// annotated tag only when PeelKnown (packed-refs records all peeled
// values, and the ref is as packed).
type Ref struct {
	Name, OID, Symref, Peeled string
	PeelKnown                 bool
}

// Refs lists refs matching patterns (for-each-ref patterns: prefixes such as
// "refs/heads/" or globs), all refs when there are none. HEAD is not
// included. The result is sorted by name.
//
// Refs are read from the files backend directly: every fetch, clone and
// push lists them, and a for-each-ref process would cost more than the
// reading. Repositories in another ref format, and glob patterns, go to
// git.
func (r *Repo) Refs(ctx context.Context, patterns ...string) ([]Ref, error) {
	if !hasGlob(patterns) {
		if _, err := os.Stat(filepath.Join(r.Path, "reftable")); errors.Is(err, fs.ErrNotExist) {
			refs, err := readFilesRefs(r.Path, r.packed, patterns)
			if err != nil {
				return nil, fmt.Errorf("refs of %q: %w", r.Name, err)
			}
			return filterRefs(refs, patterns), nil
		}
	}
	return r.forEachRef(ctx, patterns)
}

// forEachRef lists refs with git for-each-ref.
func (r *Repo) forEachRef(ctx context.Context, patterns []string) ([]Ref, error) {
	out, err := r.runner.Output(ctx, git.Cmd{
		Dir: r.Path, Name: "for-each-ref",
		Flags: []string{"--format=%(objectname)%00%(refname)%00%(symref)"},
		Args:  patterns,
	})
	if err != nil {
		return nil, fmt.Errorf("refs of %q: %w", r.Name, err)
	}
	var refs []Ref
	for len(out) > 0 {
		line, rest, _ := bytes.Cut(out, []byte{'\n'})
		out = rest
		f := strings.Split(string(line), "\x00")
		if len(f) != 3 {
			return nil, fmt.Errorf("refs of %q: unexpected %q", r.Name, line)
		}
		refs = append(refs, Ref{OID: f[0], Name: f[1], Symref: f[2]})
	}
	return refs, nil
}

func hasGlob(patterns []string) bool {
	for _, p := range patterns {
		if strings.ContainsAny(p, "*?[\\") {
			return true
		}
	}
	return false
}

// filterRefs keeps the refs a literal for-each-ref pattern matches: the
// name itself, or a prefix of it ending at a slash.
func filterRefs(refs []Ref, patterns []string) []Ref {
	if len(patterns) == 0 {
		return refs
	}
	out := refs[:0]
	for _, ref := range refs {
		for _, p := range patterns {
			rest, ok := strings.CutPrefix(ref.Name, p)
			if ok && (rest == "" || strings.HasSuffix(p, "/") || rest[0] == '/') {
				out = append(out, ref)
				break
			}
		}
	}
	return out
}

// readFilesRefs reads the refs of the bare repository at dir under the
// literal patterns (all refs when there are none) the way git's files
// backend stores them: only the directories the patterns name are walked,
// and only the packed names under them are looked at. Loose refs are read
// before packed-refs: pack-refs writes packed-refs before it deletes the
// loose files, so a ref moving between the two is seen in one of them.
// Symbolic refs are resolved, wherever they point; dangling ones are left
// out, as git does. The result may hold refs the patterns do not match.
func readFilesRefs(dir string, packedRefs *packedCache, patterns []string) ([]Ref, error) {
	roots := []string{"refs"}
	if len(patterns) > 0 {
		roots = roots[:0]
		for _, p := range patterns {
			if root := strings.TrimSuffix(p, "/"); root == "refs" || git.ValidRefName(root) {
				roots = append(roots, root)
			}
		}
	}
	loose := map[string]string{} // name -> content (an id or "ref: target")
	for _, root := range roots {
		if err := readLooseRefs(dir, root, loose); err != nil {
			return nil, err
		}
	}
	pr, err := packedRefs.read(dir)
	if err != nil {
		return nil, err
	}
	packed, peeled := pr.refs, pr.peeled
	// direct answers the object a ref names without following symrefs; a
	// symref may point outside the walked directories.
	direct := func(name string) (oid, target string, ok bool) {
		c, isLoose := loose[name]
		if !isLoose && git.ValidRefName(name) {
			if c, isLoose, _ = readLooseRef(dir, name); isLoose {
				loose[name] = c
			}
		}
		if isLoose {
			if t, sym := strings.CutPrefix(c, "ref: "); sym {
				return "", t, true
			}
			return c, "", git.IsOID(c)
		}
		oid, ok = packed[name]
		return oid, "", ok
	}
	var refs []Ref
	add := func(name string) {
		oid, target, ok := direct(name)
		if !ok {
			return
		}
		ref := Ref{Name: name, OID: oid, Symref: target}
		for hops := 0; ref.OID == "" && hops < 5; hops++ {
			if oid, target, ok = direct(ref.Symref); !ok {
				return
			}
			if ref.OID = oid; target != "" {
				ref.Symref = target // git names the end of a chain
			}
		}
		if ref.OID == "" {
			return
		}
		if _, isLoose := loose[name]; !isLoose || loose[name] == packed[name] {
			ref.Peeled = peeled[name]
			ref.PeelKnown = pr.fullyPeeled && ref.Symref == ""
		}
		refs = append(refs, ref)
	}
	names := slices.Collect(maps.Keys(loose))
	for _, root := range roots {
		// Names under root sort between root and root+"0" ('/' + 1).
		i, _ := slices.BinarySearch(pr.names, root)
		for ; i < len(pr.names) && pr.names[i] < root+"0"; i++ {
			if _, ok := loose[pr.names[i]]; !ok {
				names = append(names, pr.names[i])
			}
		}
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		add(name)
	}
	return refs, nil
}

// readLooseRef reads the file of the ref name in the repository at dir:
// an object id or "ref: TARGET". A ref with no file (or a directory in its
// place) is not found.
func readLooseRef(dir, name string) (content string, found bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	switch {
	case err == nil:
		return strings.TrimRight(string(b), "\n"), true, nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EISDIR):
		return "", false, nil
	}
	return "", false, err
}

// readLooseRefs adds the loose refs at or under root to loose.
func readLooseRefs(dir, root string, loose map[string]string) error {
	return filepath.WalkDir(filepath.Join(dir, filepath.FromSlash(root)), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return nil // removed while we walked: an empty directory or a deleted ref
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if !git.ValidRefName(name) {
			return nil // lock files and other debris
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		loose[name] = strings.TrimRight(string(b), "\n")
		return nil
	})
}

// readPackedRefs parses packed-refs: "<id> <name>" lines, each optionally
// followed by "^<id>", the object an annotated tag peels to, after a
// header naming the file's traits.
func readPackedRefs(path string) (*packedRefs, error) {
	pr := &packedRefs{refs: map[string]string{}, peeled: map[string]string{}}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return pr, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	last := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
		case line[0] == '#':
			if traits, ok := strings.CutPrefix(line, "# pack-refs with:"); ok {
				pr.fullyPeeled = slices.Contains(strings.Fields(traits), "fully-peeled")
			}
		case line[0] == '^':
			if last != "" && git.IsOID(line[1:]) {
				pr.peeled[last] = line[1:]
			}
		default:
			oid, name, ok := strings.Cut(line, " ")
			if !ok || !git.IsOID(oid) || !git.ValidRefName(name) {
				return nil, fmt.Errorf("packed-refs: malformed line %q", line)
			}
			pr.refs[name], last = oid, name
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	pr.names = slices.Sorted(maps.Keys(pr.refs))
	return pr, nil
}

// ObjectTypes returns the type of each of oids ("commit", "tree", "blob"
// or "tag"), "missing" for those not in the repository, in one round
// trip to a pooled cat-file.
func (r *Repo) ObjectTypes(ctx context.Context, oids []string) (map[string]string, error) {
	infos, err := r.objectInfos(ctx, oids)
	if err != nil {
		return nil, err
	}
	types := make(map[string]string, len(oids))
	for i, info := range infos {
		types[oids[i]] = cmp.Or(info.Type, "missing")
	}
	return types, nil
}

// objectInfos looks oids up in one pipelined round trip to a pooled
// cat-file; a missing object has an empty Type.
func (r *Repo) objectInfos(ctx context.Context, oids []string) ([]catfile.ObjectInfo, error) {
	if len(oids) == 0 {
		return nil, nil
	}
	b, err := r.batch(ctx)
	if err != nil {
		return nil, err
	}
	defer r.release(b)
	infos, err := b.Infos(oids)
	if err != nil {
		return nil, fmt.Errorf("look up objects in %q: %w", r.Name, err)
	}
	return infos, nil
}

// Peel returns, for each of oids that is an annotated tag, the object it
// finally points at through any chain of tags. Other objects, and
// missing ones, are left out.
func (r *Repo) Peel(ctx context.Context, oids []string) (map[string]string, error) {
	peeled := map[string]string{}
	if len(oids) == 0 {
		return peeled, nil
	}
	b, err := r.batch(ctx)
	if err != nil {
		return nil, err
	}
	defer r.release(b)
	infos, err := b.Infos(oids)
	if err != nil {
		return nil, fmt.Errorf("peel in %q: %w", r.Name, err)
	}
	for i, info := range infos {
		oid := oids[i]
		for hops := 0; info.Type == "tag" && hops < 10; hops++ {
			_, data, err := b.Read(info.OID)
			if err != nil {
				return nil, fmt.Errorf("peel %s in %q: %w", oid, r.Name, err)
			}
			target, typ := tagTarget(data)
			if target == "" {
				return nil, fmt.Errorf("peel %s in %q: malformed tag %s", oid, r.Name, info.OID)
			}
			peeled[oid] = target
			info = catfile.ObjectInfo{OID: target, Type: typ}
		}
	}
	return peeled, nil
}

// tagTarget returns the object and type a tag object's header names.
func tagTarget(data []byte) (oid, typ string) {
	for line := range strings.SplitSeq(string(data), "\n") {
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "object "); ok {
			oid = v
		} else if v, ok := strings.CutPrefix(line, "type "); ok {
			typ = v
		}
	}
	if !git.IsOID(oid) {
		return "", ""
	}
	return oid, typ
}

// RefOID returns the object the full ref name points at, ErrNotFound when
// there is no such ref. It reads the ref's file, or packed-refs, without
// starting or asking git; symbolic refs and other ref formats go to
// Resolve.
func (r *Repo) RefOID(ctx context.Context, name string) (string, error) {
	if !git.ValidRefName(name) {
		return r.Resolve(ctx, name)
	}
	content, found, err := readLooseRef(r.Path, name)
	switch {
	case err != nil:
		return "", fmt.Errorf("ref %s of %q: %w", name, r.Name, err)
	case found && git.IsOID(content):
		return content, nil
	case found:
		return r.Resolve(ctx, name)
	}
	if _, err := os.Stat(filepath.Join(r.Path, "reftable")); !errors.Is(err, fs.ErrNotExist) {
		return r.Resolve(ctx, name)
	}
	// Not loose, so packed or absent: pack-refs writes packed-refs before
	// it deletes a loose file, so a ref being packed is in one of them.
	pr, err := r.packed.read(r.Path)
	if err != nil {
		return "", fmt.Errorf("ref %s of %q: %w", name, r.Name, err)
	}
	if oid, ok := pr.refs[name]; ok {
		return oid, nil
	}
	return "", fmt.Errorf("ref %s of %q: %w", name, r.Name, ErrNotFound)
}

// packedCache keeps the parsed packed-refs of recently read repositories
// while the file stays the same. git replaces packed-refs by renaming a
// new file over it, so a changed file has a new inode, size or time; the
// file is checked before it is read, so what is kept is never older than
// what its check describes.
type packedCache struct {
	mu sync.Mutex
	m  map[string]*packedRefs // by repository directory
}

type packedRefs struct {
	stat         packedStat
	refs, peeled map[string]string
	names        []string // the keys of refs, sorted
	// fullyPeeled: every annotated tag in the file has its peeled line,
	// so a ref without one is no annotated tag.
	fullyPeeled bool
}

type packedStat struct {
	ino, size int64
	mtime     int64
}

// packedCacheRepos bounds how many repositories' packed-refs are kept.
const packedCacheRepos = 64

func newPackedCache() *packedCache { return &packedCache{m: map[string]*packedRefs{}} }

// read returns the packed refs of the repository at dir.
func (c *packedCache) read(dir string) (*packedRefs, error) {
	path := filepath.Join(dir, "packed-refs")
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &packedRefs{refs: map[string]string{}, peeled: map[string]string{}}, nil
	}
	if err != nil {
		return nil, err
	}
	st := packedStat{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = int64(sys.Ino)
	}
	c.mu.Lock()
	pr := c.m[dir]
	c.mu.Unlock()
	if pr != nil && pr.stat == st {
		return pr, nil
	}
	if pr, err = readPackedRefs(path); err != nil {
		return nil, err
	}
	pr.stat = st
	c.mu.Lock()
	if len(c.m) >= packedCacheRepos {
		clear(c.m)
	}
	c.m[dir] = pr
	c.mu.Unlock()
	return pr, nil
}

// Containing returns the refs under the given prefixes (e.g.
// "refs/heads/") whose history contains the commit oid, in one git call.
func (r *Repo) Containing(ctx context.Context, oid string, prefixes ...string) ([]string, error) {
	if !git.IsOID(oid) {
		return nil, fmt.Errorf("refs containing %q in %q: not an object id", oid, r.Name)
	}
	out, err := r.runner.Output(ctx, git.Cmd{Dir: r.Path, Name: "for-each-ref",
		Flags: []string{"--format=%(refname)", "--contains=" + oid}, Args: prefixes})
	if err != nil {
		return nil, fmt.Errorf("refs containing %s in %q: %w", oid, r.Name, err)
	}
	return strings.Fields(string(out)), nil
}
