// Package change owns changes and their patch sets: the Change-Id footer
// rules, refs/changes naming, the change state machine, and the SQL rows
// behind them (changes, patch sets, files, votes, reviewers, messages,
// comments, hashtags, stars, reviewed-file flags).
//
// A Store is safe for concurrent use. Its write methods take the caller's
// transaction (db.Querier) so that a use case — a push, a review, a submit —
// commits its rows and its events together or not at all.
package change

import (
	"fmt"
	"strings"
	"time"
)

// Status is a change's state.
type Status string

// The states of a change.
const (
	StatusNew       Status = "NEW"
	StatusMerged    Status = "MERGED"
	StatusAbandoned Status = "ABANDONED"
)

// Open reports whether the status is NEW.
func (s Status) Open() bool { return s == StatusNew }

// Change is one change.
type Change struct {
	Number       int64
	Project      string
	Branch       string // full ref name, refs/heads/...
	Key          string // Change-Id, I + 40 hex
	OwnerID      int64
	Status       Status
	Subject      string
	Topic        string
	CurrentPS    int
	WIP          bool
	Private      bool
	Reviewed     bool // review has started
	Created      time.Time
	Updated      time.Time
	Submitted    time.Time // zero unless merged
	SubmitterID  int64
	SubmissionID string
	// RevertOf is the change this one reverts, CherryPickOf and
	// CherryPickOfPS the change and patch set it is a cherry-pick of, when
	// Tandem made it so; else 0.
	RevertOf       int64
	CherryPickOf   int64
	CherryPickOfPS int
	Version        int64 // bumped on every update
}

// ShortBranch returns the branch without refs/heads/.
func (c *Change) ShortBranch() string { return strings.TrimPrefix(c.Branch, "refs/heads/") }

// TripletID is Gerrit's "project~branch~Change-Id" id.
func (c *Change) TripletID() string {
	return escapeProject(c.Project) + "~" + escapeProject(c.ShortBranch()) + "~" + c.Key
}

// ID is Gerrit 3.x's "project~number" id.
func (c *Change) ID() string { return escapeProject(c.Project) + "~" + fmt.Sprint(c.Number) }

// idEscaper URL-escapes what Gerrit escapes in ids: "/" and "~" (and "%"
// and " " so the result decodes back). A Replacer is safe for concurrent use.
var idEscaper = strings.NewReplacer("%", "%25", "/", "%2F", "~", "%7E", " ", "%20")

func escapeProject(s string) string { return idEscaper.Replace(s) }

// URL is a change's web URL as Gerrit 3.x prints it in push output,
// events and footers: <webURL>c/<project>/+/<number>, the project not
// escaped.
func URL(webURL, project string, number int64) string {
	if !strings.HasSuffix(webURL, "/") {
		webURL += "/"
	}
	return fmt.Sprintf("%sc/%s/+/%d", webURL, project, number)
}

// Person is an author or committer of a commit.
type Person struct {
	Name  string
	Email string
	When  time.Time
	TZ    int // minutes east of UTC
}

// PatchSet is one revision of a change.
type PatchSet struct {
	Change      int64
	Number      int
	Commit      string
	Parents     []string
	UploaderID  int64
	Created     time.Time
	Kind        string // REWORK, TRIVIAL_REBASE, NO_CODE_CHANGE, NO_CHANGE, ...
	Description string
	Author      Person
	Committer   Person
	Message     string
	Insertions  int
	Deletions   int
}

// Ref returns the patch set's ref, refs/changes/NN/C/P.
func (ps *PatchSet) Ref() string { return PatchSetRef(int(ps.Change), ps.Number) }

// FirstParent returns the patch set's first parent, "" for a root commit.
func (ps *PatchSet) FirstParent() string {
	if len(ps.Parents) == 0 {
		return ""
	}
	return ps.Parents[0]
}

// File is one file touched by a patch set, relative to its first parent.
type File struct {
	Path       string
	OldPath    string // for renames and copies
	Status     string // A, D, M, R, C, W
	Binary     bool
	Insertions int
	Deletions  int
	Size       int64
	SizeDelta  int64
	// Modes (as numbers: 0o100644) and blob ids on each side; zero and ""
	// on the side without the file, and for rows stored before Tandem
	// recorded them.
	OldMode, NewMode int
	OldSHA, NewSHA   string
}

// Kinds of patch sets relative to the previous one.
const (
	KindRework                         = "REWORK"
	KindTrivialRebase                  = "TRIVIAL_REBASE"
	KindTrivialRebaseWithMessageUpdate = "TRIVIAL_REBASE_WITH_MESSAGE_UPDATE"
	KindMergeFirstParentUpdate         = "MERGE_FIRST_PARENT_UPDATE"
	KindNoCodeChange                   = "NO_CODE_CHANGE"
	KindNoChange                       = "NO_CHANGE"
)

// Vote is one approval: an account's value for a label on a patch set.
type Vote struct {
	Change     int64
	PatchSet   int
	AccountID  int64
	Label      string
	Value      int
	Granted    time.Time
	Tag        string
	PostSubmit bool
	Copied     bool
}

// Reviewer states.
const (
	StateReviewer = "REVIEWER"
	StateCC       = "CC"
	StateRemoved  = "REMOVED"
)

// Reviewer is an account attached to a change.
type Reviewer struct {
	AccountID int64
	State     string
	Updated   time.Time
}

// ChangeMessage is a message on a change's history.
type ChangeMessage struct {
	ID       int64
	Change   int64
	PatchSet int
	AuthorID int64 // 0: Tandem itself
	// RealAuthorID is who posted the message on AuthorID's behalf; 0
	// when the author did.
	RealAuthorID int64
	Message      string
	Tag          string
	Created      time.Time
}

// CommentsNote is what a change message that publishes n inline comments
// adds after its first line: "\n\n(1 comment)", "\n\n(3 comments)"; ""
// for none.
func CommentsNote(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "\n\n(1 comment)"
	}
	return fmt.Sprintf("\n\n(%d comments)", n)
}

// Range is the part of a file an inline comment is about.
type Range struct {
	StartLine, StartCharacter, EndLine, EndCharacter int
}

// Comment is an inline or file comment, published or draft.
type Comment struct {
	ID              string
	Change          int64
	PatchSet        int
	AuthorID        int64
	Path            string
	Side            int // 0: the revision; N > 0: parent N
	Line            int // 0: file comment
	Range           *Range
	InReplyTo       string
	Message         string
	Unresolved      bool
	Draft           bool
	Tag             string
	Written         time.Time
	CommitID        string
	ChangeMessageID int64
}

// BranchLock is the db.Lock key that serializes, across masters, what
// takes a branch's changes out of review: submits to the branch, and
// deletions and moves of its changes.
func BranchLock(project, branch string) string { return "submit " + project + " " + branch }

// VotesOn returns the non-zero votes on patch set ps.
func VotesOn(votes []Vote, ps int) []Vote {
	var out []Vote
	for _, v := range votes {
		if v.PatchSet == ps && v.Value != 0 {
			out = append(out, v)
		}
	}
	return out
}
