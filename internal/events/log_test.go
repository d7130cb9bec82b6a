package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"tandem/internal/clock"
	"tandem/internal/db"
	"tandem/internal/db/dbtest"
	"tandem/internal/events"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// newLog returns a log on d whose tails wake only on Notify, so a test
// that passes cannot be relying on polling.
func newLog(t testing.TB, d *db.DB) *events.Log {
	t.Helper()
	return events.NewLog(events.Options{DB: d, Clock: clock.NewFake(created), PollInterval: time.Hour})
}

func refUpdated(project, ref string, n int) *events.RefUpdated {
	return &events.RefUpdated{RefUpdate: events.RefUpdateAttr{
		OldRev: "0000000000000000000000000000000000000000", NewRev: fmt.Sprintf("%040d", n),
		RefName: ref, Project: project}}
}

func TestAppendStoresRowAndPayload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := newLog(t, d)
		head, err := l.Head(ctx)
		if err != nil || head != 0 {
			t.Fatalf("Head of an empty log = %d, %v; want 0", head, err)
		}
		ca := events.ChangeAttribute(chg, alice, "http://review.example.com/")
		evs := []events.Event{
			refUpdated("p1", "refs/heads/main", 1),
			&events.PatchSetCreated{PatchSet: patchSet(), ChangeEvent: events.ForChange(ca)},
			&events.ProjectCreated{ProjectName: "p2", ProjectHead: "refs/heads/main"},
		}
		if err := l.Publish(ctx, evs...); err != nil {
			t.Fatal(err)
		}
		recs, err := l.Read(ctx, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			typ, project, ref string
			change            int64
		}
		want := []row{
			{"ref-updated", "p1", "refs/heads/main", 0},
			{"patchset-created", "tools/gerrit", "refs/heads/main", 42},
			{"project-created", "p2", "", 0},
		}
		if len(recs) != len(want) {
			t.Fatalf("read %d records, want %d", len(recs), len(want))
		}
		for i, r := range recs {
			if got := (row{r.Type, r.Project, r.Ref, r.Change}); got != want[i] {
				t.Errorf("record %d = %+v, want %+v", i, got, want[i])
			}
			if i > 0 && r.ID <= recs[i-1].ID {
				t.Errorf("ids not increasing: %d after %d", r.ID, recs[i-1].ID)
			}
			var h events.Header
			if err := json.Unmarshal(r.Payload, &h); err != nil || h.Type != want[i].typ || h.EventCreatedOn != created.Unix() {
				t.Errorf("payload %s: header %+v, %v; want type %s created %d", r.Payload, h, err, want[i].typ, created.Unix())
			}
		}
		if head, _ := l.Head(ctx); head != recs[2].ID {
			t.Errorf("Head = %d, want %d", head, recs[2].ID)
		}
		if _, err := l.Append(ctx, d, &events.DroppedOutput{}); err == nil {
			t.Error("Append(dropped-output) succeeded; it is never stored")
		}
	})
}

func TestAppendRollsBackWithTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := newLog(t, d)
		errAbort := fmt.Errorf("abort")
		err := d.Tx(ctx, func(tx *db.Tx) error {
			if _, err := l.Append(ctx, tx, refUpdated("p", "refs/heads/x", 1)); err != nil {
				return err
			}
			return errAbort
		})
		if err != errAbort {
			t.Fatalf("Tx = %v, want the abort", err)
		}
		if recs, err := l.Read(ctx, 0, 10); err != nil || len(recs) != 0 {
			t.Fatalf("after rollback: %d records, %v; want none", len(recs), err)
		}
	})
}

// TestConcurrentAppendersNeverSkip has several writers append in
// transactions that do more work after Append, while a reader polls "id >
// last seen" the way every tail does. The reader must end up with every
// committed event, each once, in increasing id order: an id committed
// after a larger one was visible would be skipped.
func TestConcurrentAppendersNeverSkip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := newLog(t, d)
		const writers, perWriter = 6, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					err := d.Tx(ctx, func(tx *db.Tx) error {
						if _, err := l.Append(ctx, tx, refUpdated(fmt.Sprintf("p%d", w), "refs/heads/main", i)); err != nil {
							return err
						}
						// More statements after Append widen the window
						// between taking an id and committing it. They read
						// a table no writer changes: reading events here
						// would make every pair of writers a serialization
						// conflict on PostgreSQL (each misses the other's
						// row), which no production transaction does.
						var n int
						return tx.QueryRow(ctx, `SELECT COUNT(*) FROM changes`).Scan(&n)
					})
					if err != nil {
						errs <- err
						return
					}
					l.Notify()
				}
			}()
		}
		var seen []int64
		pos := int64(0)
		for len(seen) < writers*perWriter {
			recs, err := l.Read(ctx, pos, 7)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				seen = append(seen, r.ID)
				pos = r.ID
			}
			select {
			case err := <-errs:
				t.Fatal(err)
			default:
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		all, err := l.Read(ctx, 0, 10*writers*perWriter)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(seen) {
			t.Fatalf("reader saw %d events, the log has %d", len(seen), len(all))
		}
		for i := range all {
			if all[i].ID != seen[i] {
				t.Fatalf("event %d: reader saw id %d, log has %d (an event was skipped)", i, seen[i], all[i].ID)
			}
		}
	})
}

func TestTailWakesOnNotify(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := newLog(t, d)
		if err := l.Publish(ctx, refUpdated("p", "refs/heads/old", 0)); err != nil {
			t.Fatal(err)
		}
		head, err := l.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tail := l.Tail(head)
		got := make(chan []events.Record, 1)
		errc := make(chan error, 1)
		go func() {
			recs, err := tail.Next(ctx)
			if err != nil {
				errc <- err
				return
			}
			got <- recs
		}()
		// The poll interval is an hour: only Publish's Notify can wake the
		// tail, whether it is already waiting or still reading.
		if err := l.Publish(ctx, refUpdated("p", "refs/heads/new", 1)); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-errc:
			t.Fatal(err)
		case recs := <-got:
			if len(recs) != 1 || recs[0].Ref != "refs/heads/new" {
				t.Fatalf("Next = %+v, want the one new event", recs)
			}
			if tail.Position() != recs[0].ID {
				t.Errorf("Position = %d, want %d", tail.Position(), recs[0].ID)
			}
		}
	})
}

func TestTailStopsWithContext(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	l := newLog(t, d)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := l.Tail(0).Next(ctx)
		done <- err
	}()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Next after cancel = %v, want context.Canceled", err)
	}
}

// TestTailPollsForOtherWriters: events appended through another Log (as
// another master would) reach a tail without Notify, by polling.
func TestTailPollsForOtherWriters(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	reader := events.NewLog(events.Options{DB: d, PollInterval: time.Millisecond})
	writer := newLog(t, d)
	done := make(chan []events.Record, 1)
	go func() {
		recs, _ := reader.Tail(0).Next(context.Background())
		done <- recs
	}()
	if err := writer.Publish(context.Background(), refUpdated("p", "refs/heads/main", 1)); err != nil {
		t.Fatal(err)
	}
	if recs := <-done; len(recs) != 1 {
		t.Fatalf("Next = %d records, want 1", len(recs))
	}
}

// TestAppendWaitsForEarlierAppender makes the race the advisory lock
// prevents on PostgreSQL: transaction A appends and has not committed yet
// when transaction B appends and commits. B must wait for A; otherwise B's
// larger id would be visible while A's is not, and a reader that moved past
// B would never see A.
func TestAppendWaitsForEarlierAppender(t *testing.T) {
	d := dbtest.Open(t, db.Postgres)
	ctx := context.Background()
	l := newLog(t, d)
	appended, release := make(chan struct{}), make(chan struct{})
	aDone, bDone := make(chan error, 1), make(chan error, 1)
	go func() {
		aDone <- d.Tx(ctx, func(tx *db.Tx) error {
			if _, err := l.Append(ctx, tx, refUpdated("a", "refs/heads/a", 1)); err != nil {
				return err
			}
			select {
			case <-appended:
			default:
				close(appended)
			}
			<-release
			return nil
		})
	}()
	<-appended
	go func() { bDone <- l.Publish(ctx, refUpdated("b", "refs/heads/b", 2)) }()
	// Wait until B either finished (the race is lost) or waits for A's lock.
	for waiting := false; !waiting; {
		select {
		case err := <-bDone:
			recs, _ := l.Read(ctx, 0, 10)
			close(release)
			<-aDone
			t.Fatalf("B committed (err %v) while A was open: %d event(s) visible, A's not among them", err, len(recs))
		default:
		}
		var n int
		if err := d.QueryRow(ctx, `SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		waiting = n > 0
		if !waiting {
			time.Sleep(time.Millisecond)
		}
	}
	if recs, err := l.Read(ctx, 0, 10); err != nil || len(recs) != 0 {
		t.Fatalf("while A is open: %d events visible, %v; want none", len(recs), err)
	}
	close(release)
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
	recs, err := l.Read(ctx, 0, 10)
	if err != nil || len(recs) != 2 || recs[0].Project != "a" || recs[1].Project != "b" {
		t.Fatalf("after both: %+v, %v; want a's event then b's", recs, err)
	}
}

func TestTailEndsOnShutdown(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	l := newLog(t, d)
	done := make(chan error, 1)
	go func() {
		_, err := l.Tail(0).Next(context.Background())
		done <- err
	}()
	l.Shutdown()
	if err := <-done; err != events.ErrShutdown {
		t.Fatalf("Next after Shutdown = %v, want ErrShutdown", err)
	}
	if _, err := l.Tail(0).Next(context.Background()); err != events.ErrShutdown {
		t.Fatalf("Next of a new tail after Shutdown = %v, want ErrShutdown", err)
	}
	if err := l.Publish(context.Background(), refUpdated("p", "refs/heads/main", 1)); err != nil {
		t.Fatalf("Publish after Shutdown: %v", err)
	}
}
