package project

import (
	"context"

	"tandem/internal/events"
)

// Publisher records events; *events.Log is one.
type Publisher interface {
	Publish(ctx context.Context, evs ...events.Event) error
}

// publishCreated reports a new project (Gerrit's project-created event).
// It runs once the repository exists, in a transaction of its own: the
// event is lost if the process dies in between, never sent for a project
// that failed.
func (s *Service) publishCreated(ctx context.Context, name, head string) {
	if s.events == nil {
		return
	}
	ev := &events.ProjectCreated{ProjectName: name, ProjectHead: head}
	if err := s.events.Publish(context.WithoutCancel(ctx), ev); err != nil {
		s.log.Error("publish project-created event", "project", name, "err", err)
	}
}
