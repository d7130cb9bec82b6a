package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/events"
	"tandem/internal/fail"
	"tandem/internal/query"
	"tandem/internal/review"
	"tandem/internal/sshd"
	"tandem/internal/sshd/cmdflag"
)

// queryFlags say what `gerrit query` adds to each change.
type queryFlags struct {
	currentPatchSet, patchSets, allApprovals, files, comments bool
	commitMessage, dependencies, submitRecords, allReviewers  bool
}

// needsSnapshots reports whether the flags show rows beyond the change
// and its hashtags (what CI and git-review poll with).
func (f queryFlags) needsSnapshots() bool {
	return f.submitRecords || f.commitMessage || f.allReviewers || f.patchSets || f.currentPatchSet || f.dependencies
}

// queryStats is the line that ends a successful query.
type queryStats struct {
	Type                string `json:"type"`
	RowCount            int    `json:"rowCount"`
	RunTimeMilliseconds int64  `json:"runTimeMilliseconds"`
	MoreChanges         bool   `json:"moreChanges"`
}

// queryError replaces the results of a query that failed.
type queryError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// query is `gerrit query`: the visible changes matching the query (the
// words left after the options, joined by spaces), most recently updated
// first, in Gerrit's TEXT or JSON format, then a stats record. A query
// that does not parse gives an error record instead, and exit status 0,
// as in Gerrit.
func (c *Commands) query(ctx context.Context, s *sshd.Session) error {
	var (
		format  = "TEXT"
		f       queryFlags
		start   int
		noLimit bool
	)
	fs := cmdflag.New("gerrit query")
	fs.Enum(&format, "--format", "", []string{"TEXT", "JSON"}, "output display format")
	fs.Bool(&f.currentPatchSet, "--current-patch-set", "include information about the current patch set")
	fs.Bool(&f.patchSets, "--patch-sets", "include information about all patch sets")
	fs.Bool(&f.allApprovals, "--all-approvals", "include information about all patch sets and their approvals")
	fs.Bool(&f.files, "--files", "include the files of the patch sets shown")
	fs.Bool(&f.comments, "--comments", "include comments (and, with patch sets, inline comments)")
	fs.Bool(&f.commitMessage, "--commit-message", "include the full commit message")
	fs.Bool(&f.dependencies, "--dependencies", "include depends-on and needed-by information")
	fs.Bool(&f.submitRecords, "--submit-records", "include submit and label status")
	fs.Bool(&f.allReviewers, "--all-reviewers", "include all reviewers")
	fs.Int(&start, "--start|-S", "N", "number of changes to skip")
	fs.Bool(&noLimit, "--no-limit", "return all results, overriding the default limit")
	fs.Args("QUERY", 1, -1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	if f.allApprovals {
		f.patchSets = true
	}
	if c.rv.Reviews == nil {
		return die("query is not available")
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	w := &queryWriter{json: format == "JSON", out: s.Stdout}
	began := time.Now()
	caps, err := c.access.Capabilities(ctx, cl.subject())
	if err != nil {
		return err
	}
	o := c.queryOptions(cl)
	o.Start, o.NoLimit, o.MaxLimit = start, noLimit, caps.QueryLimit()
	text := strings.Join(args, " ")
	cs, more, err := query.Run(ctx, c.changes.DB(), text, o)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		msg := fail.Message(err, "")
		if fail.KindOf(err) == fail.Internal || msg == "" {
			c.log.Error("query failed", "query", text, "account_id", cl.account.ID, "err", err)
			msg = "cannot query database"
		}
		return w.record(queryError{Type: "error", Message: msg})
	}
	b := c.newAttrBuilder(cl.subject(), f)
	// The page's rows at once: every row the flags show, or the hashtags.
	if f.needsSnapshots() {
		snaps, err := c.rv.Reviews.LoadMany(ctx, b.q, cs)
		if err != nil {
			return err
		}
		for _, snap := range snaps {
			b.snaps[snap.Change.Number] = snap
		}
	} else {
		numbers := make([]int64, len(cs))
		for i, ch := range cs {
			numbers[i] = ch.Number
		}
		if b.hashtags, err = c.changes.HashtagsOf(ctx, b.q, numbers...); err != nil {
			return err
		}
	}
	for _, ch := range cs {
		attr, err := b.change(ctx, ch)
		if err != nil {
			return err
		}
		if err := w.change(attr); err != nil {
			return err
		}
	}
	return w.record(queryStats{Type: "stats", RowCount: len(cs), RunTimeMilliseconds: time.Since(began).Milliseconds(), MoreChanges: more})
}

// serverName stands for Tandem itself where a message has no author.
const serverName = "Tandem Code Review"

// attrBuilder builds the change attributes of one query, caching the
// accounts and changes it reads.
type attrBuilder struct {
	c        *Commands
	q        db.Querier
	subj     access.Subject
	f        queryFlags
	accounts map[int64]*account.Account
	changes  map[int64]*change.Change
	visible  map[int64]bool
	hashtags map[int64][]string                                        // of the changes of the page, read at once
	snaps    map[int64]*review.Snapshot                                // of the page, read at once when the flags need them
	sees     func(ctx context.Context, c *change.Change) (bool, error) // review's, for this caller
}

func (c *Commands) newAttrBuilder(subj access.Subject, f queryFlags) *attrBuilder {
	return &attrBuilder{c: c, q: c.changes.DB(), subj: subj, f: f, sees: c.rv.Reviews.VisibleTo(subj),
		accounts: map[int64]*account.Account{}, changes: map[int64]*change.Change{}, visible: map[int64]bool{},
		snaps: map[int64]*review.Snapshot{}}
}

// account returns account id; nil when there is none (id 0, or gone).
func (b *attrBuilder) account(ctx context.Context, id int64) (*account.Account, error) {
	if id == 0 {
		return nil, nil
	}
	if a, ok := b.accounts[id]; ok {
		return a, nil
	}
	a, err := b.c.accounts.Get(ctx, id)
	if fail.Is(err, fail.NotFound) {
		a, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	b.accounts[id] = a
	return a, nil
}

func (b *attrBuilder) accountAttr(ctx context.Context, id int64) (*events.AccountAttr, error) {
	a, err := b.account(ctx, id)
	if err != nil || a == nil {
		return nil, err
	}
	return events.AccountAttribute(a), nil
}

// change builds the attribute of ch with what the flags ask for.
func (b *attrBuilder) change(ctx context.Context, ch *change.Change) (*events.ChangeAttr, error) {
	// The page's snapshots are there when a flag shows their rows;
	// otherwise the change row and its hashtags are all there is.
	snap := b.snaps[ch.Number]
	if snap == nil {
		snap = &review.Snapshot{Change: ch, Hashtags: b.hashtags[ch.Number]}
	}
	owner, err := b.account(ctx, ch.OwnerID)
	if err != nil {
		return nil, err
	}
	a := events.ChangeAttribute(ch, owner, b.c.rv.WebURL)
	a.Hashtags = snap.Hashtags
	current := snap.Current()
	if b.f.submitRecords {
		rec, err := b.submitRecord(ctx, snap)
		if err != nil {
			return nil, err
		}
		a.SubmitRecords = []events.SubmitRecordAttr{*rec}
	}
	if b.f.commitMessage && current != nil {
		a.CommitMessage = current.Message
	}
	if b.f.allReviewers {
		for _, r := range snap.Reviewers {
			if r.State == change.StateRemoved {
				continue
			}
			attr, err := b.accountAttr(ctx, r.AccountID)
			if err != nil {
				return nil, err
			}
			if attr != nil {
				a.AllReviewers = append(a.AllReviewers, attr)
			}
		}
	}
	if b.f.patchSets {
		for _, ps := range snap.PatchSets {
			attr, err := b.patchSet(ctx, snap, ps, b.f.allApprovals)
			if err != nil {
				return nil, err
			}
			a.PatchSets = append(a.PatchSets, attr)
		}
	}
	if b.f.currentPatchSet && current != nil {
		if a.CurrentPS, err = b.patchSet(ctx, snap, current, true); err != nil {
			return nil, err
		}
	}
	if b.f.comments {
		msgs, err := b.c.changes.Messages(ctx, b.q, ch.Number)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			by, err := b.accountAttr(ctx, m.AuthorID)
			if err != nil {
				return nil, err
			}
			if by == nil {
				by = &events.AccountAttr{Name: serverName}
			}
			a.Comments = append(a.Comments, events.MessageAttr{Timestamp: m.Created.Unix(), Reviewer: by, Message: m.Message})
		}
	}
	if b.f.dependencies && current != nil {
		if err := b.dependencies(ctx, a, ch, current); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// patchSet builds a patch set attribute with its approvals (when asked
// for), files and inline comments as the flags say.
func (b *attrBuilder) patchSet(ctx context.Context, snap *review.Snapshot, ps *change.PatchSet, approvals bool) (*events.PatchSetAttr, error) {
	uploader, err := b.account(ctx, ps.UploaderID)
	if err != nil {
		return nil, err
	}
	attr := events.PatchSetAttribute(ps, uploader, nil)
	if approvals {
		for i := range snap.Votes {
			v := &snap.Votes[i]
			if v.PatchSet != ps.Number || v.Value == 0 {
				continue
			}
			by, err := b.account(ctx, v.AccountID)
			if err != nil {
				return nil, err
			}
			attr.Approvals = append(attr.Approvals, events.ApprovalAttribute(v, by, v.Label))
		}
	}
	if b.f.files {
		files := snap.Files
		if ps.Number != snap.Change.CurrentPS {
			if files, err = b.c.changes.Files(ctx, b.q, ps.Change, ps.Number); err != nil {
				return nil, err
			}
		}
		attr.Files = append(attr.Files, events.FileAttr{File: review.PathCommitMsg, Type: "ADDED", Insertions: commitMsgLines(ps)})
		for i := range files {
			attr.Files = append(attr.Files, events.FileAttribute(&files[i]))
		}
	}
	if b.f.comments {
		for _, cm := range snap.Comments {
			if cm.PatchSet != ps.Number || cm.Draft {
				continue
			}
			by, err := b.accountAttr(ctx, cm.AuthorID)
			if err != nil {
				return nil, err
			}
			attr.Comments = append(attr.Comments, events.PatchSetCommentAttr{File: cm.Path, Line: cm.Line, Reviewer: by, Message: cm.Message})
		}
	}
	return attr, nil
}

// commitMsgLines counts the lines of the /COMMIT_MSG file Gerrit shows:
// a line per parent, author and committer with dates, a blank line, then
// the message.
func commitMsgLines(ps *change.PatchSet) int {
	n := len(ps.Parents) + 5
	if m := ps.Message; m != "" {
		n += strings.Count(m, "\n")
		if !strings.HasSuffix(m, "\n") {
			n++
		}
	}
	return n
}

// submitRecord is the change's legacy submit record; an open change that
// some submit requirement still holds back is NOT_READY.
func (b *attrBuilder) submitRecord(ctx context.Context, snap *review.Snapshot) (*events.SubmitRecordAttr, error) {
	ev, err := b.c.rv.Reviews.Evaluate(ctx, snap)
	if err != nil {
		return nil, fmt.Errorf("evaluate change %d: %w", snap.Change.Number, err)
	}
	rec := &events.SubmitRecordAttr{Status: ev.Record.Status}
	if rec.Status == review.RecordOK && !ev.Submittable {
		rec.Status = review.RecordNotReady
	}
	for _, l := range ev.Record.Labels {
		la := events.SubmitLabelAttr{Label: l.Label, Status: l.Status}
		if l.AppliedBy != 0 {
			if la.By, err = b.accountAttr(ctx, l.AppliedBy); err != nil {
				return nil, err
			}
		}
		rec.Labels = append(rec.Labels, la)
	}
	return rec, nil
}

// dependencies fills dependsOn (the patch sets, in the same project, of
// the current patch set's parents) and neededBy (patch sets of open
// changes on the same branch whose parent is the current patch set),
// keeping the changes the caller may see.
func (b *attrBuilder) dependencies(ctx context.Context, a *events.ChangeAttr, ch *change.Change, current *change.PatchSet) error {
	parents, err := b.c.changes.PatchSetsByCommit(ctx, b.q, current.Parents)
	if err != nil {
		return err
	}
	for _, ps := range parents {
		other, ok, err := b.visibleChange(ctx, ps.Change)
		if err != nil {
			return err
		}
		if ok && other.Project == ch.Project {
			a.DependsOn = append(a.DependsOn, dependency(other, ps))
		}
	}
	children, err := b.c.changes.OpenChildren(ctx, b.q, ch.Project, ch.Branch, current.Commit)
	if err != nil {
		return err
	}
	for _, ps := range children {
		other, ok, err := b.visibleChange(ctx, ps.Change)
		if err != nil {
			return err
		}
		if ok {
			a.NeededBy = append(a.NeededBy, dependency(other, ps))
		}
	}
	return nil
}

// visibleChange returns change n if the caller may see it.
func (b *attrBuilder) visibleChange(ctx context.Context, n int64) (*change.Change, bool, error) {
	ch, ok := b.changes[n]
	if !ok {
		var err error
		ch, err = b.c.changes.Get(ctx, b.q, n)
		if fail.Is(err, fail.NotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		b.changes[n] = ch
	}
	vis, ok := b.visible[n]
	if !ok {
		var err error
		if vis, err = b.sees(ctx, ch); err != nil {
			return nil, false, err
		}
		b.visible[n] = vis
	}
	return ch, vis, nil
}

func dependency(ch *change.Change, ps *change.PatchSet) events.DependencyAttr {
	return events.DependencyAttr{ID: ch.Key, Number: ch.Number, Revision: ps.Commit, Ref: ps.Ref(),
		IsCurrentPatchSet: ps.Number == ch.CurrentPS}
}

// queryWriter writes query records in the chosen format: one JSON object
// per line, or Gerrit's indented text, each record followed by an empty
// line.
type queryWriter struct {
	json bool
	out  io.Writer
}

func (w *queryWriter) change(a *events.ChangeAttr) error {
	if w.json {
		return w.record(a)
	}
	var buf bytes.Buffer
	buf.WriteString("change " + a.ID + "\n")
	if err := writeText(&buf, a, 1); err != nil {
		return err
	}
	buf.WriteString("\n")
	_, err := w.out.Write(buf.Bytes())
	return err
}

func (w *queryWriter) record(v any) error {
	var buf bytes.Buffer
	if w.json {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(data)
	} else if err := writeText(&buf, v, 0); err != nil {
		return err
	}
	buf.WriteString("\n")
	_, err := w.out.Write(buf.Bytes())
	return err
}

// field is one member of a JSON object, in order.
type field struct {
	key string
	val any // []field, []any, string, json.Number, bool or nil
}

// writeText renders v (a JSON-marshalable struct) the way Gerrit's TEXT
// format does: "key: value" lines indented two spaces per level, nested
// objects under a "key:" line, list elements each under the list's name,
// epoch-second dates in a readable form.
func writeText(buf *bytes.Buffer, v any, depth int) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tree, err := decodeOrdered(dec)
	if err != nil {
		return err
	}
	obj, ok := tree.([]field)
	if !ok {
		return fmt.Errorf("text format: not an object")
	}
	writeTextObject(buf, obj, depth)
	return nil
}

func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		obj := []field{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := kt.(string)
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, field{key, v})
		}
		_, err := dec.Token()
		return obj, err
	case '[':
		arr := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token()
		return arr, err
	}
	return nil, fmt.Errorf("text format: unexpected %v", d)
}

func writeTextObject(buf *bytes.Buffer, obj []field, depth int) {
	for _, f := range obj {
		writeTextField(buf, f.key, f.val, depth)
	}
}

func writeTextField(buf *bytes.Buffer, key string, val any, depth int) {
	indent := strings.Repeat(" ", 2*depth)
	switch v := val.(type) {
	case nil:
	case []field:
		buf.WriteString(indent + key + ":\n")
		writeTextObject(buf, v, depth+1)
	case []any:
		buf.WriteString(indent + key + ":\n")
		for i, e := range v {
			if i > 0 {
				// The name again between elements, so they read apart.
				buf.WriteString(indent + key + ":\n")
			}
			if obj, ok := e.([]field); ok {
				writeTextObject(buf, obj, depth+1)
			} else {
				buf.WriteString(indent + "  " + scalarText(key, e) + "\n")
			}
		}
	case string:
		if strings.Contains(v, "\n") {
			// Continuation lines line up after "key: ".
			cont := strings.Repeat(" ", len(indent)+len(key)+2)
			v = strings.TrimSpace(strings.ReplaceAll(v, "\n", "\n"+cont))
		}
		buf.WriteString(indent + key + ": " + v + "\n")
	default:
		buf.WriteString(indent + key + ": " + scalarText(key, v) + "\n")
	}
}

// dateFields hold epoch seconds, which the text format shows as dates.
var dateFields = map[string]bool{"createdOn": true, "lastUpdated": true, "grantedOn": true, "timestamp": true}

func scalarText(key string, v any) string {
	switch v := v.(type) {
	case json.Number:
		if dateFields[key] {
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				return time.Unix(n, 0).UTC().Format("2006-01-02 15:04:05 MST")
			}
		}
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	case string:
		return v
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
