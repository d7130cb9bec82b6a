package review

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/clock"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/fail"
	"tandem/internal/project"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testPolicies serves project configurations parsed from text, the way a
// server loads them from refs/meta/config.
type testPolicies struct {
	mu     sync.Mutex
	chains map[string][]*project.Config
}

func (p *testPolicies) Project(_ context.Context, name string) (*access.Project, *project.State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	chain, ok := p.chains[name]
	if !ok {
		return nil, nil, fail.Errorf(fail.NotFound, "Not found: %s", name)
	}
	return access.NewProject(name, chain), &project.State{Name: name, Config: chain[0], Chain: chain}, nil
}

// recordingSink keeps the events appended, in order, and checks that they
// come inside a transaction.
type recordingSink struct {
	mu     sync.Mutex
	events []Event
}

func (r *recordingSink) Append(_ context.Context, q db.Querier, ev Event) error {
	if _, ok := q.(*db.Tx); !ok {
		return fmt.Errorf("event %s appended outside a transaction", ev.Type)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

func (r *recordingSink) take() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

func (r *recordingSink) types() []string {
	var out []string
	for _, e := range r.take() {
		out = append(out, e.Type)
	}
	return out
}

// fakeRepos is the tests' git: branch tips by name, commits marked as on
// every branch, and the refs deleted.
type fakeRepos struct {
	mu      sync.Mutex
	tips    map[string]string
	merged  map[string]bool
	deleted map[string]string
}

func (f *fakeRepos) BranchTip(_ context.Context, _, branch string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tips[branch], nil
}

func (f *fakeRepos) Reachable(_ context.Context, _, commit, _ string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.merged[commit], nil
}

func (f *fakeRepos) EditRefs(context.Context, string, int64) (map[string]string, error) {
	return nil, nil
}

func (f *fakeRepos) DeleteRefs(_ context.Context, _ string, refs map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for r, c := range refs {
		f.deleted[r] = c
	}
	return nil
}

// exprMatcher is the tests' Matcher: the boolean grammar of this package
// over the atoms submit requirements use in these tests (label:X=MAX,
// label:X=MIN, label:X=+N, has:unresolved, is:true, is:false). Anything
// else cannot be evaluated.
type exprMatcher struct{}

func (exprMatcher) Match(_ context.Context, s string, f *Facts) (MatchResult, error) {
	e, err := parseExpr(s)
	if err != nil {
		return MatchResult{}, err
	}
	ok, pass, failing, err := evalExpr(e, func(a atom) (bool, error) {
		switch a.field {
		case "is":
			switch a.value {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		case "has":
			if a.value == "unresolved" {
				return f.UnresolvedComments() > 0, nil
			}
		case "label":
			name, val, ok := strings.Cut(a.value, "=")
			if !ok {
				break
			}
			l, known := findLabel(f.Labels, name)
			want := 0
			switch val {
			case "MAX":
				want = l.Max()
			case "MIN":
				want = l.Min()
			default:
				n, err := strconv.Atoi(strings.TrimPrefix(val, "+"))
				if err != nil {
					return false, fmt.Errorf("bad label value %q", val)
				}
				want = n
			}
			if !known {
				return false, nil
			}
			for _, v := range f.CurrentVotes() {
				if strings.EqualFold(v.Label, name) && v.Value == want {
					return true, nil
				}
			}
			return false, nil
		}
		return false, fmt.Errorf("Unsupported operator %s", a)
	})
	return MatchResult{Matched: ok, PassingAtoms: pass, FailingAtoms: failing}, err
}

// env is a review Service on a real database with accounts, groups and
// configurable projects.
type env struct {
	t        *testing.T
	ctx      context.Context
	db       *db.DB
	store    *change.Store
	accounts *account.Service
	policies *testPolicies
	sink     *recordingSink
	repos    *fakeRepos
	clock    *clock.Fake
	svc      *Service

	admins, blocked, devs               *account.Group
	admin, owner, alice, bob, carol, ci *account.Account
	committed                           atomic.Int64
}

var quiet = slog.New(slog.DiscardHandler)

var epoch = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, ctx: ctx, db: d, store: change.NewStore(d), clock: clock.NewFake(epoch),
		policies: &testPolicies{chains: map[string][]*project.Config{}}, sink: &recordingSink{},
		repos: &fakeRepos{tips: map[string]string{"refs/heads/main": "tip-main", "refs/heads/stable": "tip-stable"},
			merged: map[string]bool{}, deleted: map[string]string{}}}
	e.accounts = account.New(account.Options{DB: d, Clock: e.clock, Logger: quiet})
	e.admin = e.account("admin", "Ada Admin")
	e.owner = e.account("owner", "Olive Owner")
	e.alice = e.account("alice", "Alice Able")
	e.bob = e.account("bob", "Bob Baker")
	e.carol = e.account("carol", "")
	e.ci = e.account("ci", "CI Bot")
	e.admins = e.group("Administrators", e.admin.ID)
	e.blocked = e.group("Blocked Users")
	e.devs = e.group("Developers", e.alice.ID, e.bob.ID)
	e.setProject("All-Projects", "")
	e.setProject("p", "")
	e.svc = New(Options{DB: d, Changes: e.store, Policies: e.policies, Accounts: e.accounts, Matcher: exprMatcher{},
		Events: e.sink, Repos: e.repos, Clock: e.clock, Logger: quiet, Committed: func() { e.committed.Add(1) }})
	return e
}

func (e *env) account(username, name string) *account.Account {
	e.t.Helper()
	a, err := e.accounts.Create(e.ctx, account.Input{Username: username, FullName: name, Email: username + "@example.com"})
	if err != nil {
		e.t.Fatalf("create account %s: %v", username, err)
	}
	return a
}

func (e *env) group(name string, members ...int64) *account.Group {
	e.t.Helper()
	g, err := e.accounts.CreateGroup(e.ctx, account.GroupInput{Name: name, Members: members})
	if err != nil {
		e.t.Fatalf("create group %s: %v", name, err)
	}
	return g
}

func ref(g *account.Group) project.GroupRef { return project.GroupRef{UUID: g.UUID, Name: g.Name} }

// setProject (re)configures a project: All-Projects is the site default
// plus extra; any other project inherits from All-Projects.
func (e *env) setProject(name, extra string) {
	e.t.Helper()
	groups := map[string]project.GroupRef{}
	for _, g := range []*account.Group{e.admins, e.blocked, e.devs} {
		groups[g.Name] = ref(g)
	}
	var text string
	if name == project.AllProjects {
		pc, _ := project.DefaultAllProjects(ref(e.admins), project.GroupRef{}, ref(e.blocked)).Files()
		text = string(pc)
	}
	text += extra
	var gf strings.Builder
	for _, g := range groups {
		gf.WriteString(g.UUID + "\t" + g.Name + "\n")
	}
	for _, g := range project.SystemGroups() {
		gf.WriteString(g.UUID + "\t" + g.Name + "\n")
	}
	cfg, err := project.Parse([]byte(text), []byte(gf.String()))
	if err != nil {
		e.t.Fatalf("parse config of %s:\n%s\n%v", name, text, err)
	}
	e.policies.mu.Lock()
	defer e.policies.mu.Unlock()
	if name == project.AllProjects {
		for n, chain := range e.policies.chains {
			if n != name {
				e.policies.chains[n] = []*project.Config{chain[0], cfg}
			}
		}
		e.policies.chains[name] = []*project.Config{cfg}
		return
	}
	e.policies.chains[name] = []*project.Config{cfg, e.policies.chains[project.AllProjects][0]}
}

// subj is the access subject of an account.
func (e *env) subj(a *account.Account) access.Subject {
	e.t.Helper()
	groups, err := e.accounts.GroupsOf(e.ctx, a.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return access.Subject{AccountID: a.ID, Username: a.Username, Groups: groups}
}

// seed creates an open change on refs/heads/main of project p owned by
// owner, with one patch set touching a.txt and b.txt.
func (e *env) seed(opts ...func(*change.Change)) *change.Change {
	e.t.Helper()
	c := &change.Change{Project: "p", Branch: "refs/heads/main", OwnerID: e.owner.ID, Status: change.StatusNew,
		Subject: "Add things", CurrentPS: 1, Reviewed: true, Created: e.clock.Now(), Updated: e.clock.Now()}
	for _, o := range opts {
		o(c)
	}
	err := e.db.Tx(e.ctx, func(tx *db.Tx) error {
		n, err := e.store.NextNumber(e.ctx, tx)
		if err != nil {
			return err
		}
		c.Number = n
		c.Key = fmt.Sprintf("I%040d", n)
		if err := e.store.Insert(e.ctx, tx, c); err != nil {
			return err
		}
		return e.store.InsertPatchSet(e.ctx, tx, e.patchSet(c, 1, change.KindRework), testFiles("M"))
	})
	if err != nil {
		e.t.Fatalf("seed change: %v", err)
	}
	return c
}

func testFiles(status string) []change.File {
	return []change.File{{Path: "a.txt", Status: status, Insertions: 1}, {Path: "b.txt", Status: "A", Insertions: 2}}
}

func (e *env) patchSet(c *change.Change, n int, kind string) *change.PatchSet {
	return &change.PatchSet{Change: c.Number, Number: n, Commit: fmt.Sprintf("%040x", c.Number*100+int64(n)),
		Parents: []string{strings.Repeat("0", 40)}, UploaderID: c.OwnerID, Created: e.clock.Now(), Kind: kind,
		Message: "Add things\n"}
}

// addPatchSet uploads patch set n of c with files, as receive would, and
// copies votes.
func (e *env) addPatchSet(c *change.Change, kind string, files []change.File) []change.Vote {
	e.t.Helper()
	var copied []change.Vote
	err := e.db.Tx(e.ctx, func(tx *db.Tx) error {
		cur, err := e.store.Get(e.ctx, tx, c.Number)
		if err != nil {
			return err
		}
		old, err := e.svc.patchSet(e.ctx, tx, cur, 0)
		if err != nil {
			return err
		}
		ps := e.patchSet(cur, cur.CurrentPS+1, kind)
		if err := e.store.InsertPatchSet(e.ctx, tx, ps, files); err != nil {
			return err
		}
		cur.CurrentPS = ps.Number
		if err := e.store.Update(e.ctx, tx, cur); err != nil {
			return err
		}
		copied, err = e.svc.CopyVotes(e.ctx, tx, cur, old, ps, kind)
		return err
	})
	if err != nil {
		e.t.Fatalf("add patch set: %v", err)
	}
	return copied
}

func (e *env) get(n int64) *change.Change {
	e.t.Helper()
	c, err := e.store.Get(e.ctx, e.db, n)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) load(n int64) *Snapshot {
	e.t.Helper()
	s, err := e.svc.Load(e.ctx, e.db, n)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// vote posts a review with votes only and fails the test on error.
func (e *env) vote(by *account.Account, n int64, labels map[string]int) {
	e.t.Helper()
	if _, err := e.svc.Review(e.ctx, e.subj(by), n, 0, ReviewInput{Labels: labels}); err != nil {
		e.t.Fatalf("vote %v by %s: %v", labels, by.Username, err)
	}
}

// votes returns "label=value@ps" of account's votes, every patch set.
func (e *env) votes(n int64, by *account.Account) []string {
	e.t.Helper()
	all, err := e.store.Approvals(e.ctx, e.db, n)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, v := range all {
		if v.AccountID == by.ID {
			s := fmt.Sprintf("%s=%d@%d", v.Label, v.Value, v.PatchSet)
			if v.Copied {
				s += " copied"
			}
			if v.PostSubmit {
				s += " post-submit"
			}
			out = append(out, s)
		}
	}
	return out
}

// messages returns the texts of a change's messages.
func (e *env) messages(n int64) []string {
	e.t.Helper()
	ms, err := e.store.Messages(e.ctx, e.db, n)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Message)
	}
	return out
}

func (e *env) lastMessage(n int64) string {
	e.t.Helper()
	ms := e.messages(n)
	if len(ms) == 0 {
		return ""
	}
	return ms[len(ms)-1]
}

// roles returns "username:STATE" for the change's reviewers and CCs.
func (e *env) roles(n int64) map[string]string {
	e.t.Helper()
	rs, err := e.store.Reviewers(e.ctx, e.db, n)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rs {
		a, err := e.accounts.Get(e.ctx, r.AccountID)
		if err != nil {
			e.t.Fatal(err)
		}
		out[a.Username] = r.State
	}
	return out
}

// wantErr checks that err is a fail.Error of kind with message msg.
func wantErr(t testing.TB, err error, kind fail.Kind, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %v %q", kind, msg)
	}
	if fail.KindOf(err) != kind || fail.Message(err, "") != msg {
		t.Fatalf("error = %v (kind %v); want kind %v %q", err, fail.KindOf(err), kind, msg)
	}
}

func setStatus(st change.Status) func(*change.Change) {
	return func(c *change.Change) { c.Status = st }
}
