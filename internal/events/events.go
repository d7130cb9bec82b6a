package events

import (
	"encoding/json"
	"time"
)

// Gerrit's event types, as the "type" field and `stream-events -s` name them.
const (
	TypePatchSetCreated     = "patchset-created"
	TypeCommentAdded        = "comment-added"
	TypeChangeMerged        = "change-merged"
	TypeChangeAbandoned     = "change-abandoned"
	TypeChangeRestored      = "change-restored"
	TypeRefUpdated          = "ref-updated"
	TypeReviewerAdded       = "reviewer-added"
	TypeReviewerDeleted     = "reviewer-deleted"
	TypeVoteDeleted         = "vote-deleted"
	TypeTopicChanged        = "topic-changed"
	TypeHashtagsChanged     = "hashtags-changed"
	TypeWIPStateChanged     = "wip-state-changed"
	TypePrivateStateChanged = "private-state-changed"
	TypeChangeDeleted       = "change-deleted"
	TypeProjectCreated      = "project-created"
	TypeProjectHeadUpdated  = "project-head-updated"
	TypeDroppedOutput       = "dropped-output"
)

// gerritTypes are the types Gerrit clients know; other rows of the log
// (cache evictions, later) are internal.
var gerritTypes = map[string]bool{
	TypePatchSetCreated: true, TypeCommentAdded: true, TypeChangeMerged: true, TypeChangeAbandoned: true,
	TypeChangeRestored: true, TypeRefUpdated: true, TypeReviewerAdded: true, TypeReviewerDeleted: true,
	TypeVoteDeleted: true, TypeTopicChanged: true, TypeHashtagsChanged: true, TypeWIPStateChanged: true,
	TypePrivateStateChanged: true, TypeChangeDeleted: true, TypeProjectCreated: true,
	TypeProjectHeadUpdated: true, TypeDroppedOutput: true,
}

// IsGerritType reports whether t is one of Gerrit's event types, which
// stream-events and webhooks deliver.
func IsGerritType(t string) bool { return gerritTypes[t] }

// Event is one of the event types of this package. Field order in their
// JSON follows Gerrit's: the type's own fields first, then the patch set and
// change, then type and eventCreatedOn.
type Event interface {
	header() *Header
	route() route
	eventType() string
}

// Marshal returns ev's JSON, as the log stores it and listeners get it. It
// fills in ev's type.
func Marshal(ev Event) ([]byte, error) {
	ev.header().Type = ev.eventType()
	return json.Marshal(ev)
}

// route is where an event belongs: the log's project, ref and change_id
// columns, which readers filter on without parsing the payload.
type route struct {
	project, ref string
	change       int64
}

// Header holds the fields every event has. Append fills both.
type Header struct {
	Type           string `json:"type"`
	EventCreatedOn int64  `json:"eventCreatedOn"`
}

func (h *Header) header() *Header { return h }

// ChangeEvent holds the fields of every event about a change.
type ChangeEvent struct {
	Change    *ChangeAttr `json:"change"`
	Project   string      `json:"project"`
	RefName   string      `json:"refName"` // the change's destination branch, full name
	ChangeKey ChangeKey   `json:"changeKey"`
}

// ForChange returns the ChangeEvent of change attribute c.
func ForChange(c *ChangeAttr) ChangeEvent {
	return ChangeEvent{Change: c, Project: c.Project, RefName: c.RefName(), ChangeKey: ChangeKey{ID: c.ID}}
}

func (c *ChangeEvent) route() route {
	r := route{project: c.Project, ref: c.RefName}
	if c.Change != nil {
		r.change = c.Change.Number
	}
	return r
}

// PatchSetCreated: a change or a new patch set was uploaded.
type PatchSetCreated struct {
	Uploader *AccountAttr  `json:"uploader,omitempty"`
	PatchSet *PatchSetAttr `json:"patchSet"`
	ChangeEvent
	Header
}

// CommentAdded: a review was posted (votes and/or a message).
type CommentAdded struct {
	Author    *AccountAttr   `json:"author,omitempty"`
	Approvals []ApprovalAttr `json:"approvals,omitempty"`
	Comment   string         `json:"comment"` // the whole change message
	PatchSet  *PatchSetAttr  `json:"patchSet"`
	ChangeEvent
	Header
}

// ChangeMerged: a change was submitted; NewRev is the branch tip after it.
type ChangeMerged struct {
	Submitter *AccountAttr  `json:"submitter,omitempty"`
	NewRev    string        `json:"newRev,omitempty"`
	PatchSet  *PatchSetAttr `json:"patchSet"`
	ChangeEvent
	Header
}

// ChangeAbandoned: a change was abandoned.
type ChangeAbandoned struct {
	Abandoner *AccountAttr  `json:"abandoner,omitempty"`
	Reason    string        `json:"reason,omitempty"`
	PatchSet  *PatchSetAttr `json:"patchSet"`
	ChangeEvent
	Header
}

// ChangeRestored: an abandoned change was restored.
type ChangeRestored struct {
	Restorer *AccountAttr  `json:"restorer,omitempty"`
	Reason   string        `json:"reason,omitempty"`
	PatchSet *PatchSetAttr `json:"patchSet"`
	ChangeEvent
	Header
}

// ReviewerAdded: a reviewer was added to a change.
type ReviewerAdded struct {
	Reviewer *AccountAttr  `json:"reviewer"`
	Adder    *AccountAttr  `json:"adder,omitempty"`
	PatchSet *PatchSetAttr `json:"patchSet"`
	ChangeEvent
	Header
}

// ReviewerDeleted: a reviewer was removed, with the votes removed with it.
type ReviewerDeleted struct {
	Reviewer  *AccountAttr   `json:"reviewer"`
	Remover   *AccountAttr   `json:"remover,omitempty"`
	Approvals []ApprovalAttr `json:"approvals,omitempty"`
	Comment   string         `json:"comment,omitempty"`
	PatchSet  *PatchSetAttr  `json:"patchSet"`
	ChangeEvent
	Header
}

// VoteDeleted: a vote was removed.
type VoteDeleted struct {
	Reviewer  *AccountAttr   `json:"reviewer"`
	Remover   *AccountAttr   `json:"remover,omitempty"`
	Approvals []ApprovalAttr `json:"approvals,omitempty"`
	Comment   string         `json:"comment,omitempty"`
	PatchSet  *PatchSetAttr  `json:"patchSet"`
	ChangeEvent
	Header
}

// TopicChanged: a change's topic was set or removed.
type TopicChanged struct {
	Changer  *AccountAttr `json:"changer,omitempty"`
	OldTopic string       `json:"oldTopic,omitempty"`
	ChangeEvent
	Header
}

// HashtagsChanged: hashtags were added to or removed from a change;
// Hashtags is the set afterwards.
type HashtagsChanged struct {
	Editor   *AccountAttr `json:"editor,omitempty"`
	Added    []string     `json:"added,omitempty"`
	Removed  []string     `json:"removed,omitempty"`
	Hashtags []string     `json:"hashtags,omitempty"`
	ChangeEvent
	Header
}

// WIPStateChanged: a change was marked work in progress or ready.
type WIPStateChanged struct {
	Changer  *AccountAttr  `json:"changer,omitempty"`
	PatchSet *PatchSetAttr `json:"patchSet"`
	ChangeEvent
	Header
}

// PrivateStateChanged: a change was marked private or public.
type PrivateStateChanged struct {
	Changer  *AccountAttr  `json:"changer,omitempty"`
	PatchSet *PatchSetAttr `json:"patchSet"`
	ChangeEvent
	Header
}

// ChangeDeleted: a change was deleted.
type ChangeDeleted struct {
	Deleter *AccountAttr `json:"deleter,omitempty"`
	ChangeEvent
	Header
}

// RefUpdated: a ref was created, moved or deleted. Submitter is who did it.
type RefUpdated struct {
	Submitter *AccountAttr  `json:"submitter,omitempty"`
	RefUpdate RefUpdateAttr `json:"refUpdate"`
	Header
}

func (e *RefUpdated) route() route {
	return route{project: e.RefUpdate.Project, ref: e.RefUpdate.RefName}
}

// ProjectCreated: a project was created; ProjectHead is its HEAD (a full
// ref name).
type ProjectCreated struct {
	ProjectName string `json:"projectName"`
	ProjectHead string `json:"projectHead"`
	Header
}

func (e *ProjectCreated) route() route { return route{project: e.ProjectName} }

// ProjectHeadUpdated: a project's HEAD was changed.
type ProjectHeadUpdated struct {
	ProjectName string `json:"projectName"`
	OldHead     string `json:"oldHead"`
	NewHead     string `json:"newHead"`
	Header
}

func (e *ProjectHeadUpdated) route() route { return route{project: e.ProjectName} }

// DroppedOutput tells a stream-events listener that events were lost. It is
// never stored in the log.
type DroppedOutput struct {
	Header
}

func (e *DroppedOutput) route() route { return route{} }

func (*PatchSetCreated) eventType() string     { return TypePatchSetCreated }
func (*CommentAdded) eventType() string        { return TypeCommentAdded }
func (*ChangeMerged) eventType() string        { return TypeChangeMerged }
func (*ChangeAbandoned) eventType() string     { return TypeChangeAbandoned }
func (*ChangeRestored) eventType() string      { return TypeChangeRestored }
func (*ReviewerAdded) eventType() string       { return TypeReviewerAdded }
func (*ReviewerDeleted) eventType() string     { return TypeReviewerDeleted }
func (*VoteDeleted) eventType() string         { return TypeVoteDeleted }
func (*TopicChanged) eventType() string        { return TypeTopicChanged }
func (*HashtagsChanged) eventType() string     { return TypeHashtagsChanged }
func (*WIPStateChanged) eventType() string     { return TypeWIPStateChanged }
func (*PrivateStateChanged) eventType() string { return TypePrivateStateChanged }
func (*ChangeDeleted) eventType() string       { return TypeChangeDeleted }
func (*RefUpdated) eventType() string          { return TypeRefUpdated }
func (*ProjectCreated) eventType() string      { return TypeProjectCreated }
func (*ProjectHeadUpdated) eventType() string  { return TypeProjectHeadUpdated }
func (*DroppedOutput) eventType() string       { return TypeDroppedOutput }

// seconds is t in epoch seconds, 0 for the zero time.
func seconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
