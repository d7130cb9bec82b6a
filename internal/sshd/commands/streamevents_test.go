package commands

import (
	"context"
	"fmt"
	"testing"
	"time"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/events"
	"tandem/internal/project"
)

// TestStreamEventsVisibility checks which events a listener is given:
// change events need the change to be visible (private ones to their
// owner, reviewers and CCs only), ref-updated needs read access to the ref
// (for a patch-set ref, to its change), project events access to the
// project.
func TestStreamEventsVisibility(t *testing.T) {
	ctx := context.Background()
	e := newReviewEnv(t)
	users := map[string]*account.Account{"admin": e.admin}
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		users[name] = e.user(name)
	}

	now := time.Now()
	newChange := func(n int64, private bool) *change.Change {
		ch := &change.Change{Number: n, Project: "p", Branch: "refs/heads/main", Key: fmt.Sprintf("I%040d", n),
			OwnerID: users["alice"].ID, Status: change.StatusNew, Subject: "s", CurrentPS: 1, Private: private,
			Created: now, Updated: now}
		if err := e.changes.Insert(ctx, e.db, ch); err != nil {
			t.Fatal(err)
		}
		return ch
	}
	public := newChange(1, false)
	private := newChange(2, true)
	for name, state := range map[string]string{"carol": change.StateCC, "dave": change.StateRemoved} {
		if err := e.changes.SetReviewer(ctx, e.db, private.Number, users[name].ID, state, now); err != nil {
			t.Fatal(err)
		}
	}
	gone := &change.Change{Number: 99, Project: "p", Branch: "refs/heads/main", Key: "I0000000000000000000000000000000000000099",
		OwnerID: users["alice"].ID, Status: change.StatusNew, Private: true, Created: now}

	record := func(ev events.Event) events.Record {
		t.Helper()
		payload, err := events.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var r events.Record
		switch e := ev.(type) {
		case *events.RefUpdated:
			r = events.Record{Type: events.TypeRefUpdated, Project: e.RefUpdate.Project, Ref: e.RefUpdate.RefName}
		case *events.ProjectCreated:
			r = events.Record{Type: events.TypeProjectCreated, Project: e.ProjectName}
		}
		r.Payload = payload
		return r
	}
	changeRecord := func(ch *change.Change) events.Record {
		t.Helper()
		ca := events.ChangeAttribute(ch, users["alice"], "http://h/")
		payload, err := events.Marshal(&events.ChangeDeleted{ChangeEvent: events.ForChange(ca)})
		if err != nil {
			t.Fatal(err)
		}
		return events.Record{Type: events.TypeChangeDeleted, Project: ch.Project, Ref: ch.Branch, Change: ch.Number, Payload: payload}
	}
	refUpdated := func(project, ref string) events.Record {
		return record(&events.RefUpdated{RefUpdate: events.RefUpdateAttr{Project: project, RefName: ref}})
	}

	tests := []struct {
		desc    string
		rec     events.Record
		seen    []string // the users who get the event
		notSeen []string
	}{
		{"public change", changeRecord(public), []string{"alice", "bob", "admin"}, nil},
		{"private change: owner, CC", changeRecord(private), []string{"alice", "carol"}, []string{"bob", "dave", "admin"}},
		{"deleted private change, judged by the event", changeRecord(gone), []string{"alice"}, []string{"bob", "carol"}},
		{"branch update", refUpdated("p", "refs/heads/main"), []string{"bob", "admin"}, nil},
		{"patch-set ref of a private change", refUpdated("p", change.PatchSetRef(int(private.Number), 1)), []string{"alice", "carol"}, []string{"bob"}},
		{"refs/meta/config", refUpdated("p", project.ConfigRef), []string{"admin"}, []string{"bob"}},
		{"project created", record(&events.ProjectCreated{ProjectName: "p", ProjectHead: "refs/heads/main"}), []string{"bob"}, nil},
		{"project that does not exist", refUpdated("nope", "refs/heads/main"), nil, []string{"admin", "bob"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			for _, who := range append(append([]string{}, tc.seen...), tc.notSeen...) {
				a := users[who]
				groups, err := e.accounts.GroupsOf(ctx, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				v := e.cmds.newVisibility(access.Subject{AccountID: a.ID, Username: a.Username, Groups: groups})
				want := false
				for _, s := range tc.seen {
					want = want || s == who
				}
				if got := v.visible(ctx, tc.rec); got != want {
					t.Errorf("%s sees the event: %v, want %v", who, got, want)
				}
			}
		})
	}
}
