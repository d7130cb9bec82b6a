package repo_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"tandem/internal/git/repo"
)

func TestNormalizeName(t *testing.T) {
	tests := []struct{ desc, in, want string }{
		{"plain", "foo", "foo"},
		{"leading slash", "/foo", "foo"},
		{"leading slashes", "//foo/bar", "foo/bar"},
		{"dot git", "foo.git", "foo"},
		{"slash and dot git", "/foo/bar.git", "foo/bar"},
		{"trailing slash", "foo/", "foo"},
		{"dot git then slash", "foo.git/", "foo"},
		{"only one dot git", "foo.git.git", "foo.git"},
		{"inner dot git kept", "a.git/b", "a.git/b"},
		{"empty", "", ""},
		{"just dot git", ".git", ""},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			if got := repo.NormalizeName(tt.in); got != tt.want {
				t.Errorf("NormalizeName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidateName(t *testing.T) {
	valid := []struct{ desc, name string }{
		{"simple", "foo"},
		{"nested", "platform/build/soong"},
		{"All-Projects", "All-Projects"},
		{"dots inside", "foo.bar/v1.2"},
		{"hidden component", "foo/.hidden"},
		{"dot git inside a component", "a.gitx/b"},
		{"underscore and dash", "a_b-c"},
		{"space inside", "my project"},
		{"plus at the start", "+plus"},
		{"plus inside", "c++"},
		{"at sign", "user@host"},
		{"double quote (Gerrit allows it)", `say"hi"`},
		{"unicode", "projets/élève"},
		{"max length", strings.Repeat("a", repo.MaxNameLen)},
		{"dash inside", "a/b-"},
		{"ends with git but no dot", "foogit"},
	}
	for _, tt := range valid {
		t.Run("valid/"+tt.desc, func(t *testing.T) {
			if err := repo.ValidateName(tt.name); err != nil {
				t.Errorf("ValidateName(%q) = %v", tt.name, err)
			}
		})
	}
	invalid := []struct{ desc, name string }{
		{"empty", ""},
		{"too long", strings.Repeat("a", repo.MaxNameLen+1)},
		{"invalid UTF-8", "foo\xff"},
		{"absolute", "/foo"},
		{"trailing slash", "foo/"},
		{"double slash", "foo//bar"},
		{"dot", "."},
		{"dot dot", ".."},
		{"dot component", "foo/./bar"},
		{"dot dot component", "foo/../bar"},
		{"leading dot dot", "../foo"},
		{"trailing dot dot", "foo/.."},
		{"escape the root", "../../etc/passwd"},
		{"dot git component", "foo.git/bar"},
		{"bare dot git component", "foo/.git/bar"},
		{"final dot git (normalize first)", "foo.git"},
		{"only dot git", ".git"},
		{"backslash", `foo\bar`},
		{"windows path", `C:\foo`},
		{"colon", "foo:bar"},
		{"tilde", "foo~1"},
		{"question mark", "foo?"},
		{"star", "foo*"},
		{"less than", "a<b"},
		{"greater than", "a>b"},
		{"pipe", "a|b"},
		{"percent", "foo%2Fbar"},
		{"dollar", "$HOME"},
		{"NUL", "foo\x00bar"},
		{"newline", "foo\nbar"},
		{"carriage return", "foo\r"},
		{"tab", "foo\tbar"},
		{"DEL", "foo\x7f"},
		{"C1 control", "foo\u0085"},
		{"bidi override", "foo\u202egnp.exe"},
		{"bidi isolate", "a\u2066b"},
		{"leading dash", "-foo"},
		{"leading dash in a component", "foo/--upload-pack=x"},
		{"plus after slash", "foo/+/bar"},
		{"plus component start", "foo/+bar"},
		{"leading space", " foo"},
		{"trailing space", "foo "},
		{"space around a component", "foo/ bar"},
	}
	for _, tt := range invalid {
		t.Run("invalid/"+tt.desc, func(t *testing.T) {
			err := repo.ValidateName(tt.name)
			if !errors.Is(err, repo.ErrInvalidName) {
				t.Errorf("ValidateName(%q) = %v, want ErrInvalidName", tt.name, err)
			}
		})
	}
}

func TestPath(t *testing.T) {
	root := t.TempDir()
	s := repo.NewStore(root, nil)
	defer s.Close()
	tests := []struct {
		desc, name, want string
		ok               bool
	}{
		{"top level", "foo", filepath.Join(root, "foo.git"), true},
		{"nested", "a/b/c", filepath.Join(root, "a", "b", "c.git"), true},
		{"escape", "../x", "", false},
		{"absolute", "/etc/passwd", "", false},
		{"not normalized", "foo.git", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := s.Path(tt.name)
			if tt.ok != (err == nil) || got != tt.want {
				t.Errorf("Path(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
			}
			if err != nil && !errors.Is(err, repo.ErrInvalidName) {
				t.Errorf("error %v does not wrap ErrInvalidName", err)
			}
		})
	}
	rs := repo.NewStore("relative/dir", nil)
	defer rs.Close()
	if rel := rs.Root(); !filepath.IsAbs(rel) {
		t.Errorf("Root() = %q, want absolute", rel)
	}
}
