// Package archtest checks the rules of DESIGN.md section 5 on the source
// tree: every package under internal/ and cmd/ has a doc comment that
// states its contract, and the layers import each other one way only:
//
//   - domain packages never import net/http or an SSH library;
//   - infrastructure packages never import domain packages, the servers
//     or the composition root;
//   - only internal/app imports the HTTP and SSH servers, which do not
//     import each other, and cmd/ imports nothing of Tandem but
//     internal/app;
//   - every package belongs to one of the layers below, so that a new
//     package is placed on purpose.
//
// Only non-test files count for imports: tests may use anything. It has
// test files only.
package archtest

import (
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The layers, as directories under internal/; each entry also covers the
// packages below it. Some packages are named before they exist.
var (
	// Domain: Gerrit's concepts. clock and fail are the shared kernel,
	// in both lists.
	domain = []string{"account", "access", "project", "receive", "change", "review", "query",
		"merge", "submit", "events", "fail", "clock"}
	// Infrastructure: what the domain runs on.
	infrastructure = []string{"db", "git", "gitconfig", "site", "metrics", "logging", "cache", "cluster",
		"replication", "refdb", "clock", "fail"}
	// The two servers, the composition root, and packages of tests only.
	servers = []string{"httpd", "sshd"}
	root    = "app"
	tests   = []string{"e2e", "archtest"}
)

// transports are the imports domain packages must not have (and the
// packages below them).
var transports = []string{"net/http", "golang.org/x/crypto/ssh"}

const module = "tandem"

// pkg is one package of the tree.
type pkg struct {
	dir      string   // slash-separated, relative to the module root, e.g. "internal/git/repo"
	name     string   // package name
	doc      string   // package doc comment
	imports  []string // imports of non-test files
	testOnly bool     // the package has test files only
}

// in reports whether the package is layer (a directory under internal/)
// or below it.
func (p *pkg) in(layer string) bool {
	d := "internal/" + layer
	return p.dir == d || strings.HasPrefix(p.dir, d+"/")
}

func (p *pkg) inAny(layers []string) bool {
	return slices.ContainsFunc(layers, p.in)
}

// imported returns the imports of p that are layer (under internal/) or
// below it.
func (p *pkg) imported(layers ...string) []string {
	var out []string
	for _, imp := range p.imports {
		for _, l := range layers {
			if under(imp, module+"/internal/"+l) {
				out = append(out, imp)
				break
			}
		}
	}
	return out
}

func under(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }

// loadTree parses the packages under internal/ and cmd/ of the module.
func loadTree(t *testing.T) []*pkg {
	t.Helper()
	top, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(top, "go.mod")); err != nil || !strings.HasPrefix(string(b), "module "+module+"\n") {
		t.Fatalf("%s is not the root of module %s: %v", top, module, err)
	}
	var pkgs []*pkg
	for _, base := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(top, base), func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				return nil
			}
			if n := d.Name(); n == "testdata" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
				return filepath.SkipDir
			}
			rel, _ := filepath.Rel(top, path)
			p, err := parseDir(path, filepath.ToSlash(rel))
			if err != nil {
				return err
			}
			if p != nil {
				pkgs = append(pkgs, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// A walk that found nothing would pass every rule.
	for _, want := range []string{"cmd/tandem", "internal/app", "internal/git", "internal/receive", "internal/archtest"} {
		if !slices.ContainsFunc(pkgs, func(p *pkg) bool { return p.dir == want }) {
			t.Fatalf("package %s not found in %s", want, top)
		}
	}
	return pkgs
}

// parseDir reads the package in dir, nil when there is none.
func parseDir(dir, rel string) (*pkg, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	p := &pkg{dir: rel}
	var testDoc string
	fset := token.NewFileSet()
	files := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(name, "_test.go") {
			// External test packages (name_test) document nothing.
			if f.Doc != nil && !strings.HasSuffix(f.Name.Name, "_test") {
				testDoc = f.Doc.Text()
				p.name = f.Name.Name
			}
			continue
		}
		files++
		p.name = f.Name.Name
		if f.Doc != nil {
			p.doc = f.Doc.Text()
		}
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			if !slices.Contains(p.imports, path) {
				p.imports = append(p.imports, path)
			}
		}
	}
	if files == 0 {
		if testDoc == "" && p.name == "" {
			// Only external tests, or no Go at all: not a package of
			// its own.
			if !hasGo(entries) {
				return nil, nil
			}
		}
		p.testOnly = true
		p.doc = testDoc
	}
	sort.Strings(p.imports)
	return p, nil
}

func hasGo(entries []os.DirEntry) bool {
	return slices.ContainsFunc(entries, func(e os.DirEntry) bool { return strings.HasSuffix(e.Name(), ".go") })
}

func TestPackageDocs(t *testing.T) {
	for _, p := range loadTree(t) {
		checkDoc(t, p)
	}
}

// checkDoc reports a package without a doc comment in Go's form.
func checkDoc(t errorf, p *pkg) {
	switch {
	case strings.TrimSpace(p.doc) == "":
		t.Errorf("%s: no package doc comment: say what the package owns, its concurrency, and who closes what", p.dir)
	case p.name == "main":
		if !strings.HasPrefix(p.doc, "Command ") {
			t.Errorf("%s: the doc comment of a command starts %q, want \"Command …\"", p.dir, firstLine(p.doc))
		}
	case !strings.HasPrefix(p.doc, "Package "+p.name+" "):
		t.Errorf("%s: the doc comment starts %q, want \"Package %s …\"", p.dir, firstLine(p.doc), p.name)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestLayers(t *testing.T) {
	for _, p := range loadTree(t) {
		checkLayers(t, p)
	}
}

// errorf is the part of testing.T the checks use.
type errorf interface {
	Errorf(format string, args ...any)
}

// recorder collects the errors of a check.
type recorder struct{ errs []string }

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// checkLayers reports every import of p that breaks a layer rule.
func checkLayers(t errorf, p *pkg) {
	if strings.HasPrefix(p.dir, "cmd/") {
		for _, imp := range p.imports {
			if under(imp, module) && imp != module+"/internal/"+root {
				t.Errorf("%s imports %s: a command calls internal/app and nothing else of Tandem", p.dir, imp)
			}
		}
		return
	}
	if !p.inAny(domain) && !p.inAny(infrastructure) && !p.inAny(servers) && !p.in(root) && !p.inAny(tests) {
		t.Errorf("%s belongs to no layer: add it to one of the lists in internal/archtest", p.dir)
	}
	if p.inAny(domain) {
		for _, imp := range p.imports {
			for _, tr := range transports {
				if under(imp, tr) {
					t.Errorf("%s imports %s: domain packages never speak HTTP or SSH; the servers translate", p.dir, imp)
				}
			}
		}
	}
	if p.inAny(infrastructure) {
		upper := append(append(slices.Clone(domain), servers...), root)
		for _, imp := range p.imported(upper...) {
			if !isInfrastructure(imp) {
				t.Errorf("%s imports %s: infrastructure never depends on the domain, the servers or the composition root", p.dir, imp)
			}
		}
	}
	if p.in(root) {
		return
	}
	for i, srv := range servers {
		if p.in(srv) {
			for _, imp := range p.imported(servers[1-i]) {
				t.Errorf("%s imports %s: the two servers are independent; internal/app wires them", p.dir, imp)
			}
			continue
		}
		for _, imp := range p.imported(srv) {
			t.Errorf("%s imports %s: only internal/app imports the servers", p.dir, imp)
		}
	}
}

// isInfrastructure reports whether an import path is an infrastructure
// package (clock and fail are domain packages too).
func isInfrastructure(path string) bool {
	for _, l := range infrastructure {
		if under(path, module+"/internal/"+l) {
			return true
		}
	}
	return false
}

// TestRulesSeeViolations runs the checks on made-up packages, so that a
// rule that matches nothing does not pass silently.
func TestRulesSeeViolations(t *testing.T) {
	tests := []struct {
		desc string
		p    pkg
		want bool // the import breaks a layer rule
	}{
		{"domain imports net/http", pkg{dir: "internal/receive", imports: []string{"net/http"}}, true},
		{"domain imports httptest", pkg{dir: "internal/account", imports: []string{"net/http/httptest"}}, true},
		{"domain imports ssh", pkg{dir: "internal/change", imports: []string{"golang.org/x/crypto/ssh"}}, true},
		{"domain imports infrastructure", pkg{dir: "internal/project", imports: []string{"tandem/internal/git/repo"}}, false},
		{"infrastructure imports the domain", pkg{dir: "internal/git/repo", imports: []string{"tandem/internal/project"}}, true},
		{"infrastructure imports a server", pkg{dir: "internal/db", imports: []string{"tandem/internal/httpd/auth"}}, true},
		{"infrastructure imports the kernel", pkg{dir: "internal/db", imports: []string{"tandem/internal/fail"}}, false},
		{"domain imports a server", pkg{dir: "internal/access", imports: []string{"tandem/internal/sshd"}}, true},
		{"a server imports the other", pkg{dir: "internal/httpd/githttp", imports: []string{"tandem/internal/sshd/commands"}}, true},
		{"a server imports itself", pkg{dir: "internal/sshd/commands", imports: []string{"tandem/internal/sshd"}}, false},
		{"the root imports both", pkg{dir: "internal/app", imports: []string{"tandem/internal/httpd", "tandem/internal/sshd"}}, false},
		{"a name prefix is not a package", pkg{dir: "internal/gitconfig", imports: []string{"tandem/internal/projectx"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			rec := &recorder{}
			checkLayers(rec, &tc.p)
			if got := len(rec.errs) > 0; got != tc.want {
				t.Errorf("violation = %v (%q), want %v", got, rec.errs, tc.want)
			}
		})
	}
}

func TestDocRuleSeesViolations(t *testing.T) {
	tests := []struct {
		desc string
		p    pkg
		want bool
	}{
		{"documented", pkg{dir: "internal/x", name: "x", doc: "Package x does things.\n"}, false},
		{"no doc", pkg{dir: "internal/x", name: "x"}, true},
		{"blank doc", pkg{dir: "internal/x", name: "x", doc: " \n"}, true},
		{"doc of another name", pkg{dir: "internal/x", name: "x", doc: "Package y does things.\n"}, true},
		{"doc not in Go's form", pkg{dir: "internal/x", name: "x", doc: "Does things.\n"}, true},
		{"command", pkg{dir: "cmd/x", name: "main", doc: "Command x runs.\n"}, false},
		{"command without doc", pkg{dir: "cmd/x", name: "main"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			rec := &recorder{}
			checkDoc(rec, &tc.p)
			if got := len(rec.errs) > 0; got != tc.want {
				t.Errorf("violation = %v (%q), want %v", got, rec.errs, tc.want)
			}
		})
	}
}

// TestParseDir reads a package the way the checks see it.
func TestParseDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.go", "package a\n\nimport (\n\t\"fmt\"\n\t\"tandem/internal/git\"\n)\n")
	write("doc.go", "// Package a is documented here.\npackage a\n")
	write("a_test.go", "// Package a is not documented in tests.\npackage a\n\nimport \"net/http\"\n")
	p, err := parseDir(dir, "internal/a")
	if err != nil {
		t.Fatal(err)
	}
	if p.name != "a" || p.doc != "Package a is documented here.\n" || p.testOnly ||
		!slices.Equal(p.imports, []string{"fmt", "tandem/internal/git"}) {
		t.Errorf("parseDir = %+v", *p)
	}
}
