package restapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/fail"
	"tandem/internal/httpd/auth"
	"tandem/internal/project"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const adminsUUID = "0000000000000000000000000000000000000a0a"

// configLoader serves project configurations without git: p inherits
// from All-Projects with Gerrit's default rules.
type configLoader struct{ all *project.Config }

func (l configLoader) Load(_ context.Context, name string) (*project.State, error) {
	switch name {
	case project.AllProjects:
		return &project.State{Name: name, Config: l.all, Chain: []*project.Config{l.all}}, nil
	case "p":
		own := &project.Config{}
		return &project.State{Name: name, Config: own, Chain: []*project.Config{own, l.all}, ParentName: project.AllProjects}, nil
	}
	return nil, fail.Errorf(fail.NotFound, "Not found: %s", name)
}

// handlerEnv is an API over a real database with two accounts and one
// change of two patch sets, and fakes of the domain services.
type handlerEnv struct {
	api          *API
	store        *change.Store
	alice, admin *account.Account
	ps1, ps2     *change.PatchSet
	reviews      *fakeReviews
	submitter    *fakeSubmitter
	pages        []QueryPage // what queries asked fakeQuery for
}

func newHandlerEnv(t *testing.T, d *db.DB) *handlerEnv {
	t.Helper()
	ctx := context.Background()
	accts := account.New(account.Options{DB: d, Logger: slog.New(slog.DiscardHandler)})
	alice, err := accts.Create(ctx, account.Input{Username: "alice", FullName: "Alice", Email: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := accts.Create(ctx, account.Input{Username: "admin", FullName: "Admin", Email: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	all := project.DefaultAllProjects(project.GroupRef{UUID: adminsUUID, Name: "Administrators"}, project.GroupRef{}, project.GroupRef{})
	store := change.NewStore(d)
	e := &handlerEnv{store: store, alice: alice, admin: admin, reviews: &fakeReviews{}, submitter: &fakeSubmitter{store: store, db: d}}
	e.api = New(Options{
		Accounts: accts, Access: access.NewControl(configLoader{all}), Logger: slog.New(slog.DiscardHandler),
		Server:  ServerInfo{CanonicalWebURL: "http://h/", SSHAddress: "h:29418"},
		Changes: store, DB: d, Query: fakeQuery{store, d, &e.pages}, Labeler: votesLabeler{}, Reviews: e.reviews, Submitter: e.submitter,
		Requirements: fakeRequirements{}, Mergeability: fakeMergeability{},
	})
	when := time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
	c := &change.Change{Number: 1, Project: "p", Branch: "refs/heads/main", Key: key, OwnerID: alice.ID,
		Status: change.StatusNew, Subject: "Do it", CurrentPS: 2, Created: when, Updated: when}
	e.ps1 = &change.PatchSet{Change: 1, Number: 1, Commit: strings.Repeat("a", 40), UploaderID: alice.ID, Created: when,
		Kind: change.KindRework, Message: "Do it\n", Insertions: 1}
	e.ps2 = &change.PatchSet{Change: 1, Number: 2, Commit: strings.Repeat("b", 40), UploaderID: alice.ID, Created: when,
		Kind: change.KindRework, Message: "Do it\n", Insertions: 2, Deletions: 1}
	err = d.Tx(ctx, func(tx *db.Tx) error {
		if err := store.Insert(ctx, tx, c); err != nil {
			return err
		}
		if err := store.InsertPatchSet(ctx, tx, e.ps1, nil); err != nil {
			return err
		}
		if err := store.InsertPatchSet(ctx, tx, e.ps2, []change.File{{Path: "f.txt", Status: "M", Insertions: 2, Deletions: 1}}); err != nil {
			return err
		}
		if err := store.SetApproval(ctx, tx, change.Vote{Change: 1, PatchSet: 2, AccountID: admin.ID, Label: "Code-Review",
			Value: 2, Granted: when}); err != nil {
			return err
		}
		if err := store.SetReviewer(ctx, tx, 1, admin.ID, change.StateReviewer, when); err != nil {
			return err
		}
		if err := store.EditHashtags(ctx, tx, 1, []string{"x", "a"}, nil); err != nil {
			return err
		}
		if err := store.AddMessage(ctx, tx, &change.ChangeMessage{Change: 1, PatchSet: 2, AuthorID: admin.ID,
			Message: "Patch Set 2: Code-Review+2", Created: when}); err != nil {
			return err
		}
		return store.PutComment(ctx, tx, &change.Comment{ID: "c1", Change: 1, PatchSet: 2, AuthorID: admin.ID,
			Path: "f.txt", Line: 1, Message: "Nit", Unresolved: true, Written: when})
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// do sends a request as acct (nil: anonymous) through the API's router.
func (e *handlerEnv) do(t *testing.T, method, path string, acct *account.Account, body, contentType string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("Accept", "application/json")
	w := httptest.NewRecorder()
	caller := auth.AnonymousCaller()
	if acct != nil {
		caller = &auth.Caller{Account: acct, Groups: map[string]bool{account.AnonymousUsers: true, account.RegisteredUsers: true}}
		if acct.Username == "admin" {
			caller.Groups[adminsUUID] = true
		}
	}
	var segs []string
	for _, s := range strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/") {
		u, err := unescapeID(s)
		if err != nil {
			t.Fatal(err)
		}
		segs = append(segs, u)
	}
	q := &request{w: w, r: r, caller: caller, segs: segs, query: r.URL.Query()}
	if err := e.api.route(q); err != nil {
		e.api.fail(w, r, err)
	}
	return w
}

func decodeResponse(t *testing.T, w *httptest.ResponseRecorder, status int, v any) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body.String())
	}
	body := w.Body.String()
	if !strings.HasPrefix(body, ")]}'\n") {
		t.Fatalf("no XSSI prefix: %q", body)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(body[5:]), v); err != nil {
			t.Fatalf("decode %q: %v", body, err)
		}
	}
}

func wantPlain(t *testing.T, w *httptest.ResponseRecorder, status int, msg string) {
	t.Helper()
	if w.Code != status || strings.TrimSpace(w.Body.String()) != msg || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("got %d %q (%s), want %d %q", w.Code, w.Body.String(), w.Header().Get("Content-Type"), status, msg)
	}
}

// TestChangeReads reads a change with every batch loader, on SQLite and
// PostgreSQL.
func TestChangeReads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newHandlerEnv(t, d)
		var ci ChangeInfo
		decodeResponse(t, e.do(t, "GET", "/changes/p~1?o=DETAILED_LABELS&o=DETAILED_ACCOUNTS&o=MESSAGES&o=ALL_REVISIONS"+
			"&o=ALL_FILES&o=REVIEWER_UPDATES&o=SUBMITTABLE&o=SUBMIT_REQUIREMENTS&o=CHANGE_ACTIONS&o=CURRENT_ACTIONS&o=STAR"+
			"&o=REVIEWED", e.alice, "", ""), 200, &ci)
		cr := ci.Labels["Code-Review"]
		if cr == nil || cr.Approved == nil || cr.Approved.Username != "admin" || len(cr.All) != 1 || *cr.All[0].Value != 2 {
			t.Fatalf("labels %s", js(ci.Labels))
		}
		if got := ci.PermittedLabels["Code-Review"]; strings.Join(got, ",") != "-1, 0,+1" {
			t.Fatalf("alice's permitted labels %q", got)
		}
		if len(ci.Reviewers["REVIEWER"]) != 1 || ci.Reviewers["REVIEWER"][0].Email != "admin@example.com" {
			t.Fatalf("reviewers %s", js(ci.Reviewers))
		}
		if strings.Join(ci.Hashtags, ",") != "a,x" || ci.TotalCommentCount != 1 || ci.UnresolvedCommentCount != 1 {
			t.Fatalf("hashtags %v comments %d/%d", ci.Hashtags, ci.TotalCommentCount, ci.UnresolvedCommentCount)
		}
		if len(ci.Messages) != 1 || ci.Messages[0].Author.Name != "Admin" || len(ci.ReviewerUpdates) != 1 {
			t.Fatalf("messages %s updates %s", js(ci.Messages), js(ci.ReviewerUpdates))
		}
		rev := ci.Revisions[e.ps2.Commit]
		if len(ci.Revisions) != 2 || rev == nil || rev.Files["f.txt"].LinesInserted != 2 || rev.Files["/COMMIT_MSG"].Status != "A" {
			t.Fatalf("revisions %s", js(ci.Revisions))
		}
		if rev.Fetch["http"].URL != "http://alice@h/a/p" || rev.Fetch["ssh"].URL != "ssh://alice@h:29418/p" {
			t.Fatalf("fetch %s", js(rev.Fetch))
		}
		if ci.Submittable == nil || !*ci.Submittable || len(ci.SubmitRequirements) != 1 || ci.SubmitRequirements[0].Status != "SATISFIED" {
			t.Fatalf("submit state %v %s", ci.Submittable, js(ci.SubmitRequirements))
		}
		// alice owns the change: she may rebase it but not submit (the
		// default rules let owners and administrators submit).
		if _, ok := rev.Actions["rebase"]; !ok || ci.Actions["abandon"].Method != "POST" {
			t.Fatalf("actions %s / %s", js(ci.Actions), js(rev.Actions))
		}
		if _, ok := rev.Actions["submit"]; ok {
			t.Fatalf("alice may submit: %s", js(rev.Actions))
		}
		var actions map[string]ActionInfo
		decodeResponse(t, e.do(t, "GET", "/changes/1/revisions/current/actions", e.admin, "", ""), 200, &actions)
		if actions["submit"].Title != "Submit patch set 2 into main" {
			t.Fatalf("admin's actions %s", js(actions))
		}

		var reviewers []ReviewerInfo
		decodeResponse(t, e.do(t, "GET", "/changes/1/reviewers/", nil, "", ""), 200, &reviewers)
		if len(reviewers) != 1 || reviewers[0].Approvals["Code-Review"] != "+2" || reviewers[0].Username != "admin" {
			t.Fatalf("reviewers %s", js(reviewers))
		}
		var votes map[string]int
		decodeResponse(t, e.do(t, "GET", "/changes/1/reviewers/admin/votes", nil, "", ""), 200, &votes)
		if votes["Code-Review"] != 2 {
			t.Fatalf("votes %v", votes)
		}
		var comments map[string][]CommentInfo
		decodeResponse(t, e.do(t, "GET", "/changes/1/revisions/2/comments", nil, "", ""), 200, &comments)
		if len(comments["f.txt"]) != 1 || comments["f.txt"][0].PatchSet != 0 || comments["f.txt"][0].Author.Name != "Admin" {
			t.Fatalf("comments %s", js(comments))
		}
		var mi MergeableInfo
		decodeResponse(t, e.do(t, "GET", "/changes/1/revisions/current/mergeable", nil, "", ""), 200, &mi)
		if !mi.Mergeable || mi.SubmitType != "MERGE_IF_NECESSARY" {
			t.Fatalf("mergeable %+v", mi)
		}
		var list []ChangeInfo
		decodeResponse(t, e.do(t, "GET", "/changes/?q=status:open&o=LABELS", nil, "", ""), 200, &list)
		if len(list) != 1 || list[0].Labels["Code-Review"].Approved == nil {
			t.Fatalf("query %s", js(list))
		}
		// The page is the caller's to choose, up to their queryLimit.
		e.pages = nil
		decodeResponse(t, e.do(t, "GET", "/changes/?q=status:open&n=1000&S=3", nil, "", ""), 200, &list)
		decodeResponse(t, e.do(t, "GET", "/changes/?q=status:open&no-limit", e.alice, "", ""), 200, &list)
		want := []QueryPage{{Start: 3, Limit: 1000, MaxLimit: 500}, {MaxLimit: 500, NoLimit: true}}
		if !slices.Equal(e.pages, want) {
			t.Errorf("query pages %+v, want %+v", e.pages, want)
		}
	})
}

// TestChangeWrites: the write endpoints read Gerrit's inputs and hand
// them to the domain services.
func TestChangeWrites(t *testing.T) {
	e := newHandlerEnv(t, dbtest.Open(t, db.SQLite))
	tests := []struct {
		desc, method, path, body, contentType string
		status                                int
		want                                  string // body (trimmed, without the prefix), "" to skip
		check                                 func(t *testing.T)
	}{
		{"review without Content-Type, +2 as a string", "POST", "/changes/1/revisions/current/review",
			`{"message":"ok","labels":{"Code-Review":"+1"}}`, "", 200, `{"labels":{"Code-Review":1}}`, func(t *testing.T) {
				if r := e.reviews.last; r.ps != 2 || r.review.Labels["Code-Review"] != 1 || r.review.Message != "ok" {
					t.Fatalf("review call %+v", r)
				}
			}},
		{"review of an old patch set", "POST", "/changes/p~1/revisions/1/review", `{"message":"old"}`, "application/json", 200, "",
			func(t *testing.T) {
				if e.reviews.last.ps != 1 {
					t.Fatalf("review call %+v", e.reviews.last)
				}
			}},
		{"review as text", "POST", "/changes/1/revisions/current/review", "Looks good\n", "text/plain", 200, "",
			func(t *testing.T) {
				if r := e.reviews.last.review; r.Message != "Looks good" || len(r.Labels) != 0 {
					t.Fatalf("review from text: %+v", r)
				}
			}},
		{"review as a JSON string", "POST", "/changes/1/revisions/current/review", `"Fine"`, "application/json", 200, "",
			func(t *testing.T) {
				if r := e.reviews.last.review; r.Message != "Fine" {
					t.Fatalf("review from a JSON string: %+v", r)
				}
			}},
		{"review in lenient JSON", "POST", "/changes/1/revisions/current/review",
			"{message: 'It\\'s fine', # a comment\n labels = {Code-Review: +1}; tag: 'autogenerated:ci'}", "application/json", 200, "",
			func(t *testing.T) {
				if r := e.reviews.last.review; r.Message != "It's fine" || r.Labels["Code-Review"] != 1 || r.Tag != "autogenerated:ci" {
					t.Fatalf("review from lenient JSON: %+v", r)
				}
			}},
		{"review as a form", "POST", "/changes/1/revisions/current/review",
			"message=From+a+form&labels.Code-Review=-1&omit_duplicate_comments=true", "application/x-www-form-urlencoded", 200, "",
			func(t *testing.T) {
				if r := e.reviews.last.review; r.Message != "From a form" || r.Labels["Code-Review"] != -1 || !r.OmitDuplicateComments {
					t.Fatalf("review from a form: %+v", r)
				}
			}},
		{"review as a form with a bad vote", "POST", "/changes/1/revisions/current/review", "labels.Code-Review=yes",
			"application/x-www-form-urlencoded", 400, "Invalid form in request", nil},
		{"review as XML", "POST", "/changes/1/revisions/current/review", `<review/>`, "application/xml", 400,
			"Expected Content-Type: application/json", nil},
		{"hashtags as text", "POST", "/changes/1/hashtags", `b`, "text/plain", 400, "Expected JSON object", nil},
		{"malformed review", "POST", "/changes/1/revisions/current/review", `{"labels":`, "application/json", 400,
			"Invalid application/json in request", nil},
		{"bad label value", "POST", "/changes/1/revisions/current/review", `{"labels":{"Code-Review":"yes"}}`, "application/json", 400,
			"Invalid application/json in request", nil},
		{"submit with an empty body", "POST", "/changes/1/submit", "", "", 200, "", func(t *testing.T) {
			if e.submitter.submitted != 2 {
				t.Fatalf("submitted patch set %d", e.submitter.submitted)
			}
		}},
		{"submit of an old patch set", "POST", "/changes/1/revisions/1/submit", "", "", 409,
			"revision " + strings.Repeat("a", 40) + " is not current revision", nil},
		{"submit refused by the domain", "POST", "/changes/1/revisions/current/submit", `{"notify":"NONE"}`, "application/json", 409,
			"Failed to submit 1 change due to the following problems:\nChange 1: submit requirement 'Code-Review' is unsatisfied.",
			func(t *testing.T) { e.submitter.refuse = false }},
		{"rebase", "POST", "/changes/1/rebase", `{"base":""}`, "application/json", 200, "", nil},
		{"set topic", "PUT", "/changes/1/topic", `{"topic":" t1 "}`, "application/json", 200, `"t1"`, func(t *testing.T) {
			if e.reviews.topic != "t1" {
				t.Fatalf("topic %q", e.reviews.topic)
			}
		}},
		{"set topic as text", "PUT", "/changes/1/topic", `t2`, "text/plain", 200, `"t2"`, nil},
		{"delete topic", "DELETE", "/changes/1/topic", "", "", 204, "", nil},
		{"hashtags", "POST", "/changes/1/hashtags", `{"add":["b"]}`, "application/json", 200, `["b"]`, nil},
		{"abandon", "POST", "/changes/1/abandon", `{"message":"bye"}`, "application/json", 200, "", func(t *testing.T) {
			if e.reviews.calls[len(e.reviews.calls)-1] != "abandon bye" {
				t.Fatalf("calls %v", e.reviews.calls)
			}
		}},
		{"restore", "POST", "/changes/1/restore", "", "", 200, "", nil},
		{"wip", "POST", "/changes/1/wip", "", "", 200, "", nil},
		{"ready", "POST", "/changes/1/ready", `{"message":"go"}`, "application/json", 200, "", nil},
		{"private", "POST", "/changes/1/private", "", "", 201, "", nil},
		{"unmark private", "DELETE", "/changes/1/private", "", "", 204, "", nil},
		{"unmark private by POST", "POST", "/changes/1/private.delete", "", "", 204, "", nil},
		{"add reviewer", "POST", "/changes/1/reviewers", `{"reviewer":"admin"}`, "application/json", 200, "", func(t *testing.T) {
			if e.reviews.calls[len(e.reviews.calls)-1] != "add admin" {
				t.Fatalf("calls %v", e.reviews.calls)
			}
		}},
		{"add nobody", "POST", "/changes/1/reviewers", `{}`, "application/json", 400, "reviewer must be specified", nil},
		{"add an unknown reviewer", "POST", "/changes/1/reviewers", `{"reviewer":"nobody"}`, "application/json", 400,
			`{"input":"nobody","error":"nobody does not identify a registered user or group"}`, nil},
		{"review naming an unknown reviewer", "POST", "/changes/1/revisions/current/review", `{"reviewers":[{"reviewer":"nobody"}]}`,
			"application/json", 400,
			`{"reviewers":{"nobody":{"input":"nobody","error":"nobody does not identify a registered user or group"}},"error":"error adding reviewer"}`, nil},
		{"create a draft", "PUT", "/changes/1/revisions/2/drafts", `{"path":"f.txt","line":1,"message":"hm"}`, "application/json", 201, "",
			func(t *testing.T) { wantCall(t, e.reviews, "draft new hm") }},
		{"update a draft", "PUT", "/changes/1/revisions/2/drafts/d1", `{"message":"better"}`, "application/json", 200, "",
			func(t *testing.T) { wantCall(t, e.reviews, "draft d1 better") }},
		{"update a draft on its change", "PUT", "/changes/1/drafts/d1", `{"message":"best"}`, "application/json", 200, "",
			func(t *testing.T) { wantCall(t, e.reviews, "draft d1 best") }},
		{"update a draft of another patch set", "PUT", "/changes/1/revisions/1/drafts/d1", `{"message":"x"}`, "application/json", 404,
			"Not found: d1", nil},
		{"delete a draft", "DELETE", "/changes/1/revisions/2/drafts/d1", "", "", 204, "",
			func(t *testing.T) { wantCall(t, e.reviews, "delete draft d1") }},
		{"star", "PUT", "/accounts/self/starred.changes/1", "", "", 204, "", func(t *testing.T) { wantCall(t, e.reviews, "star true") }},
		{"unstar", "DELETE", "/accounts/self/starred.changes/p~1", "", "", 204, "", func(t *testing.T) { wantCall(t, e.reviews, "star false") }},
		{"remove reviewer", "DELETE", "/changes/1/reviewers/admin", "", "", 204, "", nil},
		{"remove reviewer by POST", "POST", "/changes/1/reviewers/admin/delete", "", "", 204, "", nil},
		{"remove unknown reviewer", "DELETE", "/changes/1/reviewers/nobody", "", "", 404, "Not found: nobody", nil},
		{"move", "POST", "/changes/1/move", `{"destination_branch":"stable"}`, "application/json", 200, "",
			func(t *testing.T) { wantCall(t, e.reviews, "move stable") }},
		{"move nowhere", "POST", "/changes/1/move", `{}`, "application/json", 400, "destination branch is required", nil},
		{"move by GET", "GET", "/changes/1/move", "", "", 405, "Method Not Allowed", nil},
		{"delete", "DELETE", "/changes/1", "", "", 204, "", func(t *testing.T) { wantCall(t, e.reviews, "delete 1") }},
		{"POST on a change", "POST", "/changes/1", "", "", 405, "Method Not Allowed", nil},
		{"write on a missing change", "POST", "/changes/7/abandon", "", "", 404, "Not found: 7", nil},
		{"GET on a write endpoint", "GET", "/changes/1/abandon", "", "", 405, "Method Not Allowed", nil},
	}
	draft := &change.Comment{ID: "d1", Change: 1, PatchSet: 2, AuthorID: e.alice.ID, Path: "f.txt", Line: 1, Message: "draft",
		Draft: true, Written: time.Now()}
	if err := e.store.PutComment(context.Background(), e.api.db, draft); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if tc.desc == "submit refused by the domain" {
				e.submitter.refuse = true
			}
			w := e.do(t, tc.method, tc.path, e.alice, tc.body, tc.contentType)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body.String())
			}
			if tc.want != "" {
				got := strings.TrimSpace(strings.TrimPrefix(w.Body.String(), ")]}'\n"))
				if got != tc.want {
					t.Fatalf("body %q, want %q", got, tc.want)
				}
			}
			if tc.check != nil {
				tc.check(t)
			}
		})
	}

	// Without the domain services, writes are refused.
	bare := New(Options{Accounts: e.api.accounts, Access: e.api.access, Changes: e.store, DB: e.api.db, Query: e.api.query,
		Labeler: e.api.labeler, Logger: slog.New(slog.DiscardHandler)})
	e.api = bare
	wantPlain(t, e.do(t, "POST", "/changes/1/revisions/current/review", e.alice, `{}`, "application/json"), 405, "Method Not Allowed")
	wantPlain(t, e.do(t, "POST", "/changes/1/submit", e.alice, "", ""), 405, "Method Not Allowed")
	wantPlain(t, e.do(t, "GET", "/changes/1/revisions/current/mergeable", e.alice, "", ""), 405, "Method Not Allowed")
}

// TestNewNeedsQueryAndLabeler: the change API has no query language or
// label rules of its own.
func TestNewNeedsQueryAndLabeler(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New accepted Changes without Query and Labeler")
		}
	}()
	New(Options{Changes: change.NewStore(nil), Logger: slog.New(slog.DiscardHandler)})
}

func wantCall(t *testing.T, f *fakeReviews, call string) {
	t.Helper()
	if len(f.calls) == 0 || f.calls[len(f.calls)-1] != call {
		t.Fatalf("calls %q, want %q last", f.calls, call)
	}
}

type reviewCall struct {
	ps     int
	review ReviewInput
}

type fakeReviews struct {
	last  reviewCall
	topic string
	calls []string
}

func (f *fakeReviews) Review(_ context.Context, _ Actor, _ *change.Change, ps *change.PatchSet, in ReviewInput) (ReviewResult, error) {
	f.last = reviewCall{ps.Number, in}
	labels := map[string]int{}
	for k, v := range in.Labels {
		labels[k] = int(v)
	}
	if len(labels) == 0 {
		labels = nil
	}
	res := ReviewResult{Labels: labels}
	for _, r := range in.Reviewers {
		if r.Reviewer == "nobody" {
			res.Reviewers = map[string]AddReviewerResult{"nobody": {Input: "nobody", Error: "nobody does not identify a registered user or group"}}
			res.Error = "error adding reviewer"
		}
	}
	return res, nil
}
func (f *fakeReviews) Abandon(_ context.Context, _ Actor, _ *change.Change, m string) error {
	f.calls = append(f.calls, "abandon "+m)
	return nil
}
func (f *fakeReviews) Restore(_ context.Context, _ Actor, _ *change.Change, m string) error {
	f.calls = append(f.calls, "restore "+m)
	return nil
}

// Rights lets the change's owner abandon it, as review's rules would.
func (f *fakeReviews) Rights(_ context.Context, viewer access.Subject, c *change.Change) (ChangeRights, error) {
	return ChangeRights{Abandon: viewer.AccountID == c.OwnerID && c.Status == change.StatusNew}, nil
}
func (f *fakeReviews) Move(_ context.Context, _ Actor, _ *change.Change, in MoveInput) error {
	f.calls = append(f.calls, "move "+in.DestinationBranch)
	return nil
}
func (f *fakeReviews) Delete(_ context.Context, _ Actor, c *change.Change) error {
	f.calls = append(f.calls, fmt.Sprintf("delete %d", c.Number))
	return nil
}
func (f *fakeReviews) SetTopic(_ context.Context, _ Actor, _ *change.Change, topic string) error {
	f.topic = topic
	return nil
}
func (f *fakeReviews) SetHashtags(_ context.Context, _ Actor, _ *change.Change, add, _ []string) ([]string, error) {
	return add, nil
}
func (f *fakeReviews) AddReviewer(_ context.Context, by Actor, _ *change.Change, in ReviewerInput) (ReviewerAdded, error) {
	f.calls = append(f.calls, "add "+in.Reviewer)
	if in.Reviewer == "nobody" {
		return ReviewerAdded{Error: "nobody does not identify a registered user or group"}, nil
	}
	return ReviewerAdded{Reviewers: []int64{by.Account.ID}}, nil
}
func (f *fakeReviews) RemoveReviewer(_ context.Context, _ Actor, _ *change.Change, id int64) error {
	f.calls = append(f.calls, "remove")
	return nil
}
func (f *fakeReviews) AddToAttentionSet(_ context.Context, _ Actor, _ *change.Change, in AttentionSetInput) (int64, error) {
	f.calls = append(f.calls, "attention+"+in.User)
	return 0, nil
}
func (f *fakeReviews) RemoveFromAttentionSet(_ context.Context, _ Actor, _ *change.Change, id int64, _ string) error {
	f.calls = append(f.calls, "attention-")
	return nil
}
func (f *fakeReviews) SetWorkInProgress(_ context.Context, _ Actor, _ *change.Change, wip bool, m string) error {
	f.calls = append(f.calls, "wip")
	return nil
}
func (f *fakeReviews) SetPrivate(_ context.Context, _ Actor, _ *change.Change, private bool, m string) error {
	f.calls = append(f.calls, "private")
	return nil
}

func (f *fakeReviews) SaveDraft(_ context.Context, by Actor, c *change.Change, ps *change.PatchSet, in CommentInput) (*change.Comment, error) {
	id := in.ID
	if id == "" {
		id = "new"
	}
	f.calls = append(f.calls, "draft "+id+" "+in.Message)
	return &change.Comment{ID: id, Change: c.Number, PatchSet: ps.Number, AuthorID: by.Account.ID, Path: in.Path,
		Message: in.Message, Draft: true}, nil
}
func (f *fakeReviews) DeleteDraft(_ context.Context, _ Actor, _ *change.Change, id string) error {
	f.calls = append(f.calls, "delete draft "+id)
	return nil
}
func (f *fakeReviews) SetStar(_ context.Context, _ Actor, _ *change.Change, on bool) error {
	f.calls = append(f.calls, fmt.Sprint("star ", on))
	return nil
}

// fakeQuery answers every query with all changes, newest first, and
// records the pages asked for.
type fakeQuery struct {
	store *change.Store
	db    *db.DB
	pages *[]QueryPage
}

func (f fakeQuery) Run(ctx context.Context, _ access.Subject, q string, page QueryPage) ([]*change.Change, bool, error) {
	if q == "slow" {
		// A query that takes until the caller gives up.
		<-ctx.Done()
		return nil, false, ctx.Err()
	}
	*f.pages = append(*f.pages, page)
	cs, err := f.store.List(ctx, f.db, "", "id DESC")
	return cs, false, err
}

// Sees shows private changes only to their owners.
func (f fakeQuery) Sees(_ context.Context, viewer access.Subject, _ *access.Checker, c *change.Change) (bool, error) {
	return !c.Private || c.OwnerID == viewer.AccountID, nil
}

// votesLabeler approves with a +2 and lets signed-in callers vote -1..+1.
type votesLabeler struct{}

func (votesLabeler) Labels(_ context.Context, viewer access.Subject, rows ChangeRows, detailed bool) (LabelsResult, error) {
	li := &LabelInfo{}
	for _, v := range rows.Votes {
		if v.PatchSet != rows.Change.CurrentPS || v.Label != "Code-Review" {
			continue
		}
		if v.Value == 2 {
			li.Approved = &AccountInfo{ID: v.AccountID}
		}
		if detailed {
			val := v.Value
			li.All = append(li.All, ApprovalInfo{AccountInfo: AccountInfo{ID: v.AccountID}, Value: &val, Granted: v.Granted})
		}
	}
	res := LabelsResult{Labels: map[string]*LabelInfo{"Code-Review": li}}
	if viewer.AccountID != 0 {
		res.Permitted = map[string][]string{"Code-Review": {"-1", " 0", "+1"}}
	}
	return res, nil
}

type fakeSubmitter struct {
	submitted int
	refuse    bool
	together  []int64 // what SubmittedTogether answers, ancestors first
	store     *change.Store
	db        *db.DB
}

func (f *fakeSubmitter) SubmittedTogether(ctx context.Context, c *change.Change) ([]*change.Change, error) {
	if f.together == nil {
		return []*change.Change{c}, nil
	}
	var out []*change.Change
	for _, n := range f.together {
		c, err := f.store.Get(ctx, f.db, n)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (f *fakeSubmitter) Submit(_ context.Context, _ Actor, c *change.Change, ps *change.PatchSet, _ string) error {
	if f.refuse {
		return fail.Errorf(fail.Conflict, "Failed to submit 1 change due to the following problems:\nChange %d: submit requirement 'Code-Review' is unsatisfied.", c.Number)
	}
	f.submitted = ps.Number
	return nil
}
func (f *fakeSubmitter) Rebase(context.Context, Actor, *change.Change, *change.PatchSet, RebaseInput) error {
	return nil
}

type fakeRequirements struct{}

func (fakeRequirements) Evaluate(_ context.Context, _ access.Subject, rows []ChangeRows) ([]Evaluation, error) {
	out := make([]Evaluation, len(rows))
	for i, r := range rows {
		ok := len(r.Votes) > 0 && len(r.Comments) > 0 && r.Files != nil
		out[i] = Evaluation{Submittable: ok, Requirements: []SubmitRequirementResultInfo{{Name: "Code-Review", Status: "SATISFIED"}}}
	}
	return out, nil
}

type fakeMergeability struct{}

func (fakeMergeability) Mergeable(context.Context, *change.Change, *change.PatchSet) (MergeableInfo, error) {
	return MergeableInfo{SubmitType: "MERGE_IF_NECESSARY", Mergeable: true}, nil
}

// pageRightsLabeler is a page labeler that also answers change rights,
// granting only topic edits.
type pageRightsLabeler struct {
	votesLabeler
	pages, calls *int
}

func (l pageRightsLabeler) ForPage() Labeler { *l.pages++; return l }

func (l pageRightsLabeler) Rights(context.Context, access.Subject, *change.Change) (ChangeRights, error) {
	*l.calls++
	return ChangeRights{EditTopic: true}, nil
}

// TestPageRights: a page's change actions come from its own labeler when
// that can tell rights, sharing the page's policies, not from Reviews.
func TestPageRights(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newHandlerEnv(t, d)
		var pages, calls int
		e.api.labeler = pageRightsLabeler{pages: &pages, calls: &calls}
		var ci ChangeInfo
		decodeResponse(t, e.do(t, "GET", "/changes/p~1?o=LABELS&o=CHANGE_ACTIONS", e.alice, "", ""), 200, &ci)
		if _, ok := ci.Actions["topic"]; !ok || ci.Actions["abandon"].Method != "" || calls != 1 || pages != 1 {
			t.Fatalf("actions %s; page rights asked %d times, pages made %d", js(ci.Actions), calls, pages)
		}
	})
}

// TestSubmittedTogether lists what a submit would merge, descendants
// first, counting the changes the caller may not see.
func TestSubmittedTogether(t *testing.T) {
	e := newHandlerEnv(t, dbtest.Open(t, db.SQLite))
	ctx := context.Background()
	when := time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, c := range []*change.Change{
		{Number: 2, Project: "p", Branch: "refs/heads/main", Key: "I" + strings.Repeat("2", 40), OwnerID: e.alice.ID,
			Status: change.StatusNew, Subject: "Base", CurrentPS: 1, Created: when, Updated: when},
		{Number: 3, Project: "p", Branch: "refs/heads/main", Key: "I" + strings.Repeat("3", 40), OwnerID: e.admin.ID,
			Status: change.StatusNew, Subject: "Hidden base", CurrentPS: 1, Private: true, Created: when, Updated: when},
	} {
		err := e.api.db.Tx(ctx, func(tx *db.Tx) error {
			if err := e.store.Insert(ctx, tx, c); err != nil {
				return err
			}
			return e.store.InsertPatchSet(ctx, tx, &change.PatchSet{Change: c.Number, Number: 1,
				Commit: strings.Repeat(fmt.Sprint(c.Number), 40), UploaderID: c.OwnerID, Created: when, Kind: change.KindRework,
				Message: c.Subject + "\n"}, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	numbers := func(cs []*ChangeInfo) string {
		var out []string
		for _, c := range cs {
			out = append(out, fmt.Sprint(c.Number))
		}
		return strings.Join(out, " ")
	}

	var alone []*ChangeInfo
	decodeResponse(t, e.do(t, "GET", "/changes/1/submitted_together", e.alice, "", ""), 200, &alone)
	if len(alone) != 0 {
		t.Fatalf("a change submitted alone: %+v", alone)
	}
	e.submitter.together = []int64{3, 2, 1}
	var list []*ChangeInfo
	decodeResponse(t, e.do(t, "GET", "/changes/1/submitted_together", e.alice, "", ""), 200, &list)
	if got := numbers(list); got != "1 2" {
		t.Fatalf("alice's list: %q, want \"1 2\"", got)
	}
	var info SubmittedTogetherInfo
	decodeResponse(t, e.do(t, "GET", "/changes/1/submitted_together?o=NON_VISIBLE_CHANGES", e.alice, "", ""), 200, &info)
	if got := numbers(info.Changes); got != "1 2" || info.NonVisibleChanges != 1 {
		t.Fatalf("with NON_VISIBLE_CHANGES: %q and %d hidden", got, info.NonVisibleChanges)
	}
	decodeResponse(t, e.do(t, "GET", "/changes/1/submitted_together", e.admin, "", ""), 200, &list)
	if got := numbers(list); got != "1 2 3" {
		t.Fatalf("the owner of 3 sees it: %q", got)
	}
	if w := e.do(t, "POST", "/changes/1/submitted_together", e.alice, "", ""); w.Code != 405 {
		t.Fatalf("POST: %d", w.Code)
	}
	// Asked for, submittable is there when false too, as in Gerrit.
	if w := e.do(t, "GET", "/changes/2?o=SUBMITTABLE", e.alice, "", ""); !strings.Contains(w.Body.String(), `"submittable":false`) {
		t.Fatalf("change 2 with o=SUBMITTABLE: %s", w.Body)
	}
	if w := e.do(t, "GET", "/changes/2", e.alice, "", ""); strings.Contains(w.Body.String(), `"submittable"`) {
		t.Fatalf("change 2 without o=SUBMITTABLE: %s", w.Body)
	}
}
