package commands

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/project"
	"tandem/internal/review"
	"tandem/internal/submit"
)

// newChange writes change n with one patch set, owned by owner.
func (e *env) newChange(n int64, owner *account.Account, private bool) {
	e.t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second).Add(time.Duration(n) * time.Second)
	ch := &change.Change{Number: n, Project: "p", Branch: "refs/heads/main", Key: fmt.Sprintf("I%040d", n),
		OwnerID: owner.ID, Status: change.StatusNew, Subject: fmt.Sprintf("Change %d", n), CurrentPS: 1,
		Private: private, Created: now, Updated: now}
	if err := e.changes.Insert(ctx, e.db, ch); err != nil {
		e.t.Fatal(err)
	}
	ps := &change.PatchSet{Change: n, Number: 1, Commit: fmt.Sprintf("%040x", 0xabc000+n), UploaderID: owner.ID, Created: now,
		Kind: change.KindRework, Message: fmt.Sprintf("Change %d\n\nBody.\n", n),
		Author: change.Person{Name: owner.Username, Email: owner.PreferredEmail, When: now}}
	if err := e.changes.InsertPatchSet(ctx, e.db, ps, []change.File{{Path: "f.txt", Status: "A", Insertions: 3}}); err != nil {
		e.t.Fatal(err)
	}
}

// votes returns the votes on change n as "account:label=value".
func (e *env) votes(n int64) string {
	e.t.Helper()
	vs, err := e.changes.Approvals(context.Background(), e.db, n)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, v := range vs {
		if v.Value != 0 {
			out = append(out, fmt.Sprintf("%d:%s=%d", v.AccountID, v.Label, v.Value))
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestQueryVisibilityAndFormat(t *testing.T) {
	e := newReviewEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	e.newChange(1, alice, false)
	e.newChange(2, alice, true)

	tests := []struct {
		desc string
		as   *account.Account
		line string
		want string // stdout
	}{
		{desc: "a private change is hidden from others", as: bob, line: "gerrit query --format json --current-patch-set status:open",
			want: `{"project":"p","branch":"main","id":"I0000000000000000000000000000000000000001","number":1,"subject":"Change 1",` +
				`"owner":{"email":"alice@example.com","username":"alice"},"url":"https://review.example.com/c/p/+/1",` +
				`"createdOn":*,"lastUpdated":*,"open":true,"status":"NEW","currentPatchSet":{"number":1,` +
				`"revision":"0000000000000000000000000000000000abc001","parents":[],"ref":"refs/changes/01/1/1",` +
				`"uploader":{"email":"alice@example.com","username":"alice"},"createdOn":*,` +
				`"author":{"email":"alice@example.com","username":"alice"},"kind":"REWORK","sizeInsertions":0,"sizeDeletions":0}}` + "\n" +
				`{"type":"stats","rowCount":1,"runTimeMilliseconds":*,"moreChanges":false}` + "\n"},
		{desc: "the owner sees both, newest first", as: alice, line: "gerrit query --format=JSON limit:1 status:open",
			want: `{"project":"p",*"number":2,*"private":true}` + "\n" + `{"type":"stats","rowCount":1,"runTimeMilliseconds":*,"moreChanges":true}` + "\n"},
		{desc: "start skips", as: alice, line: "gerrit query --format=JSON -S 1 status:open",
			want: `{"project":"p",*"number":1,*}` + "\n" + `{"type":"stats","rowCount":1,"runTimeMilliseconds":*,"moreChanges":false}` + "\n"},
		{desc: "query words are joined", as: bob, line: "gerrit query --format=JSON --files --patch-sets change:1 status:open",
			want: `*"files":[{"file":"/COMMIT_MSG","type":"ADDED","insertions":8,"deletions":0},{"file":"f.txt","type":"ADDED","insertions":3,"deletions":0}]*` + "\n" +
				`{"type":"stats","rowCount":1,*}` + "\n"},
		{desc: "a bad query gives an error record", as: bob, line: "gerrit query --format=JSON status:nope",
			want: `{"type":"error","message":"Unrecognized value for status: nope"}` + "\n"},
		{desc: "text", as: bob, line: "gerrit query change:1",
			want: "change I0000000000000000000000000000000000000001\n  project: p\n  branch: main\n*  number: 1\n  subject: Change 1\n" +
				"  owner:\n    email: alice@example.com\n    username: alice\n  url: https://review.example.com/c/p/+/1\n" +
				"  createdOn: * UTC\n*  open: true\n  status: NEW\n\ntype: stats\nrowCount: 1\nrunTimeMilliseconds: *\nmoreChanges: false\n\n"},
		{desc: "no query", as: bob, line: "gerrit query --format=JSON", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got := e.run(tc.as, tc.line)
			if tc.want == "" {
				if got.code != 1 || !strings.Contains(got.stderr, `Argument "QUERY" is required`) {
					t.Fatalf("%s = %+v", tc.line, got)
				}
				return
			}
			if got.code != 0 || got.stderr != "" || !glob(tc.want, got.stdout) {
				t.Fatalf("%s:\n got %+v\nwant %s", tc.line, got, tc.want)
			}
		})
	}
}

// glob matches s against pattern, where * stands for any text.
func glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, p)
		}
		j := strings.Index(s, p)
		if j < 0 {
			return false
		}
		s = s[j+len(p):]
	}
	return s == ""
}

func TestReviewVotes(t *testing.T) {
	e := newReviewEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	e.newChange(1, alice, false)
	e.newChange(2, alice, true)
	e.newChange(3, alice, false)

	tests := []struct {
		desc  string
		as    *account.Account
		line  string
		want  out
		votes string // on change 1 afterwards
	}{
		{desc: "a vote the caller may not cast is dropped", as: bob, line: "gerrit review --code-review +2 1,1",
			want: out{0, "", ""}, votes: ""},
		{desc: "a permitted vote", as: bob, line: "gerrit review --code-review=-1 -m 'not yet' 1,1",
			want: out{0, "", ""}, votes: fmt.Sprintf("%d:Code-Review=-1", bob.ID)},
		{desc: "--label is strict", as: bob, line: "gerrit review --label Code-Review=+2 1,1",
			want:  out{1, "", "error: Applying label \"Code-Review\": 2 is restricted\nfatal: one or more reviews failed; review output above\n"},
			votes: fmt.Sprintf("%d:Code-Review=-1", bob.ID)},
		{desc: "a value outside the label", as: e.admin, line: "gerrit review --code-review +3 1,1",
			want:  out{1, "", "fatal: \"+3\" must be in range -2..+2 for \"--code-review\"\n"},
			votes: fmt.Sprintf("%d:Code-Review=-1", bob.ID)},
		{desc: "by commit, the administrator", as: e.admin, line: "gerrit review --code-review =+2 0000000000000000000000000000000000abc001",
			want: out{0, "", ""}, votes: fmt.Sprintf("%d:Code-Review=2 %d:Code-Review=-1", e.admin.ID, bob.ID)},
		{desc: "an ambiguous commit", as: e.admin, line: "gerrit review 00000000000000000000000000000000",
			want:  out{1, "", "fatal: \"00000000000000000000000000000000\" matches multiple patch sets\n"},
			votes: fmt.Sprintf("%d:Code-Review=2 %d:Code-Review=-1", e.admin.ID, bob.ID)},
		{desc: "a hidden change does not exist", as: bob, line: "gerrit review --code-review +1 2,1",
			want:  out{1, "", "fatal: \"2,1\" no such change\n"},
			votes: fmt.Sprintf("%d:Code-Review=2 %d:Code-Review=-1", e.admin.ID, bob.ID)},
		{desc: "--label 0 removes a vote, an unknown label is ignored", as: bob, line: "gerrit review --label Code-Review=0 --label Verified=1 1,1",
			want:  out{0, "", ""},
			votes: fmt.Sprintf("%d:Code-Review=2", e.admin.ID)},
		{desc: "no submitter", as: e.admin, line: "gerrit review --submit 1,1",
			want:  out{1, "", "error: submit is not available\nfatal: one or more reviews failed; review output above\n"},
			votes: fmt.Sprintf("%d:Code-Review=2", e.admin.ID)},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := e.run(tc.as, tc.line); got != tc.want {
				t.Fatalf("%s:\n got %+v\nwant %+v", tc.line, got, tc.want)
			}
			if got := e.votes(1); got != tc.votes {
				t.Fatalf("votes after %s: %q, want %q", tc.line, got, tc.votes)
			}
		})
	}
}

// TestReviewMove checks `gerrit review --move`: a message goes with the
// move alone, not with the review too, and the move comes before a rebase
// or submit, in Gerrit's order.
func TestReviewMove(t *testing.T) {
	ctx := context.Background()
	e := newReviewEnv(t)
	alice := e.user("alice")
	e.newChange(1, alice, false)
	e.newChange(2, alice, false)
	// messages returns the messages on change n that contain text.
	messages := func(n int64, text string) []change.ChangeMessage {
		t.Helper()
		ms, err := e.changes.Messages(ctx, e.db, n)
		if err != nil {
			t.Fatal(err)
		}
		var out []change.ChangeMessage
		for _, m := range ms {
			if strings.Contains(m.Message, text) {
				out = append(out, m)
			}
		}
		return out
	}
	branch := func(n int64) string {
		t.Helper()
		ch, err := e.changes.Get(ctx, e.db, n)
		if err != nil {
			t.Fatal(err)
		}
		return ch.Branch
	}

	tests := []struct {
		desc, line, text string
		want             string // the one message with text
	}{
		{"message", "gerrit review -m 'wrong branch' --move stable 1,1", "wrong branch",
			"Change destination moved from main to stable\n\nwrong branch"},
		{"message and vote", "gerrit review --code-review +1 -m 'back again' --move main 1,1", "back again",
			"Change destination moved from stable to main\n\nback again"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := e.run(alice, tc.line); got != (out{0, "", ""}) {
				t.Fatalf("%s: %+v", tc.line, got)
			}
			ms := messages(1, tc.text)
			if len(ms) != 1 || ms[0].Message != tc.want || ms[0].Tag != review.TagMove {
				t.Fatalf("messages with %q after %s: %+v, want one %q tagged %s", tc.text, tc.line, ms, tc.want, review.TagMove)
			}
		})
	}
	if len(messages(1, "Code-Review+1")) != 1 {
		t.Fatalf("the vote was not posted as a review")
	}

	sub := &branchSubmitter{changes: e.changes}
	e.cmds.rv.Submitter = sub
	for _, line := range []string{"gerrit review --move stable --rebase 2,1", "gerrit review --move main --submit 2,1"} {
		if got := e.run(alice, line); got != (out{0, "", ""}) {
			t.Fatalf("%s: %+v", line, got)
		}
	}
	if want := []string{"rebase on refs/heads/stable", "submit on refs/heads/main"}; !slices.Equal(sub.calls, want) {
		t.Fatalf("submitter calls %q, want %q", sub.calls, want)
	}
	if got := branch(2); got != "refs/heads/main" {
		t.Fatalf("change 2 on %s", got)
	}
}

// branchSubmitter records the branch of each change it is asked to rebase
// or submit, as of the call.
type branchSubmitter struct {
	changes *change.Store
	calls   []string
}

func (s *branchSubmitter) record(ctx context.Context, what string, n int64) (*change.Change, error) {
	ch, err := s.changes.Get(ctx, s.changes.DB(), n)
	if err != nil {
		return nil, err
	}
	s.calls = append(s.calls, what+" on "+ch.Branch)
	return ch, nil
}

func (s *branchSubmitter) Submit(ctx context.Context, _ submit.Caller, n int64, _ string) (*change.Change, error) {
	return s.record(ctx, "submit", n)
}

func (s *branchSubmitter) Rebase(ctx context.Context, _ submit.Caller, n int64, _ string, _ submit.NewPatchSetFunc) (*change.Change, error) {
	return s.record(ctx, "rebase", n)
}

func TestSetReviewers(t *testing.T) {
	e := newReviewEnv(t)
	alice := e.user("alice")
	e.user("bob")
	e.user("carol")
	e.newChange(1, alice, false)
	e.newChange(2, alice, false)
	state := func(n int64) string {
		t.Helper()
		rs, err := e.changes.Reviewers(context.Background(), e.db, n)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			a, _ := e.accounts.Get(context.Background(), r.AccountID)
			out = append(out, a.Username+"="+r.State)
		}
		return strings.Join(out, " ")
	}

	tests := []struct {
		desc  string
		line  string
		want  out
		state string // of change 1 afterwards
	}{
		{"add by number", "gerrit set-reviewers -a bob -a carol 1", out{0, "", ""}, "bob=REVIEWER carol=REVIEWER"},
		{"remove by Change-Id prefix", "gerrit set-reviewers --remove carol I0000000000000000000000000000000000000001", out{0, "", ""},
			"bob=REVIEWER carol=REMOVED"},
		{"remove someone not there", "gerrit set-reviewers -r carol -- 1",
			out{1, "", "error: could not remove carol: not found\nfatal: one or more updates failed\n"}, "bob=REVIEWER carol=REMOVED"},
		{"an unknown user to remove", "gerrit set-reviewers -r nobody 1", out{1, "", "fatal: user \"nobody\" not found\n"},
			"bob=REVIEWER carol=REMOVED"},
		{"an ambiguous Change-Id prefix", "gerrit set-reviewers -a carol I0000", out{1, "", "fatal: \"I0000\" matches multiple changes\n"},
			"bob=REVIEWER carol=REMOVED"},
		{"by commit within a project", "gerrit set-reviewers -p p -a carol 0000000000000000000000000000000000abc001", out{0, "", ""},
			"bob=REVIEWER carol=REVIEWER"},
		{"an unknown project", "gerrit set-reviewers -p nope -a carol 1", out{1, "", "fatal: project nope not found\n"},
			"bob=REVIEWER carol=REVIEWER"},
		{"not a change", "gerrit set-reviewers -a carol nope", out{1, "", "fatal: \"nope\" no such change\n"},
			"bob=REVIEWER carol=REVIEWER"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := e.run(alice, tc.line); got != tc.want {
				t.Fatalf("%s:\n got %+v\nwant %+v", tc.line, got, tc.want)
			}
			if got := state(1); got != tc.state {
				t.Fatalf("reviewers after %s: %q, want %q", tc.line, got, tc.state)
			}
		})
	}
	if got := state(2); got != "" {
		t.Fatalf("change 2 was touched: %q", got)
	}
}

func TestReviewOptionConflicts(t *testing.T) {
	tests := []struct {
		desc string
		o    reviewOptions
		want string
	}{
		{"abandon and restore", reviewOptions{abandon: true, restore: true}, "abandon and restore actions are mutually exclusive"},
		{"abandon and submit", reviewOptions{abandon: true, submit: true}, "abandon and submit actions are mutually exclusive"},
		{"abandon and rebase", reviewOptions{abandon: true, rebase: true}, "abandon and rebase actions are mutually exclusive"},
		{"json and restore", reviewOptions{json: true, restore: true}, "json and restore actions are mutually exclusive"},
		{"json and abandon", reviewOptions{json: true, abandon: true}, "json and abandon actions are mutually exclusive"},
		{"json and message", reviewOptions{json: true, message: "m"}, "json and message are mutually exclusive"},
		{"json and tag", reviewOptions{json: true, tag: "t"}, "json and tag actions are mutually exclusive"},
		{"rebase and submit", reviewOptions{rebase: true, submit: true}, "rebase and submit actions are mutually exclusive"},
		{"submit and message", reviewOptions{submit: true, message: "m"}, ""},
		{"restore and rebase", reviewOptions{restore: true, rebase: true}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, msg := exitStatus(tc.o.check())
			want := ""
			if tc.want != "" {
				want = "fatal: " + tc.want + "\n"
			}
			if msg != want {
				t.Fatalf("check() = %q, want %q", msg, want)
			}
		})
	}
}

func TestLabelValues(t *testing.T) {
	cr := project.LabelType{Name: "Code-Review", Values: []project.LabelValue{{Value: -2}, {Value: -1}, {Value: 0}, {Value: 1}, {Value: 2}}}
	tests := []struct {
		desc, in string
		want     int
		err      string
	}{
		{"plus", "+2", 2, ""},
		{"equals plus", "=+2", 2, ""},
		{"minus", "-1", -1, ""},
		{"zero", "0", 0, ""},
		{"bare", "1", 1, ""},
		{"too high", "+3", 0, `"+3" must be in range -2..+2 for "--code-review"`},
		{"too low", "-3", 0, `"-3" must be in range -2..+2 for "--code-review"`},
		{"not a number", "yes", 0, "invalid value"},
		{"two signs", "++1", 0, "invalid value"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := parseLabelOption(cr, "--code-review", tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("parseLabelOption(%q) = %d, %v; want error %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parseLabelOption(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
		})
	}

	votes := []struct {
		desc, in string
		label    string
		value    int
		ok       bool
	}{
		{"plain", "Code-Review=+2", "Code-Review", 2, true},
		{"negative", "Verified=-1", "Verified", -1, true},
		{"no equals", "Code-Review", "", 0, false},
		{"no name", "=1", "", 0, false},
		{"not a number", "Code-Review=x", "", 0, false},
	}
	for _, tc := range votes {
		t.Run("label "+tc.desc, func(t *testing.T) {
			label, value, err := parseLabelVote(tc.in)
			if (err == nil) != tc.ok || label != tc.label || value != tc.value {
				t.Fatalf("parseLabelVote(%q) = %q, %d, %v", tc.in, label, value, err)
			}
		})
	}
}

func TestWriteText(t *testing.T) {
	type inner struct {
		Name string `json:"name"`
	}
	type rec struct {
		ID        string   `json:"id"`
		Number    int      `json:"number"`
		Open      bool     `json:"open"`
		CreatedOn int64    `json:"createdOn"`
		Message   string   `json:"message"`
		Owner     *inner   `json:"owner,omitempty"`
		Missing   *inner   `json:"missing,omitempty"`
		Parents   []string `json:"parents"`
		People    []inner  `json:"people"`
	}
	v := rec{ID: "I1", Number: 7, Open: true, CreatedOn: 1700000000, Message: "Subject\n\nBody\n",
		Owner: &inner{"Jo"}, Parents: []string{"a", "b"}, People: []inner{{"A"}, {"B"}}}
	var buf bytes.Buffer
	if err := writeText(&buf, v, 1); err != nil {
		t.Fatal(err)
	}
	want := "  id: I1\n  number: 7\n  open: true\n  createdOn: 2023-11-14 22:13:20 UTC\n" +
		"  message: Subject\n           \n           Body\n" +
		"  owner:\n    name: Jo\n  parents:\n    a\n  parents:\n    b\n  people:\n    name: A\n  people:\n    name: B\n"
	if buf.String() != want {
		t.Fatalf("writeText:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestSetTopic(t *testing.T) {
	e := newReviewEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	e.newChange(1, alice, false)
	e.newChange(2, alice, false)
	e.newChange(3, alice, true) // private: bob cannot see it
	topic := func(n int64) string {
		t.Helper()
		ch, err := e.changes.Get(context.Background(), e.db, n)
		if err != nil {
			t.Fatal(err)
		}
		return ch.Topic
	}
	tests := []struct {
		desc   string
		as     *account.Account
		line   string
		want   out
		topics string // of changes 1, 2 and 3 afterwards
	}{
		{"two changes at once", alice, "gerrit set-topic -t feature 1 I0000000000000000000000000000000000000002", out{0, "", ""},
			"feature feature -"},
		{"an unknown change is skipped", alice, "gerrit set-topic --topic=other 1 nope", out{0, "", "warning: \"nope\" no such change\n"},
			"other feature -"},
		{"a change the caller cannot see", bob, "gerrit set-topic -t x 3", out{0, "", "warning: \"3\" no such change\n"},
			"other feature -"},
		{"no permission", bob, "gerrit set-topic -t x 1 2",
			out{1, "", "error: could not add topic to change 1: not permitted: edit topic name\n" +
				"error: could not add topic to change 2: not permitted: edit topic name\nfatal: one or more updates failed\n"},
			"other feature -"},
		{"too long", alice, "gerrit set-topic -t " + strings.Repeat("x", 2049) + " 1",
			out{1, "", "fatal: topic length exceeds the limit (2048)\n"}, "other feature -"},
		{"without --topic the topic goes", alice, "gerrit set-topic 2", out{0, "", ""}, "other - -"},
		{"no change", alice, "gerrit set-topic -t x", out{1, "", "fatal: Argument \"CHANGE\" is required\n"}, "other - -"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := e.run(tc.as, tc.line); got != tc.want {
				t.Fatalf("%s:\n got %+v\nwant %+v", tc.line, got, tc.want)
			}
			var got []string
			for n := int64(1); n <= 3; n++ {
				got = append(got, cmp.Or(topic(n), "-"))
			}
			if s := strings.Join(got, " "); s != tc.topics {
				t.Fatalf("topics after %s: %q, want %q", tc.line, s, tc.topics)
			}
		})
	}
}
