package receive

import (
	"context"

	"tandem/internal/events"
)

// Publisher records events; *events.Log is one.
type Publisher interface {
	Publish(ctx context.Context, evs ...events.Event) error
}

// SetEvents makes rc publish Gerrit's ref-updated event for every ref it
// writes. Call it before the Receiver handles pushes.
func (rc *Receiver) SetEvents(p Publisher) { rc.events = p }

// publishRefUpdates reports refs written by git. They are published after
// the write, in a transaction of their own: an event is lost if the
// process dies in between, never invented for a write that failed.
func (rc *Receiver) publishRefUpdates(ctx context.Context, push *Session, written []*command) {
	if rc.events == nil {
		return
	}
	who := events.AccountAttribute(push.Caller)
	evs := make([]events.Event, 0, len(written))
	for _, c := range written {
		evs = append(evs, &events.RefUpdated{Submitter: who, RefUpdate: events.RefUpdateAttr{
			OldRev: c.old, NewRev: c.new, RefName: c.ref, Project: push.Project}})
	}
	// The refs have moved; their events must be recorded even if the
	// client has gone away meanwhile.
	if err := rc.events.Publish(context.WithoutCancel(ctx), evs...); err != nil {
		rc.log.Error("publish ref-updated events", "project", push.Project, "err", err)
	}
}
