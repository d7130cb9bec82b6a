package events

import (
	"strconv"
	"strings"

	"tandem/internal/account"
	"tandem/internal/change"
)

// The attribute types below are the objects of Gerrit's JSON data
// (Documentation/json.txt), shared by stream-events, webhooks and
// `gerrit query --format=JSON`. Absent values are omitted, as Gerrit's Gson
// omits nulls; times are epoch seconds.

// AccountAttr is Gerrit's account attribute.
type AccountAttr struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// Username is nil when the account has none; a commit author who is no
	// known account gets "" (Gerrit sends "username":"" then).
	Username *string `json:"username,omitempty"`
}

// ChangeKey is the changeKey of change events.
type ChangeKey struct {
	ID string `json:"id"`
}

// ChangeAttr is Gerrit's change attribute.
type ChangeAttr struct {
	Project       string             `json:"project"`
	Branch        string             `json:"branch"` // short, without refs/heads/
	Topic         string             `json:"topic,omitempty"`
	ID            string             `json:"id"` // the Change-Id
	Number        int64              `json:"number"`
	Subject       string             `json:"subject"`
	Owner         *AccountAttr       `json:"owner,omitempty"`
	URL           string             `json:"url"`
	CommitMessage string             `json:"commitMessage,omitempty"`
	Hashtags      []string           `json:"hashtags,omitempty"`
	CreatedOn     int64              `json:"createdOn"`
	LastUpdated   int64              `json:"lastUpdated,omitempty"`
	Open          bool               `json:"open"`
	Status        string             `json:"status"`
	Comments      []MessageAttr      `json:"comments,omitempty"`
	WIP           bool               `json:"wip,omitempty"`
	Private       bool               `json:"private,omitempty"`
	TrackingIDs   []TrackingIDAttr   `json:"trackingIds,omitempty"`
	CurrentPS     *PatchSetAttr      `json:"currentPatchSet,omitempty"`
	PatchSets     []*PatchSetAttr    `json:"patchSets,omitempty"`
	DependsOn     []DependencyAttr   `json:"dependsOn,omitempty"`
	NeededBy      []DependencyAttr   `json:"neededBy,omitempty"`
	SubmitRecords []SubmitRecordAttr `json:"submitRecords,omitempty"`
	AllReviewers  []*AccountAttr     `json:"allReviewers,omitempty"`
	// The change and patch set this one is a cherry-pick of, if any.
	CherryPickOfChange   int64 `json:"cherryPickOfChange,omitempty"`
	CherryPickOfPatchSet int   `json:"cherryPickOfPatchSet,omitempty"`
}

// RefName returns the full name of the change's destination branch.
func (c *ChangeAttr) RefName() string { return fullRef(c.Branch) }

// PatchSetAttr is Gerrit's patchSet attribute.
type PatchSetAttr struct {
	Number         int                   `json:"number"`
	Revision       string                `json:"revision"`
	Parents        []string              `json:"parents"`
	Ref            string                `json:"ref"`
	Uploader       *AccountAttr          `json:"uploader,omitempty"`
	CreatedOn      int64                 `json:"createdOn"`
	Author         *AccountAttr          `json:"author,omitempty"`
	Kind           string                `json:"kind,omitempty"`
	Approvals      []ApprovalAttr        `json:"approvals,omitempty"`
	Comments       []PatchSetCommentAttr `json:"comments,omitempty"`
	Files          []FileAttr            `json:"files,omitempty"`
	SizeInsertions int                   `json:"sizeInsertions"`
	// SizeDeletions is negative, as Gerrit 3.9 sends it.
	SizeDeletions int `json:"sizeDeletions"`
}

// ApprovalAttr is Gerrit's approval attribute. Values are strings without
// a plus sign ("2", "-1").
type ApprovalAttr struct {
	Type        string       `json:"type"`
	Description string       `json:"description,omitempty"`
	Value       string       `json:"value"`
	OldValue    string       `json:"oldValue,omitempty"`
	GrantedOn   int64        `json:"grantedOn,omitempty"`
	By          *AccountAttr `json:"by,omitempty"`
}

// MessageAttr is a change message in a change attribute.
type MessageAttr struct {
	Timestamp int64        `json:"timestamp"`
	Reviewer  *AccountAttr `json:"reviewer,omitempty"`
	Message   string       `json:"message"`
}

// PatchSetCommentAttr is an inline comment in a patchSet attribute.
type PatchSetCommentAttr struct {
	File     string       `json:"file"`
	Line     int          `json:"line,omitempty"`
	Reviewer *AccountAttr `json:"reviewer,omitempty"`
	Message  string       `json:"message"`
}

// FileAttr is a file of a patchSet attribute. Deletions are negative.
type FileAttr struct {
	File       string `json:"file"`
	FileOld    string `json:"fileOld,omitempty"`
	Type       string `json:"type"` // ADDED, MODIFIED, DELETED, RENAMED, COPIED, REWRITE
	Insertions int    `json:"insertions"`
	Deletions  int    `json:"deletions"`
}

// TrackingIDAttr is an issue tracker reference of a change.
type TrackingIDAttr struct {
	System string `json:"system"`
	ID     string `json:"id"`
}

// DependencyAttr is a change another depends on or is needed by.
type DependencyAttr struct {
	ID                string `json:"id"`
	Number            int64  `json:"number"`
	Revision          string `json:"revision"`
	Ref               string `json:"ref"`
	IsCurrentPatchSet bool   `json:"isCurrentPatchSet"`
}

// SubmitRecordAttr is a submit record of a change.
type SubmitRecordAttr struct {
	Status       string                  `json:"status"`
	Labels       []SubmitLabelAttr       `json:"labels,omitempty"`
	Requirements []SubmitRequirementAttr `json:"requirements,omitempty"`
}

// SubmitLabelAttr is a label of a submit record.
type SubmitLabelAttr struct {
	Label  string       `json:"label"`
	Status string       `json:"status"` // OK, REJECT, NEED, MAY, IMPOSSIBLE
	By     *AccountAttr `json:"by,omitempty"`
}

// SubmitRequirementAttr is a requirement of a submit record.
type SubmitRequirementAttr struct {
	FallbackText string `json:"fallbackText"`
	Type         string `json:"type"`
}

// RefUpdateAttr is the refUpdate of a ref-updated event. A zero id as
// OldRev or NewRev means the ref was created or deleted.
type RefUpdateAttr struct {
	OldRev  string `json:"oldRev"`
	NewRev  string `json:"newRev"`
	RefName string `json:"refName"` // full ref name
	Project string `json:"project"`
}

// AccountAttribute returns the attribute of an account; nil for nil.
func AccountAttribute(a *account.Account) *AccountAttr {
	if a == nil {
		return nil
	}
	attr := &AccountAttr{Name: a.FullName, Email: a.PreferredEmail}
	if a.Username != "" {
		u := a.Username
		attr.Username = &u
	}
	return attr
}

// AuthorAttribute returns the attribute of a commit's author or committer:
// the account's when the person is a known account (a non-nil), else the
// name and email of the commit with an empty username, as Gerrit does.
func AuthorAttribute(p change.Person, a *account.Account) *AccountAttr {
	if a != nil {
		return AccountAttribute(a)
	}
	empty := ""
	return &AccountAttr{Name: p.Name, Email: p.Email, Username: &empty}
}

// ChangeAttribute returns the attribute of change c owned by owner, with
// its URL under webURL (gerrit.canonicalWebUrl). Optional parts
// (commitMessage, hashtags, patch sets, …) are the caller's to add.
func ChangeAttribute(c *change.Change, owner *account.Account, webURL string) *ChangeAttr {
	attr := &ChangeAttr{
		Project:   c.Project,
		Branch:    c.ShortBranch(),
		Topic:     c.Topic,
		ID:        c.Key,
		Number:    c.Number,
		Subject:   c.Subject,
		Owner:     AccountAttribute(owner),
		URL:       change.URL(webURL, c.Project, c.Number),
		CreatedOn: seconds(c.Created),
		Open:      c.Status.Open(),
		Status:    string(c.Status),
		WIP:       c.WIP,
		Private:   c.Private,

		CherryPickOfChange:   c.CherryPickOf,
		CherryPickOfPatchSet: c.CherryPickOfPS,
	}
	if !c.Updated.IsZero() {
		attr.LastUpdated = c.Updated.Unix()
	}
	return attr
}

// PatchSetAttribute returns the attribute of a patch set uploaded by
// uploader. author is the account of the commit's author when known (nil
// otherwise); when it is nil and the author's email is one of the
// uploader's, the uploader stands for the author.
func PatchSetAttribute(ps *change.PatchSet, uploader, author *account.Account) *PatchSetAttr {
	if author == nil && uploader != nil && ownsEmail(uploader, ps.Author.Email) {
		author = uploader
	}
	parents := ps.Parents
	if parents == nil {
		parents = []string{}
	}
	return &PatchSetAttr{
		Number:         ps.Number,
		Revision:       ps.Commit,
		Parents:        parents,
		Ref:            ps.Ref(),
		Uploader:       AccountAttribute(uploader),
		CreatedOn:      seconds(ps.Created),
		Author:         AuthorAttribute(ps.Author, author),
		Kind:           ps.Kind,
		SizeInsertions: ps.Insertions,
		SizeDeletions:  -ps.Deletions,
	}
}

// ApprovalAttribute returns the attribute of a vote cast by by; description
// is the label's name as configured (Gerrit sends the label's name there).
func ApprovalAttribute(a *change.Vote, by *account.Account, description string) ApprovalAttr {
	return ApprovalAttr{
		Type:        a.Label,
		Description: description,
		Value:       strconv.Itoa(a.Value),
		GrantedOn:   seconds(a.Granted),
		By:          AccountAttribute(by),
	}
}

// FileAttribute returns the attribute of a file of a patch set.
func FileAttribute(f *change.File) FileAttr {
	types := map[string]string{"A": "ADDED", "D": "DELETED", "M": "MODIFIED", "R": "RENAMED", "C": "COPIED", "W": "REWRITE"}
	t, ok := types[f.Status]
	if !ok {
		t = "MODIFIED"
	}
	return FileAttr{File: f.Path, FileOld: f.OldPath, Type: t, Insertions: f.Insertions, Deletions: -f.Deletions}
}

func ownsEmail(a *account.Account, email string) bool {
	if email == "" {
		return false
	}
	if strings.EqualFold(a.PreferredEmail, email) {
		return true
	}
	for _, e := range a.Emails {
		if strings.EqualFold(e, email) {
			return true
		}
	}
	return false
}

// fullRef turns a branch as a change attribute names it back into a ref.
func fullRef(branch string) string {
	if strings.HasPrefix(branch, "refs/") {
		return branch
	}
	return "refs/heads/" + branch
}
