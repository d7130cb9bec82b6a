package events_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/events"
)

var (
	created = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	updated = created.Add(90 * time.Second)

	alice = &account.Account{ID: 1000001, Username: "alice", FullName: "Alice Doe",
		PreferredEmail: "alice@example.com", Emails: []string{"alice@example.com", "a@old.example.com"}}
	bob = &account.Account{ID: 1000002, Username: "bob", FullName: "Bob", PreferredEmail: "bob@example.com"}

	chg = &change.Change{Number: 42, Project: "tools/gerrit", Branch: "refs/heads/main",
		Key: "I0123456789abcdef0123456789abcdef01234567", OwnerID: alice.ID, Status: change.StatusNew,
		Subject: "Fix the thing", Created: created, Updated: updated, CurrentPS: 2}
	ps = &change.PatchSet{Change: 42, Number: 2, Commit: "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
		Parents: []string{"1111111111111111111111111111111111111111"}, UploaderID: alice.ID, Created: updated,
		Kind: change.KindRework, Author: change.Person{Name: "Alice", Email: "a@old.example.com"},
		Message: "Fix the thing\n\nChange-Id: I0123456789abcdef0123456789abcdef01234567\n", Insertions: 7, Deletions: 3}
)

const (
	changeJSON = `"change":{"project":"tools/gerrit","branch":"main","id":"I0123456789abcdef0123456789abcdef01234567",` +
		`"number":42,"subject":"Fix the thing","owner":{"name":"Alice Doe","email":"alice@example.com","username":"alice"},` +
		`"url":"http://review.example.com/c/tools/gerrit/+/42",` +
		`"commitMessage":"Fix the thing\n\nChange-Id: I0123456789abcdef0123456789abcdef01234567\n",` +
		`"createdOn":1772359200,"lastUpdated":1772359290,"open":true,"status":"NEW"},` +
		`"project":"tools/gerrit","refName":"refs/heads/main","changeKey":{"id":"I0123456789abcdef0123456789abcdef01234567"}`
	patchSetJSON = `"patchSet":{"number":2,"revision":"c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",` +
		`"parents":["1111111111111111111111111111111111111111"],"ref":"refs/changes/42/42/2",` +
		`"uploader":{"name":"Alice Doe","email":"alice@example.com","username":"alice"},"createdOn":1772359290,` +
		`"author":{"name":"Alice Doe","email":"alice@example.com","username":"alice"},"kind":"REWORK",` +
		`"sizeInsertions":7,"sizeDeletions":-3}`
	aliceJSON = `{"name":"Alice Doe","email":"alice@example.com","username":"alice"}`
	bobJSON   = `{"name":"Bob","email":"bob@example.com","username":"bob"}`
	tail      = `"eventCreatedOn":1772359300}`
)

// changeEvent returns the ChangeEvent of the test change, with its commit
// message as events carry it.
func changeEvent() events.ChangeEvent {
	ca := events.ChangeAttribute(chg, alice, "http://review.example.com/")
	ca.CommitMessage = ps.Message
	return events.ForChange(ca)
}

func patchSet() *events.PatchSetAttr { return events.PatchSetAttribute(ps, alice, nil) }

// at sets the creation time every expected JSON has.
var at = events.Header{EventCreatedOn: 1772359300}

// TestEventJSON checks each event type's JSON against Gerrit's shape
// (Documentation/cmd-stream-events.txt, json.txt).
func TestEventJSON(t *testing.T) {
	tests := []struct {
		desc string
		ev   events.Event
		want string
	}{{
		desc: "patchset-created",
		ev:   &events.PatchSetCreated{Uploader: events.AccountAttribute(alice), PatchSet: patchSet(), ChangeEvent: changeEvent(), Header: at},
		want: `{"uploader":` + aliceJSON + `,` + patchSetJSON + `,` + changeJSON + `,"type":"patchset-created",` + tail,
	}, {
		desc: "comment-added with votes as strings without plus",
		ev: &events.CommentAdded{Author: events.AccountAttribute(bob),
			Approvals: []events.ApprovalAttr{
				{Type: "Code-Review", Description: "Code-Review", Value: "2", OldValue: "0"},
				{Type: "Verified", Description: "Verified", Value: "-1"},
			},
			Comment: "Patch Set 2: Code-Review+2 Verified-1\n\nLGTM", PatchSet: patchSet(), ChangeEvent: changeEvent(), Header: at},
		want: `{"author":` + bobJSON + `,"approvals":[{"type":"Code-Review","description":"Code-Review","value":"2","oldValue":"0"},` +
			`{"type":"Verified","description":"Verified","value":"-1"}],"comment":"Patch Set 2: Code-Review+2 Verified-1\n\nLGTM",` +
			patchSetJSON + `,` + changeJSON + `,"type":"comment-added",` + tail,
	}, {
		desc: "change-merged",
		ev: &events.ChangeMerged{Submitter: events.AccountAttribute(bob), NewRev: "2222222222222222222222222222222222222222",
			PatchSet: patchSet(), ChangeEvent: changeEvent(), Header: at},
		want: `{"submitter":` + bobJSON + `,"newRev":"2222222222222222222222222222222222222222",` + patchSetJSON + `,` +
			changeJSON + `,"type":"change-merged",` + tail,
	}, {
		desc: "change-abandoned",
		ev:   &events.ChangeAbandoned{Abandoner: events.AccountAttribute(bob), Reason: "obsolete", PatchSet: patchSet(), ChangeEvent: changeEvent(), Header: at},
		want: `{"abandoner":` + bobJSON + `,"reason":"obsolete",` + patchSetJSON + `,` + changeJSON + `,"type":"change-abandoned",` + tail,
	}, {
		desc: "change-restored",
		ev:   &events.ChangeRestored{Restorer: events.AccountAttribute(bob), Reason: "needed", PatchSet: patchSet(), ChangeEvent: changeEvent(), Header: at},
		want: `{"restorer":` + bobJSON + `,"reason":"needed",` + patchSetJSON + `,` + changeJSON + `,"type":"change-restored",` + tail,
	}, {
		desc: "reviewer-added",
		ev:   &events.ReviewerAdded{Reviewer: events.AccountAttribute(bob), Adder: events.AccountAttribute(alice), PatchSet: patchSet(), ChangeEvent: changeEvent(), Header: at},
		want: `{"reviewer":` + bobJSON + `,"adder":` + aliceJSON + `,` + patchSetJSON + `,` + changeJSON + `,"type":"reviewer-added",` + tail,
	}, {
		desc: "topic-changed",
		ev:   &events.TopicChanged{Changer: events.AccountAttribute(alice), OldTopic: "old", ChangeEvent: changeEvent(), Header: at},
		want: `{"changer":` + aliceJSON + `,"oldTopic":"old",` + changeJSON + `,"type":"topic-changed",` + tail,
	}, {
		desc: "hashtags-changed",
		ev: &events.HashtagsChanged{Editor: events.AccountAttribute(alice), Added: []string{"b"}, Removed: []string{"a"},
			Hashtags: []string{"b", "c"}, ChangeEvent: changeEvent(), Header: at},
		want: `{"editor":` + aliceJSON + `,"added":["b"],"removed":["a"],"hashtags":["b","c"],` + changeJSON + `,"type":"hashtags-changed",` + tail,
	}, {
		desc: "wip-state-changed",
		ev:   &events.WIPStateChanged{Changer: events.AccountAttribute(alice), PatchSet: patchSet(), ChangeEvent: changeEvent(), Header: at},
		want: `{"changer":` + aliceJSON + `,` + patchSetJSON + `,` + changeJSON + `,"type":"wip-state-changed",` + tail,
	}, {
		desc: "private-state-changed",
		ev:   &events.PrivateStateChanged{Changer: events.AccountAttribute(alice), PatchSet: patchSet(), ChangeEvent: changeEvent(), Header: at},
		want: `{"changer":` + aliceJSON + `,` + patchSetJSON + `,` + changeJSON + `,"type":"private-state-changed",` + tail,
	}, {
		desc: "change-deleted",
		ev:   &events.ChangeDeleted{Deleter: events.AccountAttribute(alice), ChangeEvent: changeEvent(), Header: at},
		want: `{"deleter":` + aliceJSON + `,` + changeJSON + `,"type":"change-deleted",` + tail,
	}, {
		desc: "ref-updated",
		ev: &events.RefUpdated{Submitter: events.AccountAttribute(alice), RefUpdate: events.RefUpdateAttr{
			OldRev: "0000000000000000000000000000000000000000", NewRev: "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
			RefName: "refs/heads/main", Project: "tools/gerrit"}, Header: at},
		want: `{"submitter":` + aliceJSON + `,"refUpdate":{"oldRev":"0000000000000000000000000000000000000000",` +
			`"newRev":"c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00","refName":"refs/heads/main","project":"tools/gerrit"},` +
			`"type":"ref-updated",` + tail,
	}, {
		desc: "project-created",
		ev:   &events.ProjectCreated{ProjectName: "tools/gerrit", ProjectHead: "refs/heads/main", Header: at},
		want: `{"projectName":"tools/gerrit","projectHead":"refs/heads/main","type":"project-created",` + tail,
	}, {
		desc: "dropped-output",
		ev:   &events.DroppedOutput{Header: at},
		want: `{"type":"dropped-output",` + tail,
	}}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got := marshal(t, tc.ev)
			if got != tc.want {
				t.Errorf("JSON of %s:\n got %s\nwant %s", tc.desc, got, tc.want)
			}
		})
	}
}

// marshal returns ev's JSON as the log stores it.
func marshal(t testing.TB, ev events.Event) string {
	t.Helper()
	b, err := events.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAttributes(t *testing.T) {
	t.Run("account without username or name", func(t *testing.T) {
		got := jsonOf(t, events.AccountAttribute(&account.Account{ID: 7, PreferredEmail: "x@example.com"}))
		if want := `{"email":"x@example.com"}`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("unknown author has an empty username", func(t *testing.T) {
		got := jsonOf(t, events.PatchSetAttribute(ps, bob, nil).Author)
		if want := `{"name":"Alice","email":"a@old.example.com","username":""}`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("wip and private only when true", func(t *testing.T) {
		c := *chg
		c.WIP, c.Private, c.Topic, c.Status = true, true, "t1", change.StatusMerged
		ca := events.ChangeAttribute(&c, nil, "http://h/")
		got := jsonOf(t, ca)
		want := `{"project":"tools/gerrit","branch":"main","topic":"t1","id":"I0123456789abcdef0123456789abcdef01234567",` +
			`"number":42,"subject":"Fix the thing","url":"http://h/c/tools/gerrit/+/42","createdOn":1772359200,` +
			`"lastUpdated":1772359290,"open":false,"status":"MERGED","wip":true,"private":true}`
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("a cherry-pick names its source", func(t *testing.T) {
		c := *chg
		c.CherryPickOf, c.CherryPickOfPS = 7, 3
		got := jsonOf(t, events.ChangeAttribute(&c, nil, "http://h/"))
		if want := `"cherryPickOfChange":7,"cherryPickOfPatchSet":3}`; !strings.HasSuffix(got, want) {
			t.Errorf("got %s, want it to end %s", got, want)
		}
	})
	t.Run("change on a non-branch ref keeps its full name", func(t *testing.T) {
		c := *chg
		c.Branch = "refs/meta/config"
		ev := events.ForChange(events.ChangeAttribute(&c, alice, "http://h"))
		if ev.RefName != "refs/meta/config" || ev.Change.Branch != "refs/meta/config" {
			t.Errorf("refName %q, branch %q; want refs/meta/config for both", ev.RefName, ev.Change.Branch)
		}
	})
	t.Run("approval value without plus", func(t *testing.T) {
		v := &change.Vote{Label: "Code-Review", Value: 2, Granted: created}
		got := jsonOf(t, events.ApprovalAttribute(v, bob, "Code-Review"))
		want := `{"type":"Code-Review","description":"Code-Review","value":"2","grantedOn":1772359200,"by":` + bobJSON + `}`
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
	t.Run("files: deletions negative", func(t *testing.T) {
		got := jsonOf(t, events.FileAttribute(&change.File{Path: "b.txt", OldPath: "a.txt", Status: "R", Insertions: 2, Deletions: 5}))
		if want := `{"file":"b.txt","fileOld":"a.txt","type":"RENAMED","insertions":2,"deletions":-5}`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
