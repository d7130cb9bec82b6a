// Package webhooks posts Gerrit events to the HTTP endpoints configured in
// projects' webhooks.config files, as Gerrit's webhooks plugin does: the
// file in refs/meta/config, inherited from the parent projects key by key,
// with [remote "NAME"] sections (url; event, repeatable, none meaning all;
// connectionTimeout, socketTimeout, retryInterval in milliseconds; maxTries;
// sslVerify). The body is the event's JSON, as stream-events prints it.
//
// Deliveries are durable: the Worker reads the event log from a position it
// keeps in SQL (event_cursors), turns each event into one row per matching
// URL in webhook_deliveries (unique per event and URL, so expanding twice is
// harmless), and works through the rows that are due. An attempt is
// claimed by moving the row's next_attempt forward (a lease) before the
// request is sent, so several masters may run workers on one database
// without posting an event twice, except when a master dies after the
// endpoint answered and before it recorded the answer: delivery is at
// least once, normally exactly once. Failed attempts are retried with
// exponential backoff from retryInterval until maxTries attempts are made;
// then the row is FAILED. A restart resumes from the rows and the cursor.
//
// Requests go through a Poster, which the composition root implements over
// net/http (this package is domain code and does not import it).
//
// Concurrency: Run owns the Worker's work and returns when its context
// ends; Step is for tests and must not run concurrently with Run.
package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"tandem/internal/clock"
	"tandem/internal/db"
	"tandem/internal/events"
	"tandem/internal/fail"
)

// Request is one POST of an event to a webhook.
type Request struct {
	URL               string
	Body              []byte // the event's JSON
	EventID           int64  // the event's id in the log, for receivers that deduplicate
	ConnectionTimeout time.Duration
	SocketTimeout     time.Duration
	SSLVerify         bool
}

// Poster sends a request and returns nil when the endpoint answered 2xx.
type Poster interface {
	Post(ctx context.Context, r Request) error
}

// Delivery states in webhook_deliveries.
const (
	StatePending = "PENDING"
	StateDone    = "DONE"
	StateFailed  = "FAILED"
)

// cursorName is the worker's row in event_cursors.
const cursorName = "webhooks"

const (
	expandBatch  = 200
	deliverBatch = 50
	maxBackoff   = 10 * time.Minute
	maxErrorText = 500
)

// Options are the dependencies of a Worker.
type Options struct {
	DB       *db.DB
	Log      *events.Log
	Projects Projects
	Poster   Poster
	Clock    clock.Clock  // defaults to the real clock
	Logger   *slog.Logger // may be nil
	// Defaults replace PluginDefaults field by field where non-zero (the
	// plugin's settings in gerrit.config).
	Defaults Settings
	// PollInterval bounds how long Run sleeps without looking for work;
	// events.DefaultPollInterval when zero.
	PollInterval time.Duration
}

// Worker delivers webhooks. See the package documentation.
type Worker struct {
	db       *db.DB
	log      *events.Log
	configs  *configs
	poster   Poster
	clock    clock.Clock
	logger   *slog.Logger
	defaults Settings
	poll     time.Duration
}

// New returns a Worker; it does nothing until Run or Step.
func New(o Options) *Worker {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PollInterval <= 0 {
		o.PollInterval = events.DefaultPollInterval
	}
	def := PluginDefaults
	if o.Defaults.ConnectionTimeout > 0 {
		def.ConnectionTimeout = o.Defaults.ConnectionTimeout
	}
	if o.Defaults.SocketTimeout > 0 {
		def.SocketTimeout = o.Defaults.SocketTimeout
	}
	if o.Defaults.MaxTries > 0 {
		def.MaxTries = o.Defaults.MaxTries
	}
	if o.Defaults.RetryInterval > 0 {
		def.RetryInterval = o.Defaults.RetryInterval
	}
	def.SSLVerify = def.SSLVerify || o.Defaults.SSLVerify
	return &Worker{db: o.DB, log: o.Log, configs: newConfigs(o.Projects), poster: o.Poster, clock: o.Clock,
		logger: o.Logger.With("component", "webhooks"), defaults: def, poll: o.PollInterval}
}

// Run delivers webhooks until ctx ends, then returns nil. It wakes when
// this process appends events, when a retry is due, and at the poll
// interval.
func (w *Worker) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		changed := w.log.Changed()
		wait := w.poll
		next, err := w.Step(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			w.logger.Error("webhook round failed", "err", err)
		case !next.IsZero():
			wait = min(wait, max(next.Sub(w.clock.Now()), 0))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-timer.C:
		}
	}
}

// Step does one round: it turns new events into deliveries and makes the
// attempts that are due. It returns when the next retry is due (zero when
// none is pending).
func (w *Worker) Step(ctx context.Context) (time.Time, error) {
	if err := w.expand(ctx); err != nil {
		return time.Time{}, err
	}
	if err := w.deliver(ctx); err != nil {
		return time.Time{}, err
	}
	var next int64
	err := w.db.QueryRow(ctx, `SELECT COALESCE(MIN(next_attempt), 0) FROM webhook_deliveries WHERE state = $1`,
		StatePending).Scan(&next)
	if err != nil || next == 0 {
		return time.Time{}, err
	}
	return time.UnixMicro(next), nil
}

// cursor returns the worker's position in the log. The first worker ever
// starts at the log's head: events from before webhooks existed are not
// posted.
func (w *Worker) cursor(ctx context.Context) (int64, error) {
	var pos int64
	err := w.db.QueryRow(ctx, `SELECT position FROM event_cursors WHERE name = $1`, cursorName).Scan(&pos)
	if !errors.Is(err, db.ErrNotFound) {
		return pos, err
	}
	head, err := w.log.Head(ctx)
	if err != nil {
		return 0, err
	}
	if _, err := w.db.Exec(ctx, `INSERT INTO event_cursors (name, position) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
		cursorName, head); err != nil {
		return 0, err
	}
	err = w.db.QueryRow(ctx, `SELECT position FROM event_cursors WHERE name = $1`, cursorName).Scan(&pos)
	return pos, err
}

// expand records a delivery for each new event and each remote that takes
// it, and moves the cursor past the events, in one transaction per batch.
func (w *Worker) expand(ctx context.Context) error {
	pos, err := w.cursor(ctx)
	if err != nil {
		return fmt.Errorf("webhook cursor: %w", err)
	}
	for {
		recs, err := w.log.Read(ctx, pos, expandBatch)
		if err != nil || len(recs) == 0 {
			return err
		}
		type delivery struct {
			event int64
			url   string
		}
		var ds []delivery
		byProject := map[string][]Remote{} // for this batch
		for _, r := range recs {
			if r.Project == "" || !events.IsGerritType(r.Type) {
				continue
			}
			remotes, ok := byProject[r.Project]
			if !ok {
				remotes, err = w.remotes(ctx, r.Project)
				switch {
				case fail.Is(err, fail.NotFound) || errors.Is(err, errBadFile):
					// A project that is gone or a broken file must not stop
					// the deliveries of the others.
					w.logger.Warn("webhooks of project", "project", r.Project, "event_id", r.ID, "err", err)
				case err != nil:
					return fmt.Errorf("webhooks of %s: %w", r.Project, err) // retried next round
				}
				byProject[r.Project] = remotes
			}
			seen := map[string]bool{}
			for _, rm := range remotes {
				if rm.Wants(r.Type) && !seen[rm.URL] {
					seen[rm.URL] = true
					ds = append(ds, delivery{r.ID, rm.URL})
				}
			}
		}
		last := recs[len(recs)-1].ID
		now := w.clock.Now().UnixMicro()
		err = w.db.Tx(ctx, func(tx *db.Tx) error {
			for _, d := range ds {
				if _, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (event_id, url, attempts, next_attempt, state)
					VALUES ($1, $2, 0, $3, $4) ON CONFLICT (event_id, url) DO NOTHING`, d.event, d.url, now, StatePending); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, `UPDATE event_cursors SET position = $1 WHERE name = $2 AND position < $1`, last, cursorName)
			return err
		})
		if err != nil {
			return fmt.Errorf("record webhook deliveries: %w", err)
		}
		pos = last
	}
}

// remotes returns the remotes configured for a project.
func (w *Worker) remotes(ctx context.Context, project string) ([]Remote, error) {
	cfg, err := w.configs.effective(ctx, project)
	if err != nil {
		return nil, err
	}
	remotes, err := ParseRemotes(cfg, w.defaults)
	if err != nil {
		w.logger.Warn("bad webhooks.config value", "project", project, "err", err)
	}
	return remotes, nil
}

// due is a delivery whose attempt is due.
type due struct {
	event    int64
	url      string
	attempts int
	next     int64
	project  string
	payload  string
}

// deliver makes the attempts that are due.
func (w *Worker) deliver(ctx context.Context) error {
	rows, err := w.db.Query(ctx, `SELECT d.event_id, d.url, d.attempts, d.next_attempt, e.project, e.payload
		FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.state = $1 AND d.next_attempt <= $2 ORDER BY d.next_attempt, d.event_id LIMIT $3`,
		StatePending, w.clock.Now().UnixMicro(), deliverBatch)
	if err != nil {
		return fmt.Errorf("due webhook deliveries: %w", err)
	}
	var ds []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.event, &d.url, &d.attempts, &d.next, &d.project, &d.payload); err != nil {
			rows.Close()
			return db.Classify(err)
		}
		ds = append(ds, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return db.Classify(err)
	}
	for _, d := range ds {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := w.attempt(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// attempt claims one delivery, posts it and records the outcome.
func (w *Worker) attempt(ctx context.Context, d due) error {
	log := w.logger.With("event_id", d.event, "url", redact(d.url))
	remotes, err := w.remotes(ctx, d.project)
	switch {
	case fail.Is(err, fail.NotFound) || errors.Is(err, errBadFile):
		log.Warn("webhooks of project", "project", d.project, "err", err)
	case err != nil:
		return fmt.Errorf("webhooks of %s: %w", d.project, err)
	}
	var rm *Remote
	for i := range remotes {
		if remotes[i].URL == d.url {
			rm = &remotes[i]
			break
		}
	}
	if rm == nil {
		// The remote was removed from the configuration: stop trying.
		_, err := w.db.Exec(ctx, `UPDATE webhook_deliveries SET state = $1, last_error = $2
			WHERE event_id = $3 AND url = $4 AND state = $5 AND attempts = $6`,
			StateFailed, "webhook no longer configured", d.event, d.url, StatePending, d.attempts)
		return err
	}
	now := w.clock.Now()
	// The lease: another master may retry once it has passed, as this one
	// may have died mid-request.
	lease := now.Add(2*(rm.ConnectionTimeout+rm.SocketTimeout) + 10*time.Second)
	res, err := w.db.Exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt = $1
		WHERE event_id = $2 AND url = $3 AND state = $4 AND attempts = $5 AND next_attempt = $6`,
		lease.UnixMicro(), d.event, d.url, StatePending, d.attempts, d.next)
	if err != nil {
		return fmt.Errorf("claim webhook delivery: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // another worker has it
	}
	attempts := d.attempts + 1
	postErr := w.poster.Post(ctx, Request{
		URL: d.url, Body: []byte(d.payload), EventID: d.event,
		ConnectionTimeout: rm.ConnectionTimeout, SocketTimeout: rm.SocketTimeout, SSLVerify: rm.SSLVerify,
	})
	if postErr != nil && ctx.Err() != nil {
		// Shutting down: hand the attempt back for the next worker (the
		// endpoint may have got it; delivery is at least once).
		_, err := w.db.Exec(context.WithoutCancel(ctx), `UPDATE webhook_deliveries SET next_attempt = $1
			WHERE event_id = $2 AND url = $3 AND state = $4 AND attempts = $5`,
			now.UnixMicro(), d.event, d.url, StatePending, attempts)
		return errors.Join(ctx.Err(), err)
	}
	state, next, lastErr := StateDone, now, ""
	if postErr != nil {
		lastErr = redactError(postErr.Error(), d.url)
		if len(lastErr) > maxErrorText {
			lastErr = lastErr[:maxErrorText]
		}
		if attempts >= max(rm.MaxTries, 1) {
			state = StateFailed
			log.Error("webhook delivery failed", "remote", rm.Name, "attempts", attempts, "err", lastErr)
		} else {
			state = StatePending
			next = w.clock.Now().Add(backoff(rm.RetryInterval, attempts))
			log.Warn("webhook delivery attempt failed", "remote", rm.Name, "attempts", attempts, "retry_at", next, "err", lastErr)
		}
	} else {
		log.Debug("webhook delivered", "remote", rm.Name, "attempts", attempts)
	}
	_, err = w.db.Exec(ctx, `UPDATE webhook_deliveries SET state = $1, next_attempt = $2, last_error = $3
		WHERE event_id = $4 AND url = $5 AND attempts = $6`,
		state, next.UnixMicro(), lastErr, d.event, d.url, attempts)
	if err != nil {
		return fmt.Errorf("record webhook delivery: %w", err)
	}
	return nil
}

// backoff is the wait after the attempts-th failed attempt: interval,
// doubled after each further failure, at most maxBackoff.
func backoff(interval time.Duration, attempts int) time.Duration {
	d := interval
	for i := 1; i < attempts && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// redact hides credentials in a webhook URL meant for logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}

// redactError removes the URL's password from an error text, as errors
// of HTTP clients quote the URL.
func redactError(text, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return text
	}
	if _, ok := u.User.Password(); !ok {
		return text
	}
	return strings.ReplaceAll(text, raw, u.Redacted())
}
