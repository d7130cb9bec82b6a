package gittest_test

import (
	"testing"

	"tandem/internal/git/gittest"
)

func TestMain(m *testing.M) { gittest.Main(m) }

func TestWorktreePushClone(t *testing.T) {
	bare := gittest.InitBare(t)
	w := gittest.NewWorktree(t)
	first := w.Commit("first", map[string]string{"a.txt": "a", "d/b.txt": "b"})
	second := w.Commit("second", nil)
	if got := w.Git("rev-parse", "HEAD^"); got != first {
		t.Errorf("HEAD^ = %s, want %s", got, first)
	}
	w.Push(bare, "HEAD:refs/heads/main")
	if got := gittest.Exec(t, bare, "rev-parse", "refs/heads/main"); got != second {
		t.Errorf("pushed main = %s, want %s", got, second)
	}
	c := gittest.Clone(t, bare)
	if got := c.Git("show", "HEAD:d/b.txt"); got != "b" {
		t.Errorf("cloned d/b.txt = %q", got)
	}
	if got := c.Git("log", "-1", "--format=%an <%ae>"); got != gittest.AuthorName+" <"+gittest.AuthorEmail+">" {
		t.Errorf("author = %q", got)
	}
}

func TestWriteCommit(t *testing.T) {
	bare := gittest.InitBare(t)
	a := gittest.WriteCommit(t, bare, "refs/heads/main", "a", map[string]string{"x/y": "1", "z": "2"})
	b := gittest.WriteCommit(t, bare, "refs/heads/main", "b", nil, a)
	if got := gittest.Exec(t, bare, "rev-parse", "main", "main^"); got != b+"\n"+a {
		t.Errorf("main, main^ = %q", got)
	}
	if got := gittest.Exec(t, bare, "ls-tree", "-r", "--name-only", a); got != "x/y\nz" {
		t.Errorf("tree = %q", got)
	}
	if got := gittest.Exec(t, bare, "symbolic-ref", "HEAD"); got != "refs/heads/main" {
		t.Errorf("HEAD = %q", got)
	}
}
