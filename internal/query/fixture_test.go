package query

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Accounts of the fixture.
const (
	alice int64 = 1000001
	bob   int64 = 1000002
	carol int64 = 1000003
	dave  int64 = 1000004
)

// t0 is the fixture's epoch; change k was last updated at t0 + its hour.
var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func exec(t testing.TB, q db.Querier, query string, args ...any) {
	t.Helper()
	if _, err := q.Exec(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// sha returns a made-up commit id.
func sha(s string) string { return fmt.Sprintf("%x", sha1.Sum([]byte(s))) }

// key returns change n's made-up Change-Id.
func key(n int64) string { return "I" + sha(fmt.Sprint("key", n)) }

func us(h float64) int64 { return t0.Add(time.Duration(h * float64(time.Hour))).UnixMicro() }

// seedAccounts adds alice, bob, carol and dave, and the group Reviewers
// (carol, dave).
func seedAccounts(t testing.TB, q db.Querier) {
	t.Helper()
	for _, a := range []struct {
		id         int64
		user, name string
	}{{alice, "alice", "Alice Anders"}, {bob, "bob", "Bob Brown"}, {carol, "carol", "Carol Clark"}, {dave, "dave", "Dave Dane"}} {
		email := a.user + "@example.com"
		exec(t, q, `INSERT INTO accounts (id, username, full_name, preferred_email, created_on) VALUES ($1, $2, $3, $4, 0)`, a.id, a.user, a.name, email)
		exec(t, q, `INSERT INTO account_emails (email, account_id) VALUES ($1, $2)`, email, a.id)
	}
	exec(t, q, `INSERT INTO groups (id, uuid, name, owner_uuid, created_on) VALUES (1, 'reviewers-uuid', 'Reviewers', 'reviewers-uuid', 0)`)
	exec(t, q, `INSERT INTO group_members (group_id, account_id) VALUES (1, $1), (1, $2)`, carol, dave)
}

// fx describes one change of the fixture.
type fx struct {
	n        int64
	project  string
	branch   string
	owner    int64
	status   string
	subject  string
	topic    string
	wip      bool
	private  bool
	hour     float64
	ps       []fxPS // patch sets; the last is current
	votes    []fxVote
	hashtags []string
}

type fxPS struct {
	uploader           int64
	author, committer  int64
	kind, message      string
	files              []string
	parents            int
	onChange           int64 // the first parent is patch set 1 of this change
	insertions, delets int
}

type fxVote struct {
	who   int64
	label string
	value int
}

func user(id int64) string {
	return map[int64]string{alice: "alice", bob: "bob", carol: "carol", dave: "dave"}[id]
}

func fullName(id int64) string {
	return map[int64]string{alice: "Alice Anders", bob: "Bob Brown", carol: "Carol Clark", dave: "Dave Dane"}[id]
}

// The fixture, newest first: 1, 2, 3, 4, 5, 6.
var fixture = []fx{
	{n: 1, project: "alpha", branch: "refs/heads/main", owner: alice, status: "NEW", subject: "Fix the frobnicator", topic: "frob", hour: 10,
		ps: []fxPS{
			{uploader: alice, author: alice, committer: alice, kind: "REWORK", message: "Fix the frobnicator\n", files: []string{"src/main/Foo.java"}},
			{uploader: bob, author: alice, committer: bob, kind: "TRIVIAL_REBASE", message: "Fix the frobnicator\n\nChange-Id: x\n",
				files: []string{"src/main/Foo.java", "docs/README.md"}, insertions: 30, delets: 5},
		},
		votes:    []fxVote{{carol, "Code-Review", 2}, {dave, "Verified", 1}},
		hashtags: []string{"Urgent"}},
	{n: 2, project: "alpha", branch: "refs/heads/stable", owner: bob, status: "MERGED", subject: "Add widget", hour: 9,
		ps:    []fxPS{{uploader: bob, author: bob, committer: bob, kind: "REWORK", message: "Add widget\n", files: []string{"lib/widget.go"}, insertions: 120}},
		votes: []fxVote{{alice, "Code-Review", 2}}},
	{n: 3, project: "beta", branch: "refs/heads/main", owner: carol, status: "ABANDONED", subject: "Remove old code", hour: 8,
		ps:    []fxPS{{uploader: carol, author: carol, committer: carol, kind: "REWORK", message: "Remove old code\n", files: []string{"old/Thing.xml"}, delets: 300}},
		votes: []fxVote{{alice, "Code-Review", -2}, {bob, "Code-Review", 1}}},
	{n: 4, project: "beta/sub", branch: "refs/heads/main", owner: alice, status: "NEW", subject: "WIP: draft idea", wip: true, hour: 7,
		ps: []fxPS{{uploader: alice, author: alice, committer: alice, kind: "REWORK", message: "WIP: draft idea\n\nThis reverts commit 0123456789012345678901234567890123456789.\n", files: []string{"a.txt"}}}},
	{n: 5, project: "alpha", branch: "refs/heads/main", owner: dave, status: "NEW", subject: "Private thing", private: true, hour: 6,
		ps:    []fxPS{{uploader: dave, author: dave, committer: dave, kind: "REWORK", message: "Private thing\n\nBug: 42\n", files: []string{"docs/README.md", "x/y/z.py"}, insertions: 3, delets: 3, onChange: 1}},
		votes: []fxVote{{carol, "Code-Review", 1}, {bob, "Code-Review", 1}, {alice, "Verified", -1}}},
	{n: 6, project: "gamma", branch: "refs/meta/config", owner: bob, status: "NEW", subject: "Update config", hour: 5,
		ps:    []fxPS{{uploader: bob, author: bob, committer: bob, kind: "REWORK", message: "Update config\n", files: []string{"project.config"}, parents: 2}},
		votes: []fxVote{{bob, "Code-Review", 2}}},
}

// seedFixture stores the accounts and the fixture's changes, with their
// comments and stars: change 1 has an unresolved thread, change 4 a
// resolved one and a draft of bob's, bob starred change 1, carol reviews
// change 1 and dave is CC'ed on it.
func seedFixture(t testing.TB, q db.Querier) {
	t.Helper()
	seedAccounts(t, q)
	for _, c := range fixture {
		insertChange(t, q, c)
	}
	exec(t, q, `INSERT INTO reviewers (change_id, account_id, state, updated_on) VALUES (1, $1, 'REVIEWER', 0), (1, $2, 'CC', 0), (5, $3, 'REMOVED', 0)`, carol, dave, alice)
	comment := func(id string, n int64, author int64, unresolved, draft bool, replyTo string) {
		var reply any
		if replyTo != "" {
			reply = replyTo
		}
		exec(t, q, `INSERT INTO comments (id, change_id, ps, author_id, path, line, message, unresolved, draft, written_on, in_reply_to)
			VALUES ($1, $2, 1, $3, 'a.txt', 1, 'please fix', $4, $5, 0, $6)`, id, n, author, unresolved, draft, reply)
	}
	comment("c1", 1, carol, true, false, "")
	comment("c4", 4, carol, true, false, "")
	comment("c4r", 4, alice, false, false, "c4")
	comment("c4d", 4, bob, false, true, "")
	comment("c6d", 6, bob, true, true, "") // a draft never counts as unresolved
	exec(t, q, `INSERT INTO stars (account_id, change_id) VALUES ($1, 1)`, bob)
	exec(t, q, `INSERT INTO attention_set (change_id, account_id, in_set, reason, updated_on) VALUES
		(1, $1, TRUE, 'Reviewer was added', 0), (4, $1, FALSE, 'removed on reply', 0), (4, $2, TRUE, 'Someone replied on the change', 0)`, carol, alice)
	exec(t, q, `UPDATE changes SET revert_of = 2 WHERE id = 4`)
	exec(t, q, `UPDATE changes SET cherry_pick_of_change = 1, cherry_pick_of_ps = 1 WHERE id = 5`)
	exec(t, q, `INSERT INTO change_messages (id, change_id, ps, author_id, message, created_on) VALUES
		(1, 1, 1, $1, 'Uploaded patch set 1.', $3), (2, 1, 2, $2, 'Patch Set 2: Code-Review+2', $4)`, alice, carol, us(1), us(2))
}

func insertChange(t testing.TB, q db.Querier, c fx) {
	t.Helper()
	var submitted any
	if c.status == "MERGED" {
		submitted = us(c.hour)
	}
	exec(t, q, `INSERT INTO changes (id, project, branch, change_key, owner_id, status, subject, topic, current_ps, wip, private,
		created_on, updated_on, submitted_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		c.n, c.project, c.branch, key(c.n), c.owner, c.status, c.subject, c.topic, len(c.ps), c.wip, c.private, us(0), us(c.hour), submitted)
	for i, p := range c.ps {
		psn := i + 1
		parents := []string{sha(fmt.Sprint("parent", c.n))}
		if p.onChange != 0 {
			parents[0] = commitOf(p.onChange, 1)
		}
		if p.parents == 2 {
			parents = append(parents, sha(fmt.Sprint("parent2", c.n)))
		}
		exec(t, q, `INSERT INTO patch_sets (change_id, ps, commit_sha, parents, uploader_id, created_on, kind, author_name, author_email,
			committer_name, committer_email, message, insertions, deletions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			c.n, psn, commitOf(c.n, psn), strings.Join(parents, " "), p.uploader, us(c.hour), p.kind,
			fullName(p.author), user(p.author)+"@example.com", fullName(p.committer), user(p.committer)+"@example.com",
			p.message, p.insertions, p.delets)
		for _, f := range p.files {
			exec(t, q, `INSERT INTO patch_set_files (change_id, ps, path) VALUES ($1, $2, $3)`, c.n, psn, f)
		}
	}
	for _, v := range c.votes {
		exec(t, q, `INSERT INTO approvals (change_id, ps, account_id, label, value, granted_on) VALUES ($1, $2, $3, $4, $5, 0)`,
			c.n, len(c.ps), v.who, v.label, v.value)
	}
	// A vote on an old patch set does not count.
	if len(c.ps) > 1 {
		exec(t, q, `INSERT INTO approvals (change_id, ps, account_id, label, value, granted_on) VALUES ($1, 1, $2, 'Code-Review', -1, 0)`, c.n, dave)
	}
	for _, h := range c.hashtags {
		exec(t, q, `INSERT INTO hashtags (change_id, hashtag) VALUES ($1, $2)`, c.n, h)
	}
}

func commitOf(n int64, ps int) string { return sha(fmt.Sprintf("commit %d,%d", n, ps)) }

// dbResolver resolves names from the accounts and groups tables; labels
// are Code-Review -2..+2 and Verified -1..+1, except in project beta
// where Code-Review is -2..+1.
type dbResolver struct{ q db.Querier }

func (r dbResolver) Accounts(ctx context.Context, name string) ([]int64, error) {
	if id, err := strconv.ParseInt(name, 10, 64); err == nil {
		return []int64{id}, nil
	}
	var id int64
	err := r.q.QueryRow(ctx, `SELECT a.id FROM accounts a WHERE a.username = $1 OR LOWER(a.full_name) = LOWER($1)
		OR a.id IN (SELECT e.account_id FROM account_emails e WHERE LOWER(e.email) = LOWER($1))`, name).Scan(&id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, ErrNotFound
	}
	return []int64{id}, err
}

func (r dbResolver) GroupMembers(ctx context.Context, group string) ([]int64, error) {
	rows, err := r.q.Query(ctx, `SELECT m.account_id FROM group_members m JOIN groups g ON g.id = m.group_id
		WHERE g.name = $1 OR g.uuid = $1 ORDER BY m.account_id`, group)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, ErrNotFound
	}
	return ids, rows.Err()
}

func (r dbResolver) Labels(_ context.Context, project string) ([]LabelType, error) {
	cr := LabelType{Name: "Code-Review", Min: -2, Max: 2}
	if project == "beta" {
		cr.Max = 1
	}
	return []LabelType{cr, {Name: "Verified", Min: -1, Max: 1}}, nil
}

// ChildProjects knows that beta/sub is beta's child.
func (r dbResolver) ChildProjects(_ context.Context, project string) ([]string, error) {
	if project == "beta" {
		return []string{"beta/sub"}, nil
	}
	return nil, nil
}

// Watches: bob watches alpha's changes on main and all of gamma; carol
// watches beta with a filter that does not parse and one that nests
// is:watched.
func (r dbResolver) Watches(_ context.Context, account int64) ([]Watch, error) {
	switch account {
	case bob:
		return []Watch{{Project: "alpha", Filter: "branch:main"}, {Project: "gamma"}}, nil
	case carol:
		return []Watch{{Project: "beta", Filter: "(("}, {Project: "beta", Filter: "is:watched OR is:closed"}}, nil
	}
	return nil, nil
}

// fakeEvaluator stands for submit rules and mergeability: change 1 is
// submittable, 1 and 5 are mergeable, label statuses are a table, and
// alice has edits of changes 1, 2 and 4.
type fakeEvaluator struct {
	calls int
}

func (e *fakeEvaluator) Submittable(_ context.Context, c *change.Change) (bool, error) {
	e.calls++
	return c.Number == 1, nil
}

func (e *fakeEvaluator) Mergeable(_ context.Context, c *change.Change) (bool, error) {
	e.calls++
	return c.Number == 1 || c.Number == 5, nil
}

func (e *fakeEvaluator) HasEdit(_ context.Context, c *change.Change, account int64) (bool, error) {
	e.calls++
	return account == alice && (c.Number == 1 || c.Number == 2 || c.Number == 4), nil
}

// PureRevert: change 4 is a pure revert, as far as the fake knows.
func (e *fakeEvaluator) PureRevert(_ context.Context, c *change.Change) (bool, error) {
	e.calls++
	return c.Number == 4, nil
}

func (e *fakeEvaluator) LabelStatus(_ context.Context, c *change.Change, label string) (string, int64, error) {
	e.calls++
	if !strings.EqualFold(label, "Code-Review") {
		return "", 0, nil
	}
	switch c.Number {
	case 1, 2:
		return "OK", carol, nil
	case 6:
		return "OK", bob, nil
	case 3:
		return "REJECT", alice, nil
	case 4, 5:
		return "NEED", 0, nil
	}
	return "", 0, nil
}

// numbers lists the change numbers of cs.
func numbers(cs []*change.Change) []int64 {
	out := []int64{}
	for _, c := range cs {
		out = append(out, c.Number)
	}
	return out
}
