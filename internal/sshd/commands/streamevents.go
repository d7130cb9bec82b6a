package commands

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"tandem/internal/access"
	"tandem/internal/change"
	"tandem/internal/events"
	"tandem/internal/fail"
	"tandem/internal/project"
	"tandem/internal/sshd"
	"tandem/internal/sshd/cmdflag"
)

// streamRetry is the pause after the event log could not be read, before
// the stream tries again from where it was.
const streamRetry = time.Second

// streamEvents is `gerrit stream-events`: Gerrit's events as one JSON
// object per line, from the moment the command starts until the client
// goes away. Events come from the durable log, so a slow listener misses
// nothing; each is passed on only if the listener may see what it is
// about, as of the moment it is sent.
func (c *Commands) streamEvents(ctx context.Context, s *sshd.Session) error {
	var types []string
	fs := cmdflag.New("gerrit stream-events")
	fs.Strings(&types, "--subscribe|-s", "SUBSCRIBE", "subscribe to specific stream-events")
	fs.Args("", 0, 0)
	if _, err := fs.Parse(s.Args); err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if err := c.requireCapability(ctx, cl, "stream events", project.CapStreamEvents); err != nil {
		return err
	}
	if c.events == nil {
		return die("stream-events is not available")
	}
	head, err := c.events.Head(ctx)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, t := range types {
		want[t] = true
	}
	tail := c.events.Tail(head)
	log := c.log.With("account_id", cl.account.ID, "conn", s.ConnID)
	for {
		recs, err := tail.Next(ctx)
		if ctx.Err() != nil || errors.Is(err, events.ErrShutdown) {
			return nil // the client went away, or the server is stopping
		}
		if err != nil {
			log.Error("stream-events: read event log", "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(streamRetry):
			}
			continue
		}
		// Group memberships are read again for each batch, so a listener
		// removed from a group stops seeing what the group let it see; the
		// batch waits until they can be read.
		for {
			groups, err := c.accounts.GroupsOf(ctx, cl.account.ID)
			if err == nil {
				cl.groups = groups
				break
			}
			if ctx.Err() != nil {
				return nil
			}
			log.Error("stream-events: reload groups", "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(streamRetry):
			}
		}
		v := c.newVisibility(cl.subject())
		var out []byte
		for _, r := range recs {
			if !events.IsGerritType(r.Type) || len(want) > 0 && !want[r.Type] {
				continue
			}
			if !v.visible(ctx, r) {
				continue
			}
			out = append(out, r.Payload...)
			out = append(out, '\n')
		}
		if len(out) == 0 {
			continue
		}
		if _, err := s.Stdout.Write(out); err != nil {
			return nil // the client went away
		}
	}
}

// visibility decides which events one listener may see. It is built for
// one batch and caches, for that batch, the listener's Checker per project
// and what it may see of each change events name.
type visibility struct {
	c        *Commands
	subject  access.Subject
	checkers map[string]*access.Checker // nil value: project invisible or gone
	changes  map[int64]changeSight
}

// changeSight is what a listener may see of a change named by events.
type changeSight struct {
	exists  bool // false: deleted, or no way to read changes
	visible bool // when it exists
}

// newVisibility returns the visibility of events to subject, for one
// batch.
func (c *Commands) newVisibility(subject access.Subject) *visibility {
	return &visibility{c: c, subject: subject, checkers: map[string]*access.Checker{}, changes: map[int64]changeSight{}}
}

func (v *visibility) checker(ctx context.Context, name string) *access.Checker {
	if chk, ok := v.checkers[name]; ok {
		return chk
	}
	chk, _, err := v.c.access.Check(ctx, name, v.subject)
	if err != nil {
		if !fail.Is(err, fail.NotFound) {
			v.c.log.Error("stream-events: load access", "project", name, "err", err)
		}
		chk = nil
	}
	v.checkers[name] = chk
	return chk
}

// visible applies Gerrit's rules: an event about a change needs the
// change to be visible, a ref-updated event read access to its ref (a
// patch-set ref: to its change), a project event access to the project.
func (v *visibility) visible(ctx context.Context, r events.Record) bool {
	if r.Project == "" {
		return true
	}
	chk := v.checker(ctx, r.Project)
	switch {
	case chk == nil:
		return false
	case r.Change != 0:
		return v.changeVisible(ctx, chk, r.Change, r.Ref, r.Payload)
	case strings.HasPrefix(r.Ref, "refs/changes/"):
		n, _, ok := change.ParseChangeRef(r.Ref)
		if !ok {
			return chk.Can(r.Ref, project.PermRead)
		}
		return v.changeVisible(ctx, chk, int64(n), "", nil)
	case r.Ref != "":
		return chk.Can(r.Ref, project.PermRead)
	}
	return chk.Visible()
}

// changeVisible reports whether change n (destination branch, when known
// from the event) may be seen, by review's rules. A change that no longer
// exists (change-deleted) is judged by the event's own copy of it.
func (v *visibility) changeVisible(ctx context.Context, chk *access.Checker, n int64, branch string, payload []byte) bool {
	sight, ok := v.changes[n]
	if !ok {
		if sight, ok = v.sight(ctx, chk, n); !ok {
			return false
		}
		v.changes[n] = sight
	}
	if sight.exists {
		return sight.visible
	}
	return branch != "" && chk.Can(branch, project.PermRead) && v.snapshotVisible(chk, branch, payload)
}

// sight reads change n and judges it by review's rules, with the
// listener's checker of its project; false when that failed (logged, and
// not cached: the next event tries again). Without changes or review, no
// change exists.
func (v *visibility) sight(ctx context.Context, chk *access.Checker, n int64) (changeSight, bool) {
	if v.c.changes == nil || v.c.rv.Reviews == nil {
		return changeSight{}, true
	}
	c, err := v.c.changes.Get(ctx, v.c.changes.DB(), n)
	if fail.Is(err, fail.NotFound) {
		return changeSight{}, true
	}
	if err != nil {
		v.c.log.Error("stream-events: load change", "change", n, "err", err)
		return changeSight{}, false
	}
	visible, err := v.c.rv.Reviews.Sees(ctx, v.subject, chk, c)
	if err != nil {
		v.c.log.Error("stream-events: change visibility", "change", n, "err", err)
		return changeSight{}, false
	}
	return changeSight{exists: true, visible: visible}, true
}

// snapshotVisible judges a change known only from an event: a private one
// only by its owner or holders of viewPrivateChanges.
func (v *visibility) snapshotVisible(chk *access.Checker, branch string, payload []byte) bool {
	var ev struct {
		Change *struct {
			Private bool `json:"private"`
			Owner   *struct {
				Username string `json:"username"`
			} `json:"owner"`
		} `json:"change"`
	}
	if json.Unmarshal(payload, &ev) != nil || ev.Change == nil {
		return false
	}
	if !ev.Change.Private || chk.Can(branch, project.PermViewPrivateChanges) {
		return true
	}
	return ev.Change.Owner != nil && ev.Change.Owner.Username != "" && ev.Change.Owner.Username == v.subject.Username
}
