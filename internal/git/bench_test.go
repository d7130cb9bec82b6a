package git_test

import (
	"context"
	"os/exec"
	"testing"

	"tandem/internal/git"
	"tandem/internal/git/gittest"
)

// BenchmarkRun and BenchmarkRawExec compare the Runner's overhead with a
// bare os/exec of the same command.
func BenchmarkRun(b *testing.B) {
	r := gittest.Runner(b)
	repo := gittest.InitBare(b)
	oid := gittest.WriteCommit(b, repo, "refs/heads/main", "c", nil)
	ctx := context.Background()
	for b.Loop() {
		if _, err := r.Output(ctx, git.Cmd{Dir: repo, Name: "cat-file", Flags: []string{"-t"}, Args: []string{oid}}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawExec(b *testing.B) {
	repo := gittest.InitBare(b)
	oid := gittest.WriteCommit(b, repo, "refs/heads/main", "c", nil)
	for b.Loop() {
		cmd := exec.Command("git", "--git-dir="+repo, "cat-file", "-t", oid)
		cmd.Env = gittest.Env()
		if _, err := cmd.Output(); err != nil {
			b.Fatal(err)
		}
	}
}
