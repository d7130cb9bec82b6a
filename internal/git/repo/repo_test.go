package repo_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tandem/internal/git/gittest"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
)

func TestMain(m *testing.M) { gittest.Main(m) }

func newStore(t *testing.T) *repo.Store {
	t.Helper()
	s := repo.NewStore(t.TempDir(), gittest.Runner(t))
	t.Cleanup(func() { s.Close() })
	return s
}

func TestCreateOpen(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)

	if _, err := s.Open("foo"); !errors.Is(err, repo.ErrNotFound) {
		t.Errorf("Open(missing) = %v, want ErrNotFound", err)
	}
	r, err := s.Create(ctx, "foo/bar", "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(s.Root(), "foo", "bar.git"); r.Path != want || r.Name != "foo/bar" {
		t.Errorf("Create = %+v, want path %s", r, want)
	}
	if got := gittest.Exec(t, r.Path, "rev-parse", "--is-bare-repository"); got != "true" {
		t.Errorf("is bare = %q", got)
	}
	if head, err := r.Head(ctx); err != nil || head != "refs/heads/main" {
		t.Errorf("Head = %q, %v", head, err)
	}
	if _, err := os.Stat(filepath.Join(r.Path, "hooks")); !os.IsNotExist(err) {
		t.Errorf("repository has a hooks directory from templates: %v", err)
	}
	if _, err := s.Create(ctx, "foo/bar", ""); !errors.Is(err, repo.ErrExists) {
		t.Errorf("Create(existing) = %v, want ErrExists", err)
	}
	o, err := s.Open("foo/bar")
	if err != nil || o.Path != r.Path {
		t.Errorf("Open = %+v, %v", o, err)
	}
	if _, err := s.Open("foo"); !errors.Is(err, repo.ErrNotFound) {
		t.Errorf("Open(parent directory) = %v, want ErrNotFound", err)
	}
	if _, err := s.Open("../x"); !errors.Is(err, repo.ErrInvalidName) {
		t.Errorf("Open(../x) = %v, want ErrInvalidName", err)
	}
	if _, err := s.Create(ctx, "a:b", ""); !errors.Is(err, repo.ErrInvalidName) {
		t.Errorf("Create(a:b) = %v, want ErrInvalidName", err)
	}

	d, err := s.Create(ctx, "dflt", "")
	if err != nil {
		t.Fatal(err)
	}
	if head, _ := d.Head(ctx); head != repo.DefaultHead {
		t.Errorf("default Head = %q", head)
	}
	m, err := s.Create(ctx, "meta", "refs/meta/config")
	if err != nil {
		t.Fatal(err)
	}
	if head, _ := m.Head(ctx); head != "refs/meta/config" {
		t.Errorf("Head = %q, want refs/meta/config", head)
	}
	for _, bad := range []string{"heads/main", "refs/heads/a b", "refs/heads/x\n"} {
		if _, err := s.Create(ctx, "bad", bad); err == nil {
			t.Errorf("Create with HEAD %q succeeded", bad)
		}
	}

	names, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"dflt", "foo/bar", "meta"}; !slices.Equal(names, want) {
		t.Errorf("List = %q, want %q", names, want)
	}
	leftovers, _ := filepath.Glob(filepath.Join(s.Root(), "*", ".tmp-*"))
	top, _ := filepath.Glob(filepath.Join(s.Root(), ".tmp-*"))
	if len(leftovers)+len(top) > 0 {
		t.Errorf("temporary directories left: %q %q", leftovers, top)
	}
}

func TestCreateConcurrent(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Create(ctx, "race", "refs/heads/main")
		})
	}
	wg.Wait()
	created := 0
	for _, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, repo.ErrExists):
			t.Errorf("Create = %v", err)
		}
	}
	if created != 1 {
		t.Errorf("%d creators succeeded, want 1", created)
	}
	if _, err := s.Open("race"); err != nil {
		t.Error(err)
	}
}

func TestRefsResolve(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r, err := s.Create(ctx, "p", "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	if refs, err := r.Refs(ctx); err != nil || len(refs) != 0 {
		t.Errorf("Refs(empty repo) = %v, %v", refs, err)
	}
	if _, err := r.Resolve(ctx, "HEAD"); !errors.Is(err, repo.ErrNotFound) {
		t.Errorf("Resolve(unborn HEAD) = %v, want ErrNotFound", err)
	}
	a := gittest.WriteCommit(t, r.Path, "refs/heads/main", "a", map[string]string{"f": "a"})
	b := gittest.WriteCommit(t, r.Path, "refs/heads/dev", "b", map[string]string{"f": "b"}, a)
	gittest.WriteCommit(t, r.Path, "refs/changes/01/1/1", "c", nil, a)
	gittest.Exec(t, r.Path, "symbolic-ref", "refs/heads/alias", "refs/heads/dev")

	refs, err := r.Refs(ctx, "refs/heads/")
	if err != nil {
		t.Fatal(err)
	}
	want := []repo.Ref{
		{Name: "refs/heads/alias", OID: b, Symref: "refs/heads/dev"},
		{Name: "refs/heads/dev", OID: b},
		{Name: "refs/heads/main", OID: a},
	}
	if !slices.Equal(refs, want) {
		t.Errorf("Refs = %+v, want %+v", refs, want)
	}
	all, err := r.Refs(ctx)
	if err != nil || len(all) != 4 {
		t.Errorf("Refs() = %d refs, %v; want 4", len(all), err)
	}
	if refs, err := r.Refs(ctx, "--format=%(refname)"); err != nil || len(refs) != 0 {
		t.Errorf("Refs(option-like pattern) = %v, %v", refs, err)
	}

	tests := []struct {
		desc, rev, want string
		err             error
	}{
		{"full ref", "refs/heads/main", a, nil},
		{"short name", "dev", b, nil},
		{"HEAD", "HEAD", a, nil},
		{"id", b, b, nil},
		{"parent", "dev~1", a, nil},
		{"missing", "refs/heads/nope", "", repo.ErrNotFound},
		{"option-like", "--all", "", repo.ErrNotFound},
		{"missing id", strings.Repeat("1", 40), "", repo.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := r.Resolve(ctx, tt.rev)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("Resolve(%q) = %q, %v; want %q, %v", tt.rev, got, err, tt.want, tt.err)
			}
		})
	}

	if ok, err := r.IsAncestor(ctx, a, b); !ok || err != nil {
		t.Errorf("IsAncestor(a, b) = %v, %v", ok, err)
	}
	if ok, err := r.IsAncestor(ctx, b, a); ok || err != nil {
		t.Errorf("IsAncestor(b, a) = %v, %v", ok, err)
	}
	if ok, err := r.IsAncestor(ctx, a, a); !ok || err != nil {
		t.Errorf("IsAncestor(a, a) = %v, %v", ok, err)
	}
	if _, err := r.IsAncestor(ctx, "nope", a); err == nil {
		t.Error("IsAncestor(missing) succeeded")
	}

	if err := r.SetHead(ctx, "refs/heads/dev"); err != nil {
		t.Fatal(err)
	}
	if head, err := r.Head(ctx); head != "refs/heads/dev" || err != nil {
		t.Errorf("Head after SetHead = %q, %v", head, err)
	}
	if got, _ := r.Resolve(ctx, "HEAD"); got != b {
		t.Errorf("HEAD resolves to %s, want %s", got, b)
	}
	for _, bad := range []string{"dev", "--help", "refs/heads/a b"} {
		if err := r.SetHead(ctx, bad); err == nil {
			t.Errorf("SetHead(%q) succeeded", bad)
		}
	}
}

func TestReadFile(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r, err := s.Create(ctx, "p", "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	gittest.WriteCommit(t, r.Path, "refs/meta/config", "cfg", map[string]string{
		"project.config": "[access]\n", "dir/groups": "# UUID\n",
	})
	tests := []struct {
		desc, rev, path, want string
		notFound              bool
	}{
		{"top-level file", "refs/meta/config", "project.config", "[access]\n", false},
		{"nested file", "refs/meta/config", "dir/groups", "# UUID\n", false},
		{"missing file", "refs/meta/config", "nope", "", true},
		{"missing ref", "refs/heads/main", "project.config", "", true},
		{"path with space", "refs/meta/config", "a b", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := r.ReadFile(ctx, tt.rev, tt.path)
			if tt.notFound {
				if !errors.Is(err, repo.ErrNotFound) {
					t.Errorf("ReadFile = %q, %v; want ErrNotFound", got, err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("ReadFile = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := r.ReadFile(ctx, "refs/meta/config", "dir"); err == nil || errors.Is(err, repo.ErrNotFound) {
		t.Errorf("ReadFile(directory) = %v, want a non-NotFound error", err)
	}
	if _, err := r.ReadFile(ctx, "refs/meta/config", "x\ninfo HEAD"); err == nil {
		t.Error("ReadFile with a newline succeeded")
	}
}

func TestCommitFiles(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r, err := s.Create(ctx, "p", "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("", 2*3600))
	author := repo.Ident{Name: "Ada", Email: "ada@example.com", When: when}
	committer := repo.Ident{Name: "Tandem", Email: "tandem@example.com", When: when.Add(time.Hour)}

	first, err := r.CommitFiles(ctx, repo.CommitInput{
		Ref:     "refs/meta/config",
		Files:   map[string][]byte{"project.config": []byte("[project]\n"), "groups": []byte("# g\n"), "a/b/c.txt": []byte("deep"), "a/d": nil},
		Message: "Create project",
		Author:  author, Committer: committer,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Resolve(ctx, "refs/meta/config"); got != first {
		t.Errorf("ref = %s, want %s", got, first)
	}
	raw := gittest.Exec(t, r.Path, "cat-file", "commit", first)
	for _, want := range []string{
		"author Ada <ada@example.com> 1714972089 +0200",
		"committer Tandem <tandem@example.com> 1714975689 +0200",
		"\n\nCreate project",
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("commit lacks %q:\n%s", want, raw)
		}
	}
	if strings.Contains(raw, "\nparent ") {
		t.Errorf("root commit has a parent:\n%s", raw)
	}
	if got := gittest.Exec(t, r.Path, "ls-tree", "-r", "--name-only", first); got != "a/b/c.txt\na/d\ngroups\nproject.config" {
		t.Errorf("tree = %q", got)
	}
	if data, err := r.ReadFile(ctx, first, "a/b/c.txt"); err != nil || string(data) != "deep" {
		t.Errorf("ReadFile = %q, %v", data, err)
	}

	// Compare-and-swap: a second commit must name the first as old value.
	next := repo.CommitInput{
		Ref: "refs/meta/config", ExpectedOld: first, Parents: []string{first},
		Files:   map[string][]byte{"project.config": []byte("[project]\n\tdescription = x\n")},
		Message: "Update\n", Author: author, Committer: committer,
	}
	stale := next
	stale.ExpectedOld = ""
	var me *refupdate.MismatchError
	if _, err := r.CommitFiles(ctx, stale); !errors.As(err, &me) {
		t.Errorf("CommitFiles(ref must not exist) = %v, want MismatchError", err)
	}
	second, err := r.CommitFiles(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if got := gittest.Exec(t, r.Path, "rev-parse", second+"^"); got != first {
		t.Errorf("parent = %s, want %s", got, first)
	}
	if _, err := r.CommitFiles(ctx, next); !errors.As(err, &me) || me.Ref != "refs/meta/config" {
		t.Errorf("CommitFiles(stale expected old) = %v, want MismatchError", err)
	}
	if got, _ := r.Resolve(ctx, "refs/meta/config"); got != second {
		t.Errorf("ref moved by a failed commit: %s", got)
	}

	empty, err := r.CommitFiles(ctx, repo.CommitInput{
		Ref: "refs/heads/main", Message: "Initial empty repository",
		Author: repo.Ident{Name: "A", Email: "a@x"}, Committer: repo.Ident{Name: "A", Email: "a@x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := gittest.Exec(t, r.Path, "rev-parse", empty+"^{tree}"); got != "4b825dc642cb6eb9a060e54bf8d69288fbee4904" {
		t.Errorf("empty commit tree = %s", got)
	}
	gittest.Exec(t, r.Path, "fsck", "--strict", "--no-dangling")
}

func TestCommitFilesInvalid(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r, err := s.Create(ctx, "p", "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	id := repo.Ident{Name: "A", Email: "a@example.com"}
	base := repo.CommitInput{Ref: "refs/heads/x", Files: map[string][]byte{"f": nil}, Message: "m", Author: id, Committer: id}
	tests := []struct {
		desc   string
		modify func(*repo.CommitInput)
	}{
		{"ref outside refs/", func(c *repo.CommitInput) { c.Ref = "HEAD" }},
		{"expected old not an id", func(c *repo.CommitInput) { c.ExpectedOld = "main" }},
		{"parent not an id", func(c *repo.CommitInput) { c.Parents = []string{"main"} }},
		{"parent missing", func(c *repo.CommitInput) { c.Parents = []string{strings.Repeat("1", 40)} }},
		{"empty author name", func(c *repo.CommitInput) { c.Author.Name = "" }},
		{"empty committer email", func(c *repo.CommitInput) { c.Committer.Email = "" }},
		{"angle bracket in name", func(c *repo.CommitInput) { c.Author.Name = "A <evil@x>" }},
		{"newline in email", func(c *repo.CommitInput) { c.Author.Email = "a@x\nparent x" }},
		{"absolute path", func(c *repo.CommitInput) { c.Files = map[string][]byte{"/etc/passwd": nil} }},
		{"dot dot path", func(c *repo.CommitInput) { c.Files = map[string][]byte{"a/../b": nil} }},
		{"dot git path", func(c *repo.CommitInput) { c.Files = map[string][]byte{".git/config": nil} }},
		{"dot git any case", func(c *repo.CommitInput) { c.Files = map[string][]byte{"a/.GIT/hooks": nil} }},
		{"double slash", func(c *repo.CommitInput) { c.Files = map[string][]byte{"a//b": nil} }},
		{"trailing slash", func(c *repo.CommitInput) { c.Files = map[string][]byte{"a/": nil} }},
		{"file and directory", func(c *repo.CommitInput) { c.Files = map[string][]byte{"a": nil, "a/b": nil} }},
		{"NUL in path", func(c *repo.CommitInput) { c.Files = map[string][]byte{"a\x00b": nil} }},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			in := base
			in.Author, in.Committer = id, id
			tt.modify(&in)
			if oid, err := r.CommitFiles(ctx, in); err == nil {
				t.Errorf("CommitFiles = %s, want an error", oid)
			}
		})
	}
	if refs, _ := r.Refs(ctx); len(refs) != 0 {
		t.Errorf("refs written by failed commits: %v", refs)
	}
}

// TestIsAncestorDeepHistory covers both ways IsAncestor answers: its own
// short walk and git merge-base beyond the walk's bound, across merges,
// unrelated histories and objects that are not commits.
func TestIsAncestorDeepHistory(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r, err := s.Create(ctx, "deep", "")
	if err != nil {
		t.Fatal(err)
	}
	tree := gittest.Exec(t, r.Path, "mktree")
	commit := func(msg string, parents ...string) string {
		args := []string{"commit-tree", "-m", msg}
		for _, p := range parents {
			args = append(args, "-p", p)
		}
		return gittest.Exec(t, r.Path, append(args, tree)...)
	}
	chain := []string{commit("root")}
	for i := 1; i < 150; i++ {
		chain = append(chain, commit(fmt.Sprint("c", i), chain[i-1]))
	}
	side := commit("side", chain[10])
	merge := commit("merge", chain[149], side)
	other := commit("unrelated")
	blob := gittest.ExecInput(t, r.Path, []byte("x\n"), nil, "hash-object", "-w", "--stdin")

	tests := []struct {
		desc                 string
		ancestor, descendant string
		want                 bool
	}{
		{"parent", chain[148], chain[149], true},
		{"itself", chain[5], chain[5], true},
		{"near, the other way", chain[149], chain[148], false},
		{"beyond the walk", chain[0], chain[149], true},
		{"side branch through a merge", side, merge, true},
		{"deep through a merge", chain[3], merge, true},
		{"not on a short history", chain[20], side, false},
		{"descendant of a deep ancestor", merge, chain[0], false},
		{"unrelated short history", other, chain[2], false},
		{"unrelated deep history", other, merge, false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := r.IsAncestor(ctx, tc.ancestor, tc.descendant)
			if got != tc.want || err != nil {
				t.Errorf("IsAncestor = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if _, err := r.IsAncestor(ctx, blob, chain[2]); err == nil {
		t.Error("IsAncestor of a blob succeeded")
	}
	if _, err := r.IsAncestor(ctx, strings.Repeat("1", 40), chain[2]); err == nil {
		t.Error("IsAncestor of a missing object succeeded")
	}
}

// TestRefsMatchGit checks the files-backend reader against for-each-ref on
// loose, packed and overridden refs, symbolic refs, annotated tags, lock
// files and literal patterns.
func TestRefsMatchGit(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	r, err := s.Create(ctx, "p", "refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	a := gittest.WriteCommit(t, r.Path, "refs/heads/main", "a", map[string]string{"f": "a"})
	b := gittest.WriteCommit(t, r.Path, "refs/heads/dev", "b", map[string]string{"f": "b"}, a)
	gittest.Exec(t, r.Path, "update-ref", "refs/changes/01/1/1", a)
	gittest.Exec(t, r.Path, "update-ref", "refs/meta/config", b)
	gittest.Exec(t, r.Path, "update-ref", "refs/heads-not/x", b)
	gittest.Exec(t, r.Path, "-c", "user.name=T", "-c", "user.email=t@example.com", "tag", "-a", "-m", "v1", "v1", a)
	gittest.Exec(t, r.Path, "tag", "light", b)
	gittest.Exec(t, r.Path, "pack-refs", "--all")
	// Loose refs written after packing: one new, one overriding a packed one.
	gittest.Exec(t, r.Path, "update-ref", "refs/heads/main", b)
	gittest.Exec(t, r.Path, "update-ref", "refs/changes/01/1/2", b)
	gittest.Exec(t, r.Path, "-c", "user.name=T", "-c", "user.email=t@example.com", "tag", "-a", "-m", "v2", "v2", b)
	gittest.Exec(t, r.Path, "symbolic-ref", "refs/heads/alias", "refs/heads/dev")
	gittest.Exec(t, r.Path, "symbolic-ref", "refs/heads/dangling", "refs/heads/nope")
	gittest.Exec(t, r.Path, "symbolic-ref", "refs/heads/chain", "refs/heads/alias")
	gittest.Exec(t, r.Path, "symbolic-ref", "refs/meta/head", "refs/heads/alias") // points outside refs/meta/
	if err := os.WriteFile(filepath.Join(r.Path, "refs", "heads", "dev.lock"), []byte(a+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, patterns := range [][]string{nil, {"refs/heads/"}, {"refs/heads"}, {"refs/hea"}, {"refs/meta/config", "refs/tags/"},
		{"refs/meta/"}, {"refs/heads/", "refs/heads/main"}, {"refs/changes/01"}, {"refs/tags/v1"}, {"refs/nothing/"}} {
		got, err := r.Refs(ctx, patterns...)
		if err != nil {
			t.Fatal(err)
		}
		args := append([]string{"for-each-ref", "--format=%(objectname) %(refname) %(symref)"}, patterns...)
		want := strings.Split(gittest.Exec(t, r.Path, args...), "\n")
		if want[0] == "" {
			want = nil
		}
		var lines []string
		for _, ref := range got {
			lines = append(lines, strings.TrimSpace(ref.OID+" "+ref.Name+" "+ref.Symref))
		}
		for i := range want {
			want[i] = strings.TrimSpace(want[i])
		}
		if !slices.Equal(lines, want) {
			t.Errorf("Refs(%q) =\n%s\nfor-each-ref:\n%s", patterns, strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
	}

	refs, _ := r.Refs(ctx, "refs/tags/")
	peeled, known := map[string]string{}, map[string]bool{}
	for _, ref := range refs {
		peeled[ref.Name], known[ref.Name] = ref.Peeled, ref.PeelKnown
	}
	if peeled["refs/tags/v1"] != a || peeled["refs/tags/light"] != "" || peeled["refs/tags/v2"] != "" {
		t.Errorf("peeled = %v; want v1 (packed) peeled to %s, the loose and lightweight tags unknown", peeled, a)
	}
	// git writes packed-refs fully peeled: a packed ref without a peeled
	// line is known to be no annotated tag; a loose one is not known.
	if !known["refs/tags/v1"] || !known["refs/tags/light"] || known["refs/tags/v2"] {
		t.Errorf("peel known = %v; want v1 and light (packed), not v2 (loose)", known)
	}
	v1, v2 := gittest.Exec(t, r.Path, "rev-parse", "refs/tags/v1"), gittest.Exec(t, r.Path, "rev-parse", "refs/tags/v2")
	gittest.Exec(t, r.Path, "-c", "user.name=T", "-c", "user.email=t@example.com", "tag", "-a", "-m", "nested", "nested", v2)
	nested := gittest.Exec(t, r.Path, "rev-parse", "refs/tags/nested")
	got, err := r.Peel(ctx, []string{v1, a, nested, v2, strings.Repeat("1", 40)})
	want := map[string]string{v1: a, v2: b, nested: b}
	if err != nil || !maps.Equal(got, want) {
		t.Errorf("Peel = %v, %v; want %v", got, err, want)
	}
	for _, name := range []string{"refs/heads/main", "refs/heads/dev", "refs/meta/config", "refs/tags/v1", "refs/tags/v2",
		"refs/heads/alias", "refs/heads/nope", "refs/heads", "refs/heads/main/x", "HEAD"} {
		got, gotErr := r.RefOID(ctx, name)
		want, wantErr := r.Resolve(ctx, name)
		if got != want || errors.Is(gotErr, repo.ErrNotFound) != errors.Is(wantErr, repo.ErrNotFound) {
			t.Errorf("RefOID(%s) = %q, %v; Resolve says %q, %v", name, got, gotErr, want, wantErr)
		}
	}
	// Packing again replaces packed-refs; what was cached must not be seen.
	gittest.Exec(t, r.Path, "update-ref", "refs/meta/config", a)
	gittest.Exec(t, r.Path, "pack-refs", "--all")
	if got, err := r.RefOID(ctx, "refs/meta/config"); got != a || err != nil {
		t.Errorf("RefOID(refs/meta/config) after repacking = %q, %v; want %s", got, err, a)
	}
	gittest.Exec(t, r.Path, "update-ref", "-d", "refs/meta/config")
	if got, err := r.RefOID(ctx, "refs/meta/config"); !errors.Is(err, repo.ErrNotFound) {
		t.Errorf("RefOID(deleted packed ref) = %q, %v; want ErrNotFound", got, err)
	}
}
