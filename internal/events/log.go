package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"tandem/internal/clock"
	"tandem/internal/db"
)

// appendLockKey is the PostgreSQL advisory lock that serializes appenders
// ("tdevents" in ASCII); see Append.
const appendLockKey int64 = 0x7464657665_6e7473

// DefaultPollInterval is how often a Tail looks for events when nothing
// wakes it: the bound on the delay of events appended by other masters.
const DefaultPollInterval = time.Second

// readBatch bounds the records one Read of a Tail returns.
const readBatch = 200

// Options are the dependencies of a Log.
type Options struct {
	DB     *db.DB
	Clock  clock.Clock  // eventCreatedOn; defaults to the real clock
	Logger *slog.Logger // may be nil
	// PollInterval is how often tails look for events appended elsewhere;
	// DefaultPollInterval when zero.
	PollInterval time.Duration
}

// Log is the durable event log (the events table). It is safe for
// concurrent use.
type Log struct {
	db    *db.DB
	clock clock.Clock
	log   *slog.Logger
	poll  time.Duration

	mu   sync.Mutex
	wake chan struct{} // closed and replaced by Notify

	stop     chan struct{} // closed by Shutdown
	stopOnce sync.Once
}

// NewLog returns the log stored in o.DB.
func NewLog(o Options) *Log {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	return &Log{db: o.DB, clock: o.Clock, log: o.Logger.With("component", "events"), poll: o.PollInterval,
		wake: make(chan struct{}), stop: make(chan struct{})}
}

// ErrShutdown is returned by Tail.Next once the log is shut down.
var ErrShutdown = errors.New("event log shut down")

// Shutdown ends the waits of every Tail, now and later (Next returns
// ErrShutdown), so that long-lived readers such as stream-events end when
// the daemon drains. Appending and reading still work.
func (l *Log) Shutdown() { l.stopOnce.Do(func() { close(l.stop) }) }

// Record is one event as stored.
type Record struct {
	ID      int64
	Created time.Time
	Type    string
	Project string // "" for events about no project
	Ref     string // the ref the event is about (a change's destination branch); may be ""
	Change  int64  // the change number, 0 when the event is about no change
	Payload []byte // the event's JSON, as sent to listeners and webhooks
}

// Append adds ev to the log inside the caller's transaction tx, so that the
// event exists exactly when what it reports does. It fills ev's type and,
// when zero, its eventCreatedOn, and returns the event's id.
//
// Ids become visible in increasing order, so a reader that remembers the
// last id it saw never skips one: SQLite runs one writer at a time, and on
// PostgreSQL Append takes a transaction-scoped advisory lock before taking
// its id, which makes appenders take ids and commit one after the other.
// The lock is held until tx ends, so call Append last in the transaction,
// after any slow work (another appender waits meanwhile), and call Notify
// once tx has committed. Given the database itself rather than a
// transaction, Append runs in a transaction of its own.
func (l *Log) Append(ctx context.Context, tx db.Querier, ev Event) (int64, error) {
	if _, ok := tx.(*db.DB); ok {
		// The advisory lock lasts a transaction: outside one it would be
		// released before the insert.
		var id int64
		err := l.db.Tx(ctx, func(tx *db.Tx) error {
			var err error
			id, err = l.Append(ctx, tx, ev)
			return err
		})
		return id, err
	}
	r := ev.route()
	h := ev.header()
	if ev.eventType() == TypeDroppedOutput {
		return 0, errors.New("append event: dropped-output is not stored")
	}
	now := l.clock.Now()
	if h.EventCreatedOn == 0 {
		h.EventCreatedOn = now.Unix()
	}
	payload, err := Marshal(ev)
	if err != nil {
		return 0, fmt.Errorf("encode %s event: %w", ev.eventType(), err)
	}
	if l.db.Type() == db.Postgres {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, appendLockKey); err != nil {
			return 0, fmt.Errorf("lock event log: %w", err)
		}
	}
	var change any
	if r.change != 0 {
		change = r.change
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO events (created_on, type, project, ref, change_id, payload)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		now.UTC().UnixMicro(), h.Type, r.project, r.ref, change, string(payload)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("append %s event: %w", h.Type, err)
	}
	l.log.Debug("event appended", "event_id", id, "type", h.Type, "project", r.project, "ref", r.ref)
	return id, nil
}

// Publish appends evs in a transaction of their own and notifies readers:
// for events about something already done outside SQL (a ref written by
// git, a repository created). If the process dies between that work and
// Publish the events are lost, which is what Append in the same
// transaction avoids for SQL state.
func (l *Log) Publish(ctx context.Context, evs ...Event) error {
	if len(evs) == 0 {
		return nil
	}
	err := l.db.Tx(ctx, func(tx *db.Tx) error {
		for _, ev := range evs {
			if _, err := l.Append(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	l.Notify()
	return nil
}

// Notify wakes the tails of this process; call it after committing a
// transaction that appended events. Tails of other masters find the
// events by polling (PostgreSQL LISTEN/NOTIFY is to wake them in the
// cluster work).
func (l *Log) Notify() {
	l.mu.Lock()
	close(l.wake)
	l.wake = make(chan struct{})
	l.mu.Unlock()
}

// Changed returns a channel closed by the next Notify, for readers that
// wait on more than the log. Take it before reading, so a Notify during
// the read is not missed.
func (l *Log) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wake
}

// Head returns the id of the newest event, 0 when there is none: reading
// after it gives the events appended from now on.
func (l *Log) Head(ctx context.Context) (int64, error) {
	var id int64
	if err := l.db.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM events`).Scan(&id); err != nil {
		return 0, fmt.Errorf("event log head: %w", err)
	}
	return id, nil
}

// Read returns up to limit events with ids greater than after, in order.
func (l *Log) Read(ctx context.Context, after int64, limit int) ([]Record, error) {
	rows, err := l.db.Query(ctx, `SELECT id, created_on, type, project, ref, COALESCE(change_id, 0), payload
		FROM events WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var created int64
		var payload string
		if err := rows.Scan(&r.ID, &created, &r.Type, &r.Project, &r.Ref, &r.Change, &payload); err != nil {
			return nil, fmt.Errorf("read events: %w", db.Classify(err))
		}
		r.Created = time.UnixMicro(created).UTC()
		r.Payload = []byte(payload)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", db.Classify(err))
	}
	return out, nil
}

// Tail returns a reader of the events after id after (Head for "from
// now on"). A Tail holds no goroutine and no connection between calls;
// dropping it is enough.
func (l *Log) Tail(after int64) *Tail { return &Tail{log: l, pos: after} }

// Tail reads the log in order. It is not safe for concurrent use.
type Tail struct {
	log *Log
	pos int64
}

// Position returns the id of the last event Next returned.
func (t *Tail) Position() int64 { return t.pos }

// Next returns the next events, waiting until there is at least one, ctx
// ends (then it returns ctx's error) or the log is shut down (ErrShutdown).
// It wakes on Notify and polls at the log's poll interval for events of
// other masters.
func (t *Tail) Next(ctx context.Context) ([]Record, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		// Taken before reading, so a Notify during the read is not lost.
		woken := t.log.Changed()
		recs, err := t.log.Read(ctx, t.pos, readBatch)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		if len(recs) > 0 {
			t.pos = recs[len(recs)-1].ID
			return recs, nil
		}
		if timer == nil {
			timer = time.NewTimer(t.log.poll)
		} else {
			timer.Reset(t.log.poll)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.log.stop:
			return nil, ErrShutdown
		case <-woken:
		case <-timer.C:
		}
	}
}
