package restapi

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ChangeInfo is Gerrit's ChangeInfo. Fields Gerrit leaves unset are
// omitted; counts Gerrit always sets are always written.
type ChangeInfo struct {
	ID                     string                        `json:"id"`
	TripletID              string                        `json:"triplet_id"`
	Project                string                        `json:"project"`
	Branch                 string                        `json:"branch"`
	Topic                  string                        `json:"topic,omitempty"`
	Hashtags               []string                      `json:"hashtags"`
	ChangeID               string                        `json:"change_id"`
	Subject                string                        `json:"subject"`
	Status                 string                        `json:"status"`
	Created                string                        `json:"created"`
	Updated                string                        `json:"updated"`
	Submitted              string                        `json:"submitted,omitempty"`
	Submitter              *AccountInfo                  `json:"submitter,omitempty"`
	Starred                bool                          `json:"starred,omitempty"`
	Reviewed               bool                          `json:"reviewed,omitempty"`
	SubmitType             string                        `json:"submit_type,omitempty"`
	Mergeable              *bool                         `json:"mergeable,omitempty"`
	Submittable            *bool                         `json:"submittable,omitempty"` // with o=SUBMITTABLE, false too
	Insertions             *int                          `json:"insertions,omitempty"`
	Deletions              *int                          `json:"deletions,omitempty"`
	TotalCommentCount      int                           `json:"total_comment_count"`
	UnresolvedCommentCount int                           `json:"unresolved_comment_count"`
	Number                 int64                         `json:"_number"`
	VirtualIDNumber        int64                         `json:"virtual_id_number"`
	Owner                  AccountInfo                   `json:"owner"`
	Actions                map[string]ActionInfo         `json:"actions,omitempty"`
	SubmitRecords          []SubmitRecordInfo            `json:"submit_records,omitempty"`
	SubmitRequirements     []SubmitRequirementResultInfo `json:"submit_requirements,omitempty"`
	Labels                 map[string]*LabelInfo         `json:"labels,omitempty"`
	PermittedLabels        map[string][]string           `json:"permitted_labels,omitempty"`
	RemovableReviewers     []AccountInfo                 `json:"removable_reviewers,omitempty"`
	Reviewers              map[string][]AccountInfo      `json:"reviewers,omitempty"`
	ReviewerUpdates        []ReviewerUpdateInfo          `json:"reviewer_updates,omitempty"`
	Messages               []ChangeMessageInfo           `json:"messages,omitempty"`
	CurrentRevisionNumber  int                           `json:"current_revision_number"`
	CurrentRevision        string                        `json:"current_revision,omitempty"`
	Revisions              map[string]*RevisionInfo      `json:"revisions,omitempty"`
	IsPrivate              bool                          `json:"is_private,omitempty"`
	WorkInProgress         bool                          `json:"work_in_progress,omitempty"`
	HasReviewStarted       bool                          `json:"has_review_started,omitempty"`
	SubmissionID           string                        `json:"submission_id,omitempty"`
	AttentionSet           map[string]AttentionSetInfo   `json:"attention_set,omitempty"`
	RemovedFromAttention   map[string]AttentionSetInfo   `json:"removed_from_attention_set,omitempty"`
	RevertOf               int64                         `json:"revert_of,omitempty"`
	CherryPickOfChange     int64                         `json:"cherry_pick_of_change,omitempty"`
	CherryPickOfPatchSet   int                           `json:"cherry_pick_of_patch_set,omitempty"`
	MoreChanges            bool                          `json:"_more_changes,omitempty"`
}

// RevisionInfo is Gerrit's RevisionInfo, one patch set.
type RevisionInfo struct {
	Kind              string                `json:"kind"`
	Number            int                   `json:"_number"`
	Created           string                `json:"created"`
	Uploader          AccountInfo           `json:"uploader"`
	Ref               string                `json:"ref"`
	Fetch             map[string]FetchInfo  `json:"fetch"`
	Commit            *CommitInfo           `json:"commit,omitempty"`
	ParentsData       []ParentInfo          `json:"parents_data,omitempty"`
	Files             map[string]FileInfo   `json:"files,omitempty"`
	Actions           map[string]ActionInfo `json:"actions,omitempty"`
	Reviewed          bool                  `json:"reviewed,omitempty"`
	CommitWithFooters string                `json:"commit_with_footers,omitempty"`
	Description       string                `json:"description,omitempty"`
}

// FetchInfo says how to fetch a patch set with one download scheme.
type FetchInfo struct {
	URL      string            `json:"url"`
	Ref      string            `json:"ref"`
	Commands map[string]string `json:"commands,omitempty"`
}

// CommitInfo is Gerrit's CommitInfo. Commit is empty inside a
// RevisionInfo, which is keyed by it.
type CommitInfo struct {
	Commit    string         `json:"commit,omitempty"`
	Parents   []ParentCommit `json:"parents"`
	Author    GitPersonInfo  `json:"author"`
	Committer GitPersonInfo  `json:"committer"`
	Subject   string         `json:"subject"`
	Message   string         `json:"message"`
}

// ParentCommit is a parent in CommitInfo.parents.
type ParentCommit struct {
	Commit  string `json:"commit"`
	Subject string `json:"subject"`
}

// GitPersonInfo is an author or committer.
type GitPersonInfo struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Date  string `json:"date"`
	TZ    int    `json:"tz"`
}

// ParentInfo is Gerrit's ParentInfo (o=PARENTS).
type ParentInfo struct {
	BranchName             string `json:"branch_name"`
	CommitID               string `json:"commit_id"`
	IsMergedInTargetBranch bool   `json:"is_merged_in_target_branch"`
	ChangeKey              string `json:"change_key,omitempty"`
	ChangeNumber           int64  `json:"change_number,omitempty"`
	PatchSetNumber         int    `json:"patch_set_number,omitempty"`
	ChangeStatus           string `json:"change_status,omitempty"`
}

// FileInfo is Gerrit's FileInfo; an absent status means modified.
type FileInfo struct {
	Status        string `json:"status,omitempty"`
	Binary        bool   `json:"binary,omitempty"`
	OldPath       string `json:"old_path,omitempty"`
	LinesInserted int    `json:"lines_inserted,omitempty"`
	LinesDeleted  int    `json:"lines_deleted,omitempty"`
	SizeDelta     int64  `json:"size_delta"`
	Size          int64  `json:"size"`
	OldMode       int    `json:"old_mode,omitempty"`
	NewMode       int    `json:"new_mode,omitempty"`
	OldSHA        string `json:"old_sha,omitempty"`
	NewSHA        string `json:"new_sha,omitempty"`
}

// ActionInfo describes an action the caller may take.
type ActionInfo struct {
	Method  string `json:"method,omitempty"`
	Label   string `json:"label,omitempty"`
	Title   string `json:"title,omitempty"`
	Enabled bool   `json:"enabled,omitempty"`
}

// LabelInfo is Gerrit's LabelInfo for one label of a change.
type LabelInfo struct {
	Optional     bool              `json:"optional,omitempty"`
	Description  string            `json:"description,omitempty"`
	Approved     *AccountInfo      `json:"approved,omitempty"`
	Rejected     *AccountInfo      `json:"rejected,omitempty"`
	Recommended  *AccountInfo      `json:"recommended,omitempty"`
	Disliked     *AccountInfo      `json:"disliked,omitempty"`
	Blocking     bool              `json:"blocking,omitempty"`
	Value        int               `json:"value,omitempty"`
	DefaultValue *int              `json:"default_value,omitempty"`
	All          []ApprovalInfo    `json:"all,omitempty"`
	Values       map[string]string `json:"values,omitempty"`
}

// ApprovalInfo is an account's vote on a label. Value is nil for a
// reviewer who may not vote on the label.
type ApprovalInfo struct {
	AccountInfo
	Value                *int             `json:"value,omitempty"`
	PermittedVotingRange *VotingRangeInfo `json:"permitted_voting_range,omitempty"`
	Date                 string           `json:"date,omitempty"`
	Tag                  string           `json:"tag,omitempty"`
	// PostSubmit marks votes given after the change merged.
	PostSubmit bool `json:"post_submit,omitempty"`
	// Granted is when the vote was given (a Labeler sets it; Date is
	// rendered from it).
	Granted time.Time `json:"-"`
}

// VotingRangeInfo is the range of values an account may vote on a label.
type VotingRangeInfo struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// ChangeMessageInfo is one message of a change's history.
type ChangeMessageInfo struct {
	ID             string       `json:"id"`
	Author         *AccountInfo `json:"author,omitempty"`
	RealAuthor     *AccountInfo `json:"real_author,omitempty"`
	Date           string       `json:"date"`
	Message        string       `json:"message"`
	Tag            string       `json:"tag,omitempty"`
	RevisionNumber int          `json:"_revision_number,omitempty"`
}

// ReviewerUpdateInfo is one reviewer state change (o=REVIEWER_UPDATES).
type ReviewerUpdateInfo struct {
	Updated   string       `json:"updated"`
	UpdatedBy *AccountInfo `json:"updated_by,omitempty"`
	Reviewer  AccountInfo  `json:"reviewer"`
	State     string       `json:"state"`
}

// ReviewerInfo is a reviewer with its votes on the current patch set
// ("Code-Review": "+2", " 0" for no vote).
type ReviewerInfo struct {
	AccountInfo
	Approvals map[string]string `json:"approvals"`
}

// SubmitRecordInfo is Gerrit's deprecated SubmitRecordInfo.
type SubmitRecordInfo struct {
	RuleName     string                  `json:"rule_name"`
	Status       string                  `json:"status"`
	Labels       []SubmitRecordLabelInfo `json:"labels,omitempty"`
	ErrorMessage string                  `json:"error_message,omitempty"`
}

// SubmitRecordLabelInfo is one label of a SubmitRecordInfo.
type SubmitRecordLabelInfo struct {
	Label     string       `json:"label"`
	Status    string       `json:"status"`
	AppliedBy *AccountInfo `json:"applied_by,omitempty"`
}

// SubmitRequirementResultInfo is the result of one submit requirement.
type SubmitRequirementResultInfo struct {
	Name                           string                             `json:"name"`
	Description                    string                             `json:"description,omitempty"`
	Status                         string                             `json:"status"`
	IsLegacy                       bool                               `json:"is_legacy"`
	ApplicabilityExpressionResult  *SubmitRequirementExpressionResult `json:"applicability_expression_result,omitempty"`
	SubmittabilityExpressionResult *SubmitRequirementExpressionResult `json:"submittability_expression_result,omitempty"`
	OverrideExpressionResult       *SubmitRequirementExpressionResult `json:"override_expression_result,omitempty"`
}

// SubmitRequirementExpressionResult is one evaluated expression.
type SubmitRequirementExpressionResult struct {
	Expression   string   `json:"expression"`
	Fulfilled    bool     `json:"fulfilled"`
	Status       string   `json:"status"`
	ErrorMessage string   `json:"error_message,omitempty"`
	PassingAtoms []string `json:"passing_atoms,omitempty"`
	FailingAtoms []string `json:"failing_atoms,omitempty"`
}

// CommentInfo is Gerrit's CommentInfo, published or draft.
type CommentInfo struct {
	PatchSet        int           `json:"patch_set,omitempty"`
	ID              string        `json:"id"`
	Path            string        `json:"path,omitempty"`
	Side            string        `json:"side,omitempty"`
	Parent          int           `json:"parent,omitempty"`
	Line            int           `json:"line,omitempty"`
	Range           *CommentRange `json:"range,omitempty"`
	InReplyTo       string        `json:"in_reply_to,omitempty"`
	Message         string        `json:"message,omitempty"`
	Updated         string        `json:"updated"`
	Author          *AccountInfo  `json:"author,omitempty"`
	Tag             string        `json:"tag,omitempty"`
	Unresolved      bool          `json:"unresolved"`
	ChangeMessageID string        `json:"change_message_id,omitempty"`
	CommitID        string        `json:"commit_id,omitempty"`
	// With enable-context: the lines commented on, and the file's type.
	ContextLines      []ContextLineInfo `json:"context_lines,omitempty"`
	SourceContentType string            `json:"source_content_type,omitempty"`
}

// CommentRange is the part of a file a comment is about.
type CommentRange struct {
	StartLine      int `json:"start_line"`
	StartCharacter int `json:"start_character"`
	EndLine        int `json:"end_line"`
	EndCharacter   int `json:"end_character"`
}

// CommentInput is Gerrit's CommentInput (reviews and drafts).
type CommentInput struct {
	ID         string        `json:"id,omitempty"`
	Path       string        `json:"path,omitempty"`
	Side       string        `json:"side,omitempty"`
	Parent     int           `json:"parent,omitempty"`
	Line       int           `json:"line,omitempty"`
	Range      *CommentRange `json:"range,omitempty"`
	InReplyTo  string        `json:"in_reply_to,omitempty"`
	Message    string        `json:"message,omitempty"`
	Tag        string        `json:"tag,omitempty"`
	Unresolved *bool         `json:"unresolved,omitempty"`
}

// LabelVote is a vote in a ReviewInput. JSON numbers and Gerrit's strings
// ("+2", " 0", "-1") are both accepted.
type LabelVote int

// UnmarshalJSON accepts 2, "2", "+2" and " 0".
func (v *LabelVote) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		*v = LabelVote(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("label value %s is not a number", b)
	}
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(s), "+"))
	if err != nil {
		return fmt.Errorf("label value %q is not a number", s)
	}
	*v = LabelVote(n)
	return nil
}

// ReviewInput is Gerrit's ReviewInput (POST …/review).
type ReviewInput struct {
	Message                          string                    `json:"message,omitempty" rest:"default"`
	Tag                              string                    `json:"tag,omitempty"`
	Labels                           map[string]LabelVote      `json:"labels,omitempty"`
	Comments                         map[string][]CommentInput `json:"comments,omitempty"`
	Drafts                           string                    `json:"drafts,omitempty"`
	DraftIDsToPublish                []string                  `json:"draft_ids_to_publish,omitempty"`
	Notify                           string                    `json:"notify,omitempty"`
	OmitDuplicateComments            bool                      `json:"omit_duplicate_comments,omitempty"`
	OnBehalfOf                       string                    `json:"on_behalf_of,omitempty"`
	Reviewers                        []ReviewerInput           `json:"reviewers,omitempty"`
	Ready                            bool                      `json:"ready,omitempty"`
	WorkInProgress                   bool                      `json:"work_in_progress,omitempty"`
	IgnoreAutomaticAttentionSetRules bool                      `json:"ignore_automatic_attention_set_rules,omitempty"`
	AddToAttentionSet                []AttentionSetInput       `json:"add_to_attention_set,omitempty"`
	RemoveFromAttentionSet           []AttentionSetInput       `json:"remove_from_attention_set,omitempty"`
}

// AttentionSetInput is Gerrit's AttentionSetInput.
type AttentionSetInput struct {
	User   string `json:"user,omitempty" rest:"default"`
	Reason string `json:"reason,omitempty"`
	Notify string `json:"notify,omitempty"`
}

// AttentionSetInfo is Gerrit's AttentionSetInfo: one account in (or
// removed from) a change's attention set.
type AttentionSetInfo struct {
	Account       AccountInfo  `json:"account"`
	LastUpdate    string       `json:"last_update"`
	Reason        string       `json:"reason"`
	ReasonAccount *AccountInfo `json:"reason_account,omitempty"`
}

// ReviewResult is Gerrit's ReviewResult.
type ReviewResult struct {
	Labels    map[string]int               `json:"labels,omitempty"`
	Reviewers map[string]AddReviewerResult `json:"reviewers,omitempty"`
	Ready     bool                         `json:"ready,omitempty"`
	Error     string                       `json:"error,omitempty"`
}

// ReviewerInput is Gerrit's ReviewerInput.
type ReviewerInput struct {
	Reviewer  string `json:"reviewer" rest:"default"`
	State     string `json:"state,omitempty"` // REVIEWER (default), CC, REMOVED
	Confirmed bool   `json:"confirmed,omitempty"`
	Notify    string `json:"notify,omitempty"`
}

// AddReviewerResult is Gerrit's AddReviewerResult (ReviewerResult).
type AddReviewerResult struct {
	Input     string         `json:"input"`
	Reviewers []ReviewerInfo `json:"reviewers,omitempty"`
	CCs       []ReviewerInfo `json:"ccs,omitempty"`
	Error     string         `json:"error,omitempty"`
	Confirm   bool           `json:"confirm,omitempty"`
}

// ReviewerAdded is what Reviews.AddReviewer did: the accounts now
// reviewers and CCs because of the request, or why nothing was added
// (Error, and Confirm when adding a large group needs confirmation).
type ReviewerAdded struct {
	Reviewers []int64
	CCs       []int64
	Error     string
	Confirm   bool
}

// MessageInput is the body of abandon, restore, wip, ready and private
// requests.
type MessageInput struct {
	Message string `json:"message,omitempty" rest:"default"`
	Notify  string `json:"notify,omitempty"`
}

// MoveInput is Gerrit's MoveInput.
type MoveInput struct {
	DestinationBranch string `json:"destination_branch" rest:"default"`
	Message           string `json:"message,omitempty"`
	KeepAllVotes      bool   `json:"keep_all_votes,omitempty"`
}

// TopicInput is Gerrit's TopicInput.
type TopicInput struct {
	Topic string `json:"topic" rest:"default"`
}

// HashtagsInput is Gerrit's HashtagsInput.
type HashtagsInput struct {
	Add    []string `json:"add,omitempty"`
	Remove []string `json:"remove,omitempty"`
}

// SubmitInput is Gerrit's SubmitInput.
type SubmitInput struct {
	OnBehalfOf string `json:"on_behalf_of,omitempty"`
	Notify     string `json:"notify,omitempty"`
}

// RebaseInput is Gerrit's RebaseInput.
type RebaseInput struct {
	Base           string `json:"base,omitempty"`
	Strategy       string `json:"strategy,omitempty"`
	AllowConflicts bool   `json:"allow_conflicts,omitempty"`
}

// MergeableInfo is Gerrit's MergeableInfo.
type MergeableInfo struct {
	SubmitType    string   `json:"submit_type"`
	Strategy      string   `json:"strategy,omitempty"`
	Mergeable     bool     `json:"mergeable"`
	CommitMerged  bool     `json:"commit_merged,omitempty"`
	ContentMerged bool     `json:"content_merged,omitempty"`
	Conflicts     []string `json:"conflicts,omitempty"`
	MergeableInto []string `json:"mergeable_into,omitempty"`
}

// RelatedChangesInfo is Gerrit's RelatedChangesInfo.
type RelatedChangesInfo struct {
	Changes []RelatedChangeAndCommitInfo `json:"changes"`
}

// RelatedChangeAndCommitInfo is one entry of RelatedChangesInfo.
type RelatedChangeAndCommitInfo struct {
	Project               string     `json:"project"`
	ChangeID              string     `json:"change_id"`
	Commit                CommitInfo `json:"commit"`
	ChangeNumber          int64      `json:"_change_number"`
	RevisionNumber        int        `json:"_revision_number"`
	CurrentRevisionNumber int        `json:"_current_revision_number"`
	Status                string     `json:"status"`
}

// CommitMessageInfo is Gerrit's CommitMessageInfo (GET …/message).
type CommitMessageInfo struct {
	Subject     string            `json:"subject"`
	FullMessage string            `json:"full_message"`
	Footers     map[string]string `json:"footers"`
}

// DiffInfo is Gerrit's DiffInfo for one file.
type DiffInfo struct {
	MetaA      *DiffFileMeta `json:"meta_a,omitempty"`
	MetaB      *DiffFileMeta `json:"meta_b,omitempty"`
	ChangeType string        `json:"change_type"`
	DiffHeader []string      `json:"diff_header"`
	Content    []DiffContent `json:"content"`
	Binary     bool          `json:"binary,omitempty"`
}

// DiffFileMeta is one side of a DiffInfo.
type DiffFileMeta struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Lines       int    `json:"lines"`
}

// DiffContent is one chunk of a diff: lines common to both sides (AB),
// lines only on side A and/or B, or a count of common lines skipped.
type DiffContent struct {
	AB   []string `json:"ab,omitempty"`
	A    []string `json:"a,omitempty"`
	B    []string `json:"b,omitempty"`
	Skip int      `json:"skip,omitempty"`
}
