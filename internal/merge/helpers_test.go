package merge_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"tandem/internal/change"
	"tandem/internal/git"
	"tandem/internal/git/gittest"
	"tandem/internal/git/repo"
	"tandem/internal/merge"
)

func TestMain(m *testing.M) { gittest.Main(m) }

var (
	submitter = repo.Ident{Name: "Sub Mitter", Email: "sub@example.com", When: time.Unix(1700000000, 0).In(time.FixedZone("", 3600))}
	serverID  = repo.Ident{Name: "Gerrit Code Review", Email: "gerrit@example.com"}
)

// fixture is one bare repository with a branch to submit to.
type fixture struct {
	t    testing.TB
	ctx  context.Context
	r    *git.Runner
	repo *repo.Repo
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	r := gittest.Runner(t)
	s := repo.NewStore(t.TempDir(), r)
	t.Cleanup(func() { s.Close() })
	rp, err := s.Create(context.Background(), "p", "refs/heads/master")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: context.Background(), r: r, repo: rp}
}

// commit writes a commit whose tree is exactly files.
func (f *fixture) commit(msg string, files map[string]string, parents ...string) string {
	f.t.Helper()
	return gittest.WriteCommit(f.t, f.repo.Path, "", msg, files, parents...)
}

// setRef points ref at oid.
func (f *fixture) setRef(ref, oid string) {
	f.t.Helper()
	gittest.Exec(f.t, f.repo.Path, "update-ref", ref, oid)
}

// file returns the content of path in commit oid, "" if absent.
func (f *fixture) files(oid string) map[string]string {
	f.t.Helper()
	out := map[string]string{}
	names := gittest.Exec(f.t, f.repo.Path, "ls-tree", "-r", "--name-only", oid)
	for _, n := range strings.Fields(names) {
		out[n] = gittest.Exec(f.t, f.repo.Path, "cat-file", "blob", oid+":"+n)
	}
	return out
}

// rawCommit is a commit as stored.
type rawCommit struct {
	tree, author, committer, message string
	parents                          []string
}

func (f *fixture) read(oid string) rawCommit {
	f.t.Helper()
	raw := gittest.ExecInput(f.t, f.repo.Path, nil, nil, "cat-file", "commit", oid)
	// Exec trims trailing white space; the message is read again below.
	head, _, _ := strings.Cut(raw, "\n\n")
	var c rawCommit
	for _, line := range strings.Split(head, "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "tree":
			c.tree = v
		case "parent":
			c.parents = append(c.parents, v)
		case "author":
			c.author = v
		case "committer":
			c.committer = v
		}
	}
	c.message = f.message(oid)
	return c
}

// message returns a commit's message exactly, final newline included.
func (f *fixture) message(oid string) string {
	f.t.Helper()
	out, err := f.r.Output(f.ctx, git.Cmd{Dir: f.repo.Path, Name: "cat-file", Args: []string{"commit", oid}})
	if err != nil {
		f.t.Fatal(err)
	}
	_, msg, _ := strings.Cut(string(out), "\n\n")
	return msg
}

func (f *fixture) apply(in merge.Input) (merge.Result, error) {
	f.t.Helper()
	in.Repo = f.repo
	if in.Branch == "" {
		in.Branch = "refs/heads/master"
	}
	if in.Committer.Name == "" {
		in.Committer = submitter
	}
	if in.Server.Name == "" {
		in.Server = serverID
	}
	return merge.Apply(f.ctx, f.r, in)
}

// conflictMsg returns the ConflictError's text, failing when err is not one.
func conflictMsg(t testing.TB, err error) string {
	t.Helper()
	var ce *merge.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v, want a *merge.ConflictError", err)
	}
	return ce.Msg
}

// input builds a ChangeInput with a Change-Id derived from the number.
func input(n int, oid string) merge.ChangeInput {
	return merge.ChangeInput{
		Number: n, Commit: oid, ChangeID: changeID(n),
		Footers: change.SubmitFooters{ReviewedOn: "https://review.example.com/c/p/+/" + itoa(n),
			Votes: []change.SubmitVote{{Label: "Code-Review", Name: "Rev Iewer", Email: "rev@example.com"}}},
	}
}

func changeID(n int) string { return "I" + strings.Repeat(itoa(n%10), 40) }

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

// msg is a commit message with a Change-Id footer for change n.
func msg(subject string, n int) string {
	return subject + "\n\nChange-Id: " + changeID(n) + "\n"
}

const (
	subIdent    = "Sub Mitter <sub@example.com> 1700000000 +0100"
	serverIdent = "Gerrit Code Review <gerrit@example.com> 1700000000 +0100"
)
