package restapi

// The /changes/ REST API: queries, change and revision reads, and the
// write endpoints, which are delegated to the domain through the small
// interfaces below. Reads are answered from SQL (batched for a page of
// changes) and git; every change is checked for visibility before anything
// about it is answered, and an invisible change is "Not found" like a
// missing one.

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/fail"
)

// Actor is who performs a write: the signed-in account and its subject for
// access checks.
type Actor struct {
	Account *account.Account
	Subject access.Subject
}

// QueryPage selects the matches of a query a request returns.
type QueryPage struct {
	Start    int  // S=: matches to skip
	Limit    int  // n=: page size; 0 or above MaxLimit is MaxLimit
	MaxLimit int  // the caller's queryLimit capability
	NoLimit  bool // no-limit: every match
}

// ChangeQuery runs change queries (internal/query).
type ChangeQuery interface {
	// Run returns the changes matching query that viewer may see, most
	// recently updated first, the page of them page selects, and whether
	// more match. Errors
	// that are the caller's fault are fail errors (400 with the parser's
	// message; 403 "Must be signed-in to use this operator").
	Run(ctx context.Context, viewer access.Subject, query string, page QueryPage) ([]*change.Change, bool, error)
	// Sees returns whether viewer may see a change, by the same rules as
	// Run, given viewer's checker of the change's project.
	Sees(ctx context.Context, viewer access.Subject, chk *access.Checker, c *change.Change) (bool, error)
}

// ChangeRows are the rows of one change a page has loaded in batches, for
// the evaluators below (internal/review's Snapshot).
type ChangeRows struct {
	Change    *change.Change
	PatchSets []*change.PatchSet // ordered by number
	Votes     []change.Vote      // on every patch set
	Reviewers []change.Reviewer  // REMOVED entries included
	Hashtags  []string
	// Comments (published) and Files (of the current patch set) are
	// loaded for Requirements only.
	Comments []change.Comment
	Files    []change.File
}

// Requirements evaluates submit requirements (internal/review).
type Requirements interface {
	// Evaluate returns, for each change in order, the submit requirements
	// and submit records of its current patch set as viewer sees them.
	Evaluate(ctx context.Context, viewer access.Subject, changes []ChangeRows) ([]Evaluation, error)
}

// Labeler computes a change's labels with the project's label rules
// (internal/review); this package has no label rules of its own.
type Labeler interface {
	// Labels returns the change's LabelInfo by label name (accounts by id
	// only; they are rendered here), the viewer's permitted_labels (nil
	// for anonymous viewers) and the reviewers the viewer may remove.
	// detailed asks for DETAILED_LABELS (all, values, default_value).
	Labels(ctx context.Context, viewer access.Subject, rows ChangeRows, detailed bool) (LabelsResult, error)
}

// PageLabeler is implemented by a Labeler that can share work across the
// changes of one page (project policies, say); pages use ForPage's result.
type PageLabeler interface {
	ForPage() Labeler
}

// PageRights is implemented by a page's Labeler that can also tell a
// caller's rights on each change with the policies the page shares;
// without it each change's rights come from Reviews.
type PageRights interface {
	Rights(ctx context.Context, viewer access.Subject, c *change.Change) (ChangeRights, error)
}

// LabelsResult is what a Labeler computed for one change.
type LabelsResult struct {
	Labels    map[string]*LabelInfo
	Permitted map[string][]string
	Removable []int64
}

// Evaluation is the submit state of one change.
type Evaluation struct {
	Submittable  bool
	SubmitType   string
	Requirements []SubmitRequirementResultInfo
	Records      []SubmitRecordInfo
}

// Reviews performs review actions (internal/review). Each method checks
// permissions and the change's state, commits its rows and events in one
// transaction, and returns fail errors carrying Gerrit's texts (409
// "change is closed", 400 `label "X": N is not a valid value`, …).
type Reviews interface {
	Review(ctx context.Context, by Actor, c *change.Change, ps *change.PatchSet, in ReviewInput) (ReviewResult, error)
	Abandon(ctx context.Context, by Actor, c *change.Change, message string) error
	Restore(ctx context.Context, by Actor, c *change.Change, message string) error
	// Rights says what the viewer may do to the change, for its actions.
	Rights(ctx context.Context, viewer access.Subject, c *change.Change) (ChangeRights, error)
	// Move retargets the change to another branch of its project.
	Move(ctx context.Context, by Actor, c *change.Change, in MoveInput) error
	// Delete deletes the change, its rows and its refs.
	Delete(ctx context.Context, by Actor, c *change.Change) error
	SetTopic(ctx context.Context, by Actor, c *change.Change, topic string) error
	SetHashtags(ctx context.Context, by Actor, c *change.Change, add, remove []string) ([]string, error)
	AddReviewer(ctx context.Context, by Actor, c *change.Change, in ReviewerInput) (ReviewerAdded, error)
	RemoveReviewer(ctx context.Context, by Actor, c *change.Change, accountID int64) error
	// AddToAttentionSet adds in.User to the change's attention set and
	// returns the account's id.
	AddToAttentionSet(ctx context.Context, by Actor, c *change.Change, in AttentionSetInput) (int64, error)
	RemoveFromAttentionSet(ctx context.Context, by Actor, c *change.Change, accountID int64, reason string) error
	SetWorkInProgress(ctx context.Context, by Actor, c *change.Change, wip bool, message string) error
	SetPrivate(ctx context.Context, by Actor, c *change.Change, private bool, message string) error
	// SaveDraft creates (in.ID empty) or replaces one of the caller's
	// draft comments on patch set ps; in.Path is the file.
	SaveDraft(ctx context.Context, by Actor, c *change.Change, ps *change.PatchSet, in CommentInput) (*change.Comment, error)
	DeleteDraft(ctx context.Context, by Actor, c *change.Change, id string) error
	SetStar(ctx context.Context, by Actor, c *change.Change, on bool) error
}

// ChangeRights is what a caller may do to a change.
type ChangeRights struct {
	Abandon, Restore, Move, Delete, EditTopic, EditHashtags, ToggleWIP, SetPrivate, Revert bool
}

// Submitter submits and rebases changes (internal/submit).
type Submitter interface {
	// Submit merges the change (at patch set ps, its current one) and its
	// open ancestors, recorded as submitted by the account onBehalfOf
	// names when not empty; 409 errors carry Gerrit's texts.
	Submit(ctx context.Context, by Actor, c *change.Change, ps *change.PatchSet, onBehalfOf string) error
	// SubmittedTogether lists what a submit of c would merge, c included,
	// ancestors first, whoever may see them.
	SubmittedTogether(ctx context.Context, c *change.Change) ([]*change.Change, error)
	// Rebase adds a patch set rebasing ps onto in.Base (the branch tip
	// when empty); 409 "Change is already up to date." when there is
	// nothing to do.
	Rebase(ctx context.Context, by Actor, c *change.Change, ps *change.PatchSet, in RebaseInput) error
}

// Mergeability tells whether a patch set could be submitted now
// (internal/merge).
type Mergeability interface {
	Mergeable(ctx context.Context, c *change.Change, ps *change.PatchSet) (MergeableInfo, error)
}

// The list options of Gerrit's ListChangesOption; the value is the bit in
// the O= hex mask.
const (
	optLabels             = 0
	optCurrentRevision    = 1
	optAllRevisions       = 2
	optCurrentCommit      = 3
	optAllCommits         = 4
	optCurrentFiles       = 5
	optAllFiles           = 6
	optDetailedAccounts   = 7
	optDetailedLabels     = 8
	optMessages           = 9
	optCurrentActions     = 10
	optReviewed           = 11
	optDraftComments      = 12
	optDownloadCommands   = 13
	optWebLinks           = 14
	optCheck              = 15
	optChangeActions      = 16
	optCommitFooters      = 17
	optPushCertificates   = 18
	optReviewerUpdates    = 19
	optSubmittable        = 20
	optTrackingIDs        = 21
	optSkipMergeable      = 22
	optSkipDiffstat       = 23
	optSubmitRequirements = 24
	optCustomKeyedValues  = 25
	optStar               = 26
	optParents            = 27
)

var listOptionNames = map[string]uint{
	"LABELS": optLabels, "CURRENT_REVISION": optCurrentRevision, "ALL_REVISIONS": optAllRevisions,
	"CURRENT_COMMIT": optCurrentCommit, "ALL_COMMITS": optAllCommits, "CURRENT_FILES": optCurrentFiles,
	"ALL_FILES": optAllFiles, "DETAILED_ACCOUNTS": optDetailedAccounts, "DETAILED_LABELS": optDetailedLabels,
	"MESSAGES": optMessages, "CURRENT_ACTIONS": optCurrentActions, "REVIEWED": optReviewed,
	"DRAFT_COMMENTS": optDraftComments, "DOWNLOAD_COMMANDS": optDownloadCommands, "WEB_LINKS": optWebLinks,
	"CHECK": optCheck, "CHANGE_ACTIONS": optChangeActions, "COMMIT_FOOTERS": optCommitFooters,
	"PUSH_CERTIFICATES": optPushCertificates, "REVIEWER_UPDATES": optReviewerUpdates,
	"SUBMITTABLE": optSubmittable, "TRACKING_IDS": optTrackingIDs, "SKIP_MERGEABLE": optSkipMergeable,
	"SKIP_DIFFSTAT": optSkipDiffstat, "SUBMIT_REQUIREMENTS": optSubmitRequirements,
	"CUSTOM_KEYED_VALUES": optCustomKeyedValues, "STAR": optStar, "PARENTS": optParents,
}

// changeOptions is a set of list options.
type changeOptions uint64

func optionsOf(bits ...uint) changeOptions {
	var o changeOptions
	for _, b := range bits {
		o |= 1 << b
	}
	return o
}

func (o changeOptions) has(bit uint) bool { return o&(1<<bit) != 0 }

// anyOf reports whether one of bits is set.
func (o changeOptions) anyOf(bits ...uint) bool { return o&optionsOf(bits...) != 0 }

// parseChangeOptions reads o= (names, repeatable, case-insensitive) and O=
// (a hex mask). Unknown names are ignored and logged: old clients send
// options Gerrit has since removed.
func parseChangeOptions(query map[string][]string, log *slog.Logger) changeOptions {
	var o changeOptions
	for _, v := range query["o"] {
		for _, name := range strings.Split(v, ",") {
			name = strings.ToUpper(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			bit, ok := listOptionNames[name]
			if !ok {
				log.Info("ignoring unknown change option", "option", name)
				continue
			}
			o |= 1 << bit
		}
	}
	for _, v := range query["O"] {
		if mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64); err == nil {
			o |= changeOptions(mask)
		} else {
			log.Info("ignoring malformed change option mask", "mask", v)
		}
	}
	return o
}

// detailOptions are what GET /changes/{id}/detail adds.
var detailOptions = optionsOf(optLabels, optDetailedLabels, optDetailedAccounts, optReviewerUpdates, optMessages,
	optSubmitRequirements)

// serveChanges handles /changes/...
func (a *API) serveChanges(q *request) error {
	if a.changes == nil {
		if len(q.segs) == 1 || q.segs[1] == "" {
			return writeJSON(q, http.StatusOK, []*ChangeInfo{})
		}
		return notFound(q.segs[1])
	}
	if len(q.segs) == 1 || q.segs[1] == "" {
		switch q.method() {
		case http.MethodGet:
			return a.queryChanges(q)
		case http.MethodPost:
			return a.createChange(q)
		}
		return methodNotAllowed()
	}
	rc, err := a.resolveChange(q, rawSegment(q, 1))
	if err != nil {
		return err
	}
	rest := q.segs[2:]
	if len(rest) == 0 {
		switch q.method() {
		case http.MethodGet:
			return a.writeChange(q, rc.change, parseChangeOptions(q.query, a.log))
		case http.MethodDelete:
			return a.deleteChange(q, rc)
		}
		return methodNotAllowed()
	}
	switch rest[0] {
	case "detail":
		if q.method() != http.MethodGet {
			return methodNotAllowed()
		}
		return a.writeChange(q, rc.change, parseChangeOptions(q.query, a.log)|detailOptions)
	case "message":
		if q.method() != http.MethodGet {
			return methodNotAllowed()
		}
		return a.getCommitMessage(q, rc)
	case "topic":
		return a.serveTopic(q, rc)
	case "hashtags":
		return a.serveHashtags(q, rc)
	case "reviewers":
		return a.serveReviewers(q, rc, rest[1:])
	case "attention":
		return a.serveAttention(q, rc, rest[1:])
	case "comments":
		return a.serveComments(q, rc, nil, rest[1:])
	case "robotcomments":
		return noRobotComments(q, rest[1:])
	case "drafts":
		return a.serveDrafts(q, rc, nil, rest[1:])
	case "abandon", "restore", "wip", "ready", "private", "private.delete":
		return a.serveStateAction(q, rc, rest[0])
	case "move":
		return a.moveChange(q, rc)
	case "submit":
		return a.submit(q, rc, nil)
	case "submitted_together":
		return a.submittedTogether(q, rc)
	case "in":
		return a.includedIn(q, rc)
	case "messages":
		return a.listMessages(q, rc, rest[1:])
	case "revert":
		return a.revert(q, rc)
	case "pure_revert":
		return a.pureRevert(q, rc)
	case "suggest_reviewers":
		return a.suggestReviewers(q, rc)
	case "edit", "edit:publish", "edit:message":
		return a.serveEdit(q, rc, rest)
	case "rebase":
		return a.rebase(q, rc, nil)
	case "revisions":
		if len(rest) < 2 || rest[1] == "" {
			return notFound(q.r.URL.Path)
		}
		ps, err := a.resolveRevision(q, rc, rest[1])
		if err != nil {
			return err
		}
		return a.serveRevision(q, rc, ps, rest[2:])
	}
	return notFound(q.r.URL.Path)
}

// rawSegment returns path segment i after the root (and after /a), still
// escaped, so ids can be split on "~" before decoding.
func rawSegment(q *request, i int) string {
	path := q.r.URL.EscapedPath()
	if path == "/a" || strings.HasPrefix(path, "/a/") {
		path = strings.TrimPrefix(path, "/a")
	}
	raw := strings.Split(strings.Trim(path, "/"), "/")
	if i < len(raw) {
		return raw[i]
	}
	return ""
}

// actor is the caller as writers see it; anonymous callers never get here
// (every anonymous write is refused up front).
func actorOf(q *request) Actor {
	return Actor{Account: q.caller.Account, Subject: q.caller.Subject()}
}

// queryChanges answers GET /changes/?q=…
func (a *API) queryChanges(q *request) error {
	ctx := q.r.Context()
	opts := parseChangeOptions(q.query, a.log)
	queries := q.query["q"]
	multi := len(queries) > 1
	if len(queries) == 0 {
		queries = []string{"status:open"}
	}
	limit, err := intParam(q, "n", "limit")
	if err != nil {
		return err
	}
	start, err := intParam(q, "S", "start")
	if err != nil {
		return err
	}
	caps, err := a.capabilities(q)
	if err != nil {
		return err
	}
	page := QueryPage{Start: start, Limit: limit, MaxLimit: caps.QueryLimit(),
		NoLimit: q.query.Has("no-limit") && !q.caller.Anonymous()}
	viewer := q.caller.Subject()
	results := make([][]*ChangeInfo, 0, len(queries))
	for _, text := range queries {
		cs, more, err := a.query.Run(ctx, viewer, text, page)
		if err != nil {
			return err
		}
		infos, err := a.changeInfos(q, cs, opts)
		if err != nil {
			return err
		}
		if more && len(infos) > 0 {
			infos[len(infos)-1].MoreChanges = true
		}
		results = append(results, infos)
	}
	if multi {
		return writeJSON(q, http.StatusOK, results)
	}
	return writeJSON(q, http.StatusOK, results[0])
}

// intParam reads the first of names that is set; "" counts as unset.
func intParam(q *request, names ...string) (int, error) {
	for _, n := range names {
		v := q.query.Get(n)
		if v == "" {
			continue
		}
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 {
			return 0, fail.Errorf(fail.Invalid, "%q is not a valid value for \"-%s\"", v, n)
		}
		return i, nil
	}
	return 0, nil
}

// writeChange answers with one change's ChangeInfo.
func (a *API) writeChange(q *request, c *change.Change, opts changeOptions) error {
	infos, err := a.changeInfos(q, []*change.Change{c}, opts)
	if err != nil {
		return err
	}
	return writeJSON(q, http.StatusOK, infos[0])
}

// reload reads a change again after a write, for the answer.
func (a *API) reload(q *request, n int64) (*change.Change, error) {
	return a.changes.Get(q.r.Context(), a.db, n)
}
