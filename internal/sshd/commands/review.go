package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"tandem/internal/access"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/fail"
	"tandem/internal/project"
	"tandem/internal/query"
	"tandem/internal/review"
	"tandem/internal/sshd"
	"tandem/internal/sshd/cmdflag"
	"tandem/internal/submit"
)

// ReviewOptions are the dependencies of `gerrit query`, `gerrit review`
// and `gerrit set-reviewers`. Without Reviews the three commands refuse
// to run; without Submitter, --submit and --rebase fail per change.
type ReviewOptions struct {
	Reviews   Reviews
	Submitter Submitter
	// Query returns the query language's dependencies (resolver,
	// evaluator) for a caller; the commands add visibility and paging.
	Query func(caller int64) query.Options
	// NewPatchSet runs inside the transaction of a rebase that adds a
	// patch set: it copies the votes that stick and records the events
	// of an upload. Nil leaves the new patch set without votes or events.
	NewPatchSet submit.NewPatchSetFunc
	WebURL      string // gerrit.canonicalWebUrl, for change URLs
}

// Reviews is what the review commands need of internal/review;
// *review.Service is one.
type Reviews interface {
	LoadMany(ctx context.Context, q db.Querier, cs []*change.Change) ([]*review.Snapshot, error)
	Evaluate(ctx context.Context, snap *review.Snapshot) (*review.Evaluation, error)
	VisibleTo(subj access.Subject) func(ctx context.Context, c *change.Change) (bool, error)
	Sees(ctx context.Context, subj access.Subject, chk *access.Checker, c *change.Change) (bool, error)
	RightsOf(ctx context.Context, subj access.Subject, c *change.Change) (*review.Rights, error)
	Review(ctx context.Context, subj access.Subject, n int64, ps int, in review.ReviewInput) (*review.ReviewResult, error)
	Abandon(ctx context.Context, subj access.Subject, n int64, message string) (*change.Change, error)
	Restore(ctx context.Context, subj access.Subject, n int64, message string) (*change.Change, error)
	Move(ctx context.Context, subj access.Subject, n int64, in review.MoveInput) (*change.Change, error)
	AddReviewer(ctx context.Context, subj access.Subject, n int64, in review.ReviewerInput) (*review.ReviewerResult, error)
	RemoveReviewer(ctx context.Context, subj access.Subject, n, id int64) error
	SetTopic(ctx context.Context, subj access.Subject, n int64, topic string) (*change.Change, error)
}

// Submitter merges and rebases changes; *submit.Service is one.
type Submitter interface {
	Submit(ctx context.Context, caller submit.Caller, n int64, revision string) (*change.Change, error)
	Rebase(ctx context.Context, caller submit.Caller, n int64, base string, newPatchSet submit.NewPatchSetFunc) (*change.Change, error)
}

// maxReviewInput bounds the ReviewInput read by `gerrit review --json`.
const maxReviewInput = 8 << 20

// Target forms of `gerrit review`, as Gerrit's PatchSetParser reads them.
var (
	commitArg   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-fA-F]{4,40}$`) })
	patchSetArg = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[1-9][0-9]*,[1-9][0-9]*$`) })
)

// reviewOptions are the parsed options of one `gerrit review`.
type reviewOptions struct {
	message, tag, notify, projectArg, branch, move string
	abandon, restore, rebase, submit, json         bool
	// optionVotes come from the --<label> options and are dropped where
	// the caller may not cast them; labelVotes come from --label and
	// are checked strictly.
	optionVotes map[string]int
	labelVotes  map[string]int
}

// reviewTarget is one patch set named on the command line.
type reviewTarget struct {
	token  string
	change *change.Change
	ps     *change.PatchSet
}

// review is `gerrit review {COMMIT | CHANGE,PATCHSET}…`: votes, a message,
// and abandon, restore, rebase or submit, applied to each patch set in
// turn. Problems with one patch set are reported as "error: …" and the
// others still go ahead; the command then fails as a whole.
func (c *Commands) review(ctx context.Context, s *sshd.Session) error {
	if c.rv.Reviews == nil {
		return die("review is not available")
	}
	labels, err := c.allProjectsLabels(ctx)
	if err != nil {
		return err
	}
	o := &reviewOptions{optionVotes: map[string]int{}, labelVotes: map[string]int{}}
	fs := cmdflag.New("gerrit review")
	fs.String(&o.projectArg, "--project|-p", "PROJECT", "project containing the specified patch set(s)")
	fs.String(&o.branch, "--branch|-b", "BRANCH", "branch containing the specified patch set(s)")
	fs.String(&o.message, "--message|-m", "MESSAGE", "cover message to publish on change(s)")
	fs.Enum(&o.notify, "--notify|-n", "", []string{"NONE", "OWNER", "OWNER_REVIEWERS", "ALL"}, "who to notify of the review")
	fs.Bool(&o.abandon, "--abandon", "abandon the specified change(s)")
	fs.Bool(&o.restore, "--restore", "restore the specified abandoned change(s)")
	fs.Bool(&o.rebase, "--rebase", "rebase the specified change(s)")
	fs.String(&o.move, "--move", "BRANCH", "move the specified change(s)")
	fs.Bool(&o.submit, "--submit|-s", "submit the specified patch set(s)")
	fs.Bool(&o.json, "--json|-j", "read review input json from stdin")
	fs.String(&o.tag, "--tag|-t", "TAG", "applies a tag to the given review")
	fs.Func("--label|-l", "LABEL=VALUE", "custom label(s) to assign", func(v string) error {
		name, value, err := parseLabelVote(v)
		if err != nil {
			return err
		}
		o.labelVotes[name] = value
		return nil
	})
	for _, l := range labels {
		// A label may not take the name of an option (or of an earlier
		// label spelled in another case).
		name := "--" + strings.ToLower(l.Name)
		if fs.Has(name) {
			continue
		}
		fs.Func(name, "N", labelUsage(l), func(v string) error {
			n, err := parseLabelOption(l, name, v)
			if err != nil {
				return err
			}
			o.optionVotes[l.Name] = n
			return nil
		})
	}
	fs.Args("{COMMIT | CHANGE,PATCHSET}", 1, -1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if o.projectArg != "" {
		if o.projectArg, _, _, err = c.project(ctx, cl, o.projectArg); err != nil {
			return err
		}
	}
	var targets []reviewTarget
	seen := map[[2]int64]bool{}
	for _, tok := range args {
		t, err := c.patchSetArg(ctx, cl, tok, o.projectArg, o.branch)
		if err != nil {
			return err
		}
		key := [2]int64{t.change.Number, int64(t.ps.Number)}
		if !seen[key] {
			seen[key] = true
			targets = append(targets, *t)
		}
	}
	var jsonInput *review.ReviewInput
	if o.json {
		in, err := readReviewInput(s.Stdin)
		if err != nil {
			fmt.Fprintf(s.Stderr, "error: %s\n", err)
			return die("internal error while reading review input")
		}
		jsonInput = in
	}
	ok := true
	for _, t := range targets {
		var err error
		if jsonInput != nil {
			err = c.applyReview(ctx, cl, t, *jsonInput)
		} else {
			err = c.reviewOne(ctx, cl, t, o)
		}
		if err == nil {
			continue
		}
		ok = false
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if fail.KindOf(err) == fail.Internal {
			c.log.Error("review failed", "change", t.change.Number, "patch_set", t.ps.Number, "account_id", cl.account.ID, "err", err)
			fmt.Fprintf(s.Stderr, "fatal: internal server error while reviewing %d,%d\n", t.change.Number, t.ps.Number)
			continue
		}
		fmt.Fprintf(s.Stderr, "error: %s\n", fail.Message(err, "internal server error"))
	}
	if !ok {
		return die("one or more reviews failed; review output above")
	}
	return nil
}

// check applies Gerrit's rules on options that exclude each other.
func (o *reviewOptions) check() error {
	if o.abandon {
		switch {
		case o.restore:
			return die("abandon and restore actions are mutually exclusive")
		case o.submit:
			return die("abandon and submit actions are mutually exclusive")
		case o.rebase:
			return die("abandon and rebase actions are mutually exclusive")
		case o.move != "":
			return die("abandon and move actions are mutually exclusive")
		}
	}
	if o.json {
		switch {
		case o.restore:
			return die("json and restore actions are mutually exclusive")
		case o.submit:
			return die("json and submit actions are mutually exclusive")
		case o.abandon:
			return die("json and abandon actions are mutually exclusive")
		case o.message != "":
			return die("json and message are mutually exclusive")
		case o.rebase:
			return die("json and rebase actions are mutually exclusive")
		case o.tag != "":
			return die("json and tag actions are mutually exclusive")
		case o.move != "":
			return die("json and move actions are mutually exclusive")
		}
	}
	if o.rebase && o.submit {
		return die("rebase and submit actions are mutually exclusive")
	}
	return nil
}

// allProjectsLabels returns the labels All-Projects defines: each becomes
// a --<label> option, as in Gerrit.
func (c *Commands) allProjectsLabels(ctx context.Context) ([]project.LabelType, error) {
	st, err := c.projects.Load(ctx, project.AllProjects)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", project.AllProjects, err)
	}
	return project.EffectiveLabels(st.Chain), nil
}

func labelUsage(l project.LabelType) string {
	if len(l.Values) == 0 {
		return "score for " + l.Name
	}
	return fmt.Sprintf("score for %s (%s..%s)", l.Name, formatValue(l.Min()), formatValue(l.Max()))
}

// formatValue writes a label value as Gerrit does: -1, " 0", +1.
func formatValue(v int) string {
	switch {
	case v > 0:
		return "+" + strconv.Itoa(v)
	case v == 0:
		return " 0"
	}
	return strconv.Itoa(v)
}

// parseLabelOption reads the value of a --<label> option ("+2", "=+2",
// "-1", "0") and checks it against the label's range.
func parseLabelOption(l project.LabelType, name, v string) (int, error) {
	s := strings.TrimPrefix(strings.TrimPrefix(v, "="), "+")
	n, err := strconv.Atoi(s)
	if err != nil || s == "" || s[0] == '+' {
		return 0, cmdflag.ErrInvalidValue
	}
	if len(l.Values) > 0 && (n < l.Min() || n > l.Max()) {
		return 0, fmt.Errorf(`"%s" must be in range %s..%s for "%s"`, v, formatValue(l.Min()), formatValue(l.Max()), name)
	}
	return n, nil
}

// parseLabelVote reads a --label value, LABEL=VALUE.
func parseLabelVote(v string) (string, int, error) {
	i := strings.LastIndexByte(v, '=')
	if i < 0 {
		return "", 0, fmt.Errorf("label vote missing '=': %s", v)
	}
	name, value := v[:i], v[i+1:]
	if name == "" {
		return "", 0, fmt.Errorf("invalid label vote: %s", v)
	}
	n, err := strconv.Atoi(value)
	if err != nil {
		return "", 0, fmt.Errorf("invalid label vote: %s", v)
	}
	return name, n, nil
}

// patchSetArg resolves a `gerrit review` target: a commit (abbreviated
// to at least 4 digits) or CHANGE,PATCHSET, within projectName and branch
// when given. Only changes the caller may see are found.
func (c *Commands) patchSetArg(ctx context.Context, cl *caller, tok, projectName, branch string) (*reviewTarget, error) {
	switch {
	case commitArg().MatchString(tok):
		n := narrow(query.Term("commit", tok), projectName, branch)
		cs, err := c.visibleChanges(ctx, cl, n)
		if err != nil {
			return nil, err
		}
		pss, err := c.changes.PatchSetsOf(ctx, cs)
		if err != nil {
			return nil, err
		}
		byNumber := make(map[int64]*change.Change, len(cs))
		for _, ch := range cs {
			byNumber[ch.Number] = ch
		}
		var found []reviewTarget
		prefix := strings.ToLower(tok)
		for _, ps := range pss {
			if strings.HasPrefix(ps.Commit, prefix) {
				found = append(found, reviewTarget{token: tok, change: byNumber[ps.Change], ps: ps})
			}
		}
		switch len(found) {
		case 0:
			return nil, die(`"%s" no such patch set`, tok)
		case 1:
			return &found[0], nil
		}
		return nil, die(`"%s" matches multiple patch sets`, tok)
	case patchSetArg().MatchString(tok):
		num, psText, _ := strings.Cut(tok, ",")
		psNum, err := strconv.Atoi(psText)
		if err != nil {
			return nil, die(`"%s" is not a valid patch set`, tok)
		}
		cs, err := c.visibleChanges(ctx, cl, query.Term("change", num))
		if err != nil {
			return nil, err
		}
		if len(cs) == 0 {
			return nil, die(`"%s" no such change`, tok)
		}
		ch := cs[0]
		if projectName != "" && ch.Project != projectName {
			return nil, die("change %d not in project %s", ch.Number, projectName)
		}
		if branch != "" && ch.Branch != fullBranch(branch) {
			return nil, die("change %d not in branch %s", ch.Number, branch)
		}
		ps, err := c.changes.PatchSet(ctx, c.changes.DB(), ch.Number, psNum)
		if fail.Is(err, fail.NotFound) {
			return nil, die(`"%s" no such patch set`, tok)
		}
		if err != nil {
			return nil, err
		}
		return &reviewTarget{token: tok, change: ch, ps: ps}, nil
	}
	return nil, die(`"%s" is not a valid patch set`, tok)
}

// narrow restricts a query to a project and a branch, when given.
func narrow(n *query.Node, projectName, branch string) *query.Node {
	kids := []*query.Node{n}
	if projectName != "" {
		kids = append(kids, query.Term("project", projectName))
	}
	if branch != "" {
		kids = append(kids, query.Term("branch", fullBranch(branch)))
	}
	return query.And(kids...)
}

func fullBranch(b string) string {
	if strings.HasPrefix(b, "refs/") {
		return b
	}
	return "refs/heads/" + b
}

// queryOptions are the query language's options for the caller, with
// visibility applied.
func (c *Commands) queryOptions(cl *caller) query.Options {
	var o query.Options
	if c.rv.Query != nil {
		o = c.rv.Query(cl.account.ID)
	}
	o.Caller = cl.account.ID
	o.Visible = c.rv.Reviews.VisibleTo(cl.subject())
	return o
}

// visibleChanges returns every change matching n that the caller may see.
func (c *Commands) visibleChanges(ctx context.Context, cl *caller, n *query.Node) ([]*change.Change, error) {
	o := c.queryOptions(cl)
	o.NoLimit = true
	cs, _, err := query.RunNode(ctx, c.changes.DB(), n, o)
	return cs, err
}

// reviewOne applies the options of a `gerrit review` to one patch set, in
// Gerrit's order: votes before abandoning, after restoring; then move,
// rebase and submit.
func (c *Commands) reviewOne(ctx context.Context, cl *caller, t reviewTarget, o *reviewOptions) error {
	subj := cl.subject()
	votes := map[string]int{}
	if len(o.optionVotes) > 0 {
		rights, err := c.rv.Reviews.RightsOf(ctx, subj, t.change)
		if err != nil {
			return err
		}
		for label, v := range o.optionVotes {
			// Gerrit drops --<label> votes the caller may not cast.
			if r, ok := voteRange(rights, label); v == 0 || ok && v >= r[0] && v <= r[1] {
				votes[label] = v
			}
		}
	}
	for label, v := range o.labelVotes {
		votes[label] = v
	}
	in := review.ReviewInput{Message: o.message, Tag: o.tag, Labels: votes, Drafts: review.DraftsPublish}
	if o.abandon || o.restore || o.move != "" {
		// The message goes with the abandon, restore or move instead.
		in.Message = ""
	}
	// An empty review would only make the caller a CC.
	apply := func() error {
		if len(in.Labels) == 0 && strings.TrimSpace(in.Message) == "" {
			return nil
		}
		return c.applyReview(ctx, cl, t, in)
	}
	switch {
	case o.abandon:
		if err := apply(); err != nil {
			return err
		}
		if _, err := c.rv.Reviews.Abandon(ctx, subj, t.change.Number, o.message); err != nil {
			return err
		}
	case o.restore:
		if _, err := c.rv.Reviews.Restore(ctx, subj, t.change.Number, o.message); err != nil {
			return err
		}
		if err := apply(); err != nil {
			return err
		}
	default:
		if err := apply(); err != nil {
			return err
		}
	}
	if o.move != "" {
		if _, err := c.rv.Reviews.Move(ctx, subj, t.change.Number, review.MoveInput{Branch: o.move, Message: o.message}); err != nil {
			return err
		}
	}
	if (o.rebase || o.submit) && c.rv.Submitter == nil {
		return fail.Errorf(fail.Conflict, "submit is not available")
	}
	caller := submit.Caller{Account: cl.account, Groups: cl.groups}
	if o.rebase {
		ch, err := c.changes.Get(ctx, c.changes.DB(), t.change.Number)
		if err != nil {
			return err
		}
		if ch.Status.Open() && ch.CurrentPS != t.ps.Number {
			return fail.Errorf(fail.Conflict, "revision %s is not current revision", t.ps.Commit)
		}
		if _, err := c.rv.Submitter.Rebase(ctx, caller, t.change.Number, "", c.rv.NewPatchSet); err != nil {
			return err
		}
	}
	if o.submit {
		if _, err := c.rv.Submitter.Submit(ctx, caller, t.change.Number, t.ps.Commit); err != nil {
			return err
		}
	}
	return nil
}

// voteRange returns the range the caller may vote on label.
func voteRange(r *review.Rights, label string) ([2]int, bool) {
	for name, rng := range r.Vote {
		if strings.EqualFold(name, label) {
			return rng, true
		}
	}
	return [2]int{}, false
}

// applyReview posts a review on one patch set; a review the service
// refused as a whole (reviewers that could not be added) is an error.
func (c *Commands) applyReview(ctx context.Context, cl *caller, t reviewTarget, in review.ReviewInput) error {
	res, err := c.rv.Reviews.Review(ctx, cl.subject(), t.change.Number, t.ps.Number, in)
	if err != nil {
		return err
	}
	if res != nil && res.Error != "" {
		var msgs []string
		for _, r := range res.Reviewers {
			if r != nil && r.Error != "" {
				msgs = append(msgs, r.Error)
			}
		}
		if len(msgs) == 0 {
			msgs = append(msgs, res.Error)
		}
		return fail.Errorf(fail.Invalid, "%s", strings.Join(msgs, "\n"))
	}
	return nil
}

// reviewInputJSON is Gerrit's ReviewInput as `gerrit review --json` reads
// it from standard input.
type reviewInputJSON struct {
	Message               string                        `json:"message"`
	Tag                   string                        `json:"tag"`
	Labels                map[string]labelValue         `json:"labels"`
	Comments              map[string][]commentInputJSON `json:"comments"`
	Drafts                string                        `json:"drafts"`
	DraftIDsToPublish     []string                      `json:"draft_ids_to_publish"`
	Notify                string                        `json:"notify"`
	OmitDuplicateComments bool                          `json:"omit_duplicate_comments"`
	Reviewers             []struct {
		Reviewer  string `json:"reviewer"`
		State     string `json:"state"`
		Confirmed bool   `json:"confirmed"`
	} `json:"reviewers"`
	Ready          bool   `json:"ready"`
	WorkInProgress bool   `json:"work_in_progress"`
	OnBehalfOf     string `json:"on_behalf_of"`
}

type commentInputJSON struct {
	ID         string     `json:"id"`
	Side       string     `json:"side"`
	Parent     int        `json:"parent"`
	Line       int        `json:"line"`
	Range      *rangeJSON `json:"range"`
	InReplyTo  string     `json:"in_reply_to"`
	Message    string     `json:"message"`
	Unresolved *bool      `json:"unresolved"`
}

type rangeJSON struct {
	StartLine      int `json:"start_line"`
	StartCharacter int `json:"start_character"`
	EndLine        int `json:"end_line"`
	EndCharacter   int `json:"end_character"`
}

// labelValue is a vote in JSON: a number, or a string such as "+1".
type labelValue int

func (v *labelValue) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		*v = labelValue(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("invalid label value %s", b)
	}
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(s), "+"))
	if err != nil {
		return fmt.Errorf("invalid label value %s", b)
	}
	*v = labelValue(n)
	return nil
}

// readReviewInput decodes a ReviewInput from r.
func readReviewInput(r io.Reader) (*review.ReviewInput, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxReviewInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxReviewInput {
		return nil, errors.New("review input too large")
	}
	var in reviewInputJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, err
	}
	out := &review.ReviewInput{Message: in.Message, Tag: in.Tag, Drafts: strings.ToUpper(in.Drafts),
		DraftIDsToPublish: in.DraftIDsToPublish, OmitDuplicateComments: in.OmitDuplicateComments,
		Ready: in.Ready, WorkInProgress: in.WorkInProgress, OnBehalfOf: in.OnBehalfOf, Labels: map[string]int{}}
	for name, v := range in.Labels {
		out.Labels[name] = int(v)
	}
	if len(in.Comments) > 0 {
		out.Comments = map[string][]review.CommentInput{}
	}
	for path, cs := range in.Comments {
		for _, ci := range cs {
			rc := review.CommentInput{ID: ci.ID, Side: ci.Side, Parent: ci.Parent, Line: ci.Line,
				InReplyTo: ci.InReplyTo, Message: ci.Message, Unresolved: ci.Unresolved}
			if r := ci.Range; r != nil {
				rc.Range = &change.Range{StartLine: r.StartLine, StartCharacter: r.StartCharacter, EndLine: r.EndLine, EndCharacter: r.EndCharacter}
			}
			out.Comments[path] = append(out.Comments[path], rc)
		}
	}
	for _, r := range in.Reviewers {
		out.Reviewers = append(out.Reviewers, review.ReviewerInput{Reviewer: r.Reviewer, State: strings.ToUpper(r.State), Confirmed: r.Confirmed})
	}
	return out, nil
}
