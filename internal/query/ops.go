package query

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"tandem/internal/change"
)

// term compiles one field:value term.
func (c *compiler) term(field, v string) (*pred, error) {
	switch field {
	case "":
		return c.defaultField(v)
	case "change":
		return c.change(v)
	case "commit":
		return commit(v), nil
	case "status":
		return c.status(v)
	case "is":
		return c.is(v)
	case "has":
		return c.has(v)
	case "owner", "o":
		return c.accountPred(field, v, ownerIn)
	case "reviewer", "r":
		return c.accountPred(field, v, reviewerIn(change.StateReviewer))
	case "cc":
		return c.accountPred(field, v, reviewerIn(change.StateCC))
	case "uploader":
		return c.accountPred(field, v, uploaderIn)
	case "commentby":
		return c.accountPred(field, v, commentBy)
	case "from":
		return c.accountPred(field, v, func(ids []int64) frag { return joinFrags("OR", []frag{ownerIn(ids), commentBy(ids)}) })
	case "starredby":
		return c.accountPred(field, v, starredBy)
	case "attention":
		return c.accountPred(field, v, attentionOf)
	case "draftby":
		return c.accountPred(field, v, c.draftBy)
	case "ownerin":
		return c.groupPred(v, ownerIn)
	case "reviewerin":
		return c.groupPred(v, reviewerIn(change.StateReviewer))
	case "uploaderin":
		return c.groupPred(v, uploaderIn)
	case "author", "a":
		return sqlPred(personLike("author", v)), nil
	case "committer":
		return sqlPred(personLike("committer", v)), nil
	case "project", "p", "repo", "repository":
		if isRegex(v) {
			return regexPred(v, "c.project", func(ch *change.Change) []string { return []string{ch.Project} })
		}
		return sqlPred(sq("c.project = ", param{v})), nil
	case "parentproject":
		children, err := c.opts.Resolver.ChildProjects(c.ctx, v)
		if err != nil {
			return nil, err
		}
		return sqlPred(in("c.project", append([]string{v}, children...))), nil
	case "projects":
		return sqlPred(prefixOf("c.project", v)), nil
	case "branch":
		if isRegex(v) {
			return regexPred(v, "", func(ch *change.Change) []string { return []string{ch.ShortBranch(), ch.Branch} })
		}
		if !strings.HasPrefix(v, "refs/heads/") {
			v = "refs/heads/" + v
		}
		return sqlPred(sq("c.branch = ", param{v})), nil
	case "ref":
		if isRegex(v) {
			return regexPred(v, "c.branch", func(ch *change.Change) []string { return []string{ch.Branch} })
		}
		return sqlPred(sq("c.branch = ", param{v})), nil
	case "topic":
		if isRegex(v) {
			return regexPred(v, "c.topic", func(ch *change.Change) []string { return []string{ch.Topic} })
		}
		return sqlPred(sq("c.topic = ", param{v})), nil
	case "intopic":
		return sqlPred(sq(`LOWER(c.topic) LIKE `, param{likeContains(strings.ToLower(v))}, ` ESCAPE '\'`)), nil
	case "prefixtopic":
		return sqlPred(prefixOf("c.topic", v)), nil
	case "hashtag":
		h := strings.ToLower(strings.TrimPrefix(v, "#"))
		return sqlPred(sq("c.id IN (SELECT h.change_id FROM hashtags h WHERE LOWER(h.hashtag) = ", param{h}, ")")), nil
	case "inhashtag":
		h := strings.ToLower(strings.TrimPrefix(v, "#"))
		return sqlPred(sq("c.id IN (SELECT h.change_id FROM hashtags h WHERE LOWER(h.hashtag) LIKE ", param{likeContains(h)}, ` ESCAPE '\')`)), nil
	case "label", "l":
		s, err := parseLabel(v)
		if err != nil {
			return nil, err
		}
		return c.label(s, field+":"+v)
	case "message", "m":
		return sqlPred(curPS(`LOWER(ps.message) LIKE `, param{likeContains(strings.ToLower(v))}, ` ESCAPE '\'`)), nil
	case "subject":
		return sqlPred(sq(`LOWER(c.subject) LIKE `, param{likeContains(strings.ToLower(v))}, ` ESCAPE '\'`)), nil
	case "prefixsubject":
		return sqlPred(sq(`LOWER(c.subject) LIKE `, param{likeEscape(strings.ToLower(v)) + "%"}, ` ESCAPE '\'`)), nil
	case "comment":
		pat := likeContains(strings.ToLower(v))
		return sqlPred(sq(`c.id IN (SELECT x.change_id FROM comments x WHERE NOT x.draft AND LOWER(x.message) LIKE `, param{pat}, ` ESCAPE '\')`,
			` OR c.id IN (SELECT m.change_id FROM change_messages m WHERE LOWER(m.message) LIKE `, param{pat}, ` ESCAPE '\')`)), nil
	case "file", "f":
		if isRegex(v) {
			return pathRegex(v)
		}
		return sqlPred(fileComponent(v)), nil
	case "path":
		if isRegex(v) {
			return pathRegex(v)
		}
		return sqlPred(curFile("f.path = ", param{v}, " OR f.old_path = ", param{v})), nil
	case "dir", "directory":
		d := strings.Trim(v, "/")
		if d == "" {
			return predTrue, nil
		}
		return sqlPred(curFile(prefixOf("f.path", d+"/"))), nil
	case "ext", "extension":
		e := "." + strings.ToLower(strings.TrimPrefix(v, "."))
		return sqlPred(curFile(fmt.Sprintf("SUBSTR(LOWER(f.path), LENGTH(f.path) - %d) = ", len([]rune(e))-1), param{e})), nil
	case "before", "until":
		t, err := parseTime(field, v)
		if err != nil {
			return nil, err
		}
		return sqlPred(sq("c.updated_on <= ", param{t.UnixMicro()})), nil
	case "after", "since":
		t, err := parseTime(field, v)
		if err != nil {
			return nil, err
		}
		return sqlPred(sq("c.updated_on >= ", param{t.UnixMicro()})), nil
	case "mergedbefore":
		t, err := parseTime(field, v)
		if err != nil {
			return nil, err
		}
		return sqlPred(sq("c.status = 'MERGED' AND c.submitted_on <= ", param{t.UnixMicro()})), nil
	case "mergedafter":
		t, err := parseTime(field, v)
		if err != nil {
			return nil, err
		}
		return sqlPred(sq("c.status = 'MERGED' AND c.submitted_on >= ", param{t.UnixMicro()})), nil
	case "age":
		d, err := parseAge(v)
		if err != nil {
			return nil, err
		}
		return sqlPred(sq("c.updated_on <= ", param{c.now.Add(-d).UnixMicro()})), nil
	case "added", "deleted", "delta", "size":
		op, n, err := parseRelation(field, v)
		if err != nil {
			return nil, err
		}
		col := map[string]string{"added": "ps.insertions", "deleted": "ps.deletions", "delta": "ps.insertions + ps.deletions", "size": "ps.insertions + ps.deletions"}[field]
		return sqlPred(curPS(col, " ", op, " ", param{n})), nil
	case "unresolved":
		op, n, err := parseRelation(field, v)
		if err != nil {
			return nil, err
		}
		return sqlPred(sq("(SELECT COUNT(*) FROM comments x WHERE ", unresolvedLeaf, ") ", op, " ", param{n})), nil
	case "changekind":
		return sqlPred(curPS("ps.kind = ", param{strings.ToUpper(v)})), nil
	case "submissionid":
		return sqlPred(sq("c.submission_id = ", param{v})), nil
	case "conflicts":
		return c.conflicts(v)
	case "reviewedby":
		return c.accountPred(field, v, reviewedBy)
	case "reviewercount":
		op, n, err := parseRelation(field, v)
		if err != nil {
			return nil, err
		}
		return sqlPred(sq("(SELECT COUNT(*) FROM reviewers r WHERE r.change_id = c.id AND r.state = 'REVIEWER') ", op, " ", param{n})), nil
	case "parentof":
		return c.parentOf(v)
	case "revertof":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, errValue(field, v)
		}
		return sqlPred(sq("c.revert_of = ", param{n})), nil
	case "cherrypickof":
		return cherryPickOf(v)
	case "footer":
		// KEY=VALUE or "KEY: VALUE"; the key in any case, the value exact.
		key, val, ok := strings.Cut(v, "=")
		if !ok {
			key, val, ok = strings.Cut(v, ":")
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok || key == "" {
			return nil, errValue(field, v)
		}
		return footerPred(key, func(m change.CommitMessage) bool { return m.Has(key, val) }), nil
	case "hasfooter":
		key := strings.TrimSpace(v)
		return footerPred(key, func(m change.CommitMessage) bool { return len(m.Values(key)) > 0 }), nil
	}
	return nil, errUnsupported(field, v)
}

// footerPred matches the changes whose current commit message's footers
// satisfy has; SQL first keeps the messages that mention the key.
func footerPred(key string, has func(change.CommitMessage) bool) *pred {
	super := curPS(`LOWER(ps.message) LIKE `, param{likeContains(strings.ToLower(key))}, ` ESCAPE '\'`)
	return goPred(super, func(ctx context.Context, r *runner, cs []*change.Change) ([]bool, error) {
		msgs, err := r.messages(ctx, cs)
		if err != nil {
			return nil, err
		}
		out := make([]bool, len(cs))
		for i, ch := range cs {
			out[i] = has(change.ParseCommitMessage(msgs[ch.Number]))
		}
		return out, nil
	})
}

// reviewedBy: one of the accounts, not the owner, wrote on the change
// since the owner's last message (uploads write one), as is:reviewed asks
// of anyone.
func reviewedBy(ids []int64) frag {
	return sq(`EXISTS (SELECT 1 FROM change_messages m WHERE m.change_id = c.id AND m.author_id <> c.owner_id AND `, in("m.author_id", ids),
		` AND m.created_on > COALESCE((SELECT MAX(o.created_on) FROM change_messages o WHERE o.change_id = c.id AND o.author_id = c.owner_id), 0))`)
}

// parentOf compiles parentof:ID: the changes one of whose patch sets is a
// parent of the current patch set of change ID.
func (c *compiler) parentOf(v string) (*pred, error) {
	id, err := parseChangeID(v)
	if err != nil {
		return nil, err
	}
	match := changeMatch(id)
	// parents is a space-separated list of full ids.
	return sqlPred(sq(`EXISTS (SELECT 1 FROM patch_sets p JOIN changes o ON `, match, `
		JOIN patch_sets ops ON ops.change_id = o.id AND ops.ps = o.current_ps
		WHERE p.change_id = c.id AND (' ' || ops.parents || ' ') LIKE ('% ' || p.commit_sha || ' %'))`)), nil
}

// cherryPickOf compiles cherrypickof:CHANGE[,PATCHSET], CHANGE a number
// or project~number.
func cherryPickOf(v string) (*pred, error) {
	id, psText, hasPS := strings.Cut(v, ",")
	ps := 0
	if hasPS {
		var err error
		if ps, err = strconv.Atoi(psText); err != nil || ps <= 0 {
			return nil, errValue("cherrypickof", v)
		}
	}
	cid, err := parseChangeID(id)
	if err != nil || cid.number == 0 || cid.key != "" {
		return nil, errValue("cherrypickof", v)
	}
	f := sq("c.cherry_pick_of_change = ", param{cid.number})
	if cid.project != "" {
		f = sq(`EXISTS (SELECT 1 FROM changes o WHERE o.id = c.cherry_pick_of_change AND `, changeMatch(cid), `)`)
	}
	if hasPS {
		f = joinFrags("AND", []frag{f, sq("c.cherry_pick_of_ps = ", param{ps})})
	}
	return sqlPred(f), nil
}

// Patterns are compiled on first use: every push starts this binary as a
// git hook, which must not pay for them.
var (
	legacyID   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[1-9][0-9]{0,18}$`) })
	changeKey  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[iI][0-9a-fA-F]{4,40}$`) })
	hexPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-fA-F]{4,40}$`) })
)

// defaultField compiles a bare word: a change number, a Change-Id, a
// commit, or else any of the fields Gerrit searches by default.
func (c *compiler) defaultField(v string) (*pred, error) {
	switch {
	case v == "self" || v == "me":
		if c.opts.Caller == 0 {
			return nil, errSignIn()
		}
		ids := []int64{c.opts.Caller}
		return sqlPred(joinFrags("OR", []frag{ownerIn(ids), reviewerIn(change.StateReviewer)(ids)})), nil
	case strings.HasPrefix(v, "refs/"):
		return sqlPred(sq("c.branch = ", param{v})), nil
	case legacyID().MatchString(v):
		p, err := c.change(v)
		if err != nil {
			return nil, err
		}
		if len(v) >= 6 {
			p = orPred(p, commit(v))
		}
		return p, nil
	case changeKey().MatchString(v) || strings.Count(v, "~") == 2:
		return c.change(v)
	}
	var kids []*pred
	ids, err := c.resolveAccounts(v)
	switch {
	case err == nil:
		kids = append(kids, sqlPred(ownerIn(ids)), sqlPred(reviewerIn(change.StateReviewer)(ids)))
	case !isQueryError(err):
		return nil, err
	}
	if s, err := parseLabel(v); err == nil && strings.ContainsAny(v, "=<>+-") && s.kind != voteAny {
		if p, err := c.label(s, v); err == nil {
			kids = append(kids, p)
		} else if !isQueryError(err) {
			return nil, err
		}
	}
	if hexPattern().MatchString(v) {
		kids = append(kids, commit(v))
	}
	pat := likeContains(strings.ToLower(v))
	kids = append(kids,
		sqlPred(fileComponent(v)),
		sqlPred(curPS(`LOWER(ps.message) LIKE `, param{pat}, ` ESCAPE '\'`)),
		sqlPred(sq(`LOWER(c.subject) LIKE `, param{pat}, ` ESCAPE '\'`)),
		sqlPred(prefixOf("c.project", v)),
		sqlPred(sq("c.branch = ", param{"refs/heads/" + v})),
		sqlPred(sq("c.topic = ", param{v})),
	)
	return orPred(kids...), nil
}

func isQueryError(err error) bool {
	var qe *Error
	return errors.As(err, &qe) && !qe.Auth
}

// changeID is a parsed change:ID: a number, a Change-Id (or its prefix),
// project~number or project~branch~Change-Id.
type changeID struct {
	number  int64
	key     string // I + hex, lower case after the I
	project string
	branch  string // full ref name
}

func parseChangeID(v string) (changeID, error) {
	if legacyID().MatchString(v) {
		n, _ := strconv.ParseInt(v, 10, 64)
		return changeID{number: n}, nil
	}
	if changeKey().MatchString(v) {
		return changeID{key: "I" + strings.ToLower(v[1:])}, nil
	}
	parts := strings.Split(v, "~")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	switch {
	case len(parts) == 2 && legacyID().MatchString(parts[1]):
		n, _ := strconv.ParseInt(parts[1], 10, 64)
		return changeID{number: n, project: parts[0]}, nil
	case len(parts) == 3 && changeKey().MatchString(parts[2]):
		branch := parts[1]
		if !strings.HasPrefix(branch, "refs/heads/") {
			branch = "refs/heads/" + branch
		}
		return changeID{key: "I" + strings.ToLower(parts[2][1:]), project: parts[0], branch: branch}, nil
	}
	return changeID{}, errorf("Invalid change id: %s", v)
}

// matches reports whether c is the change id designates.
func (id changeID) matches(c *change.Change) bool {
	switch {
	case id.number != 0 && c.Number != id.number,
		id.key != "" && !strings.HasPrefix(c.Key, id.key),
		id.project != "" && c.Project != id.project,
		id.branch != "" && c.Branch != id.branch:
		return false
	}
	return true
}

// change compiles change:ID.
func (c *compiler) change(v string) (*pred, error) {
	id, err := parseChangeID(v)
	if err != nil {
		return nil, err
	}
	var fs []frag
	if id.number != 0 {
		fs = append(fs, sq("c.id = ", param{id.number}))
	}
	if id.key != "" {
		fs = append(fs, keyMatch("c.change_key", id.key))
	}
	if id.project != "" {
		fs = append(fs, sq("c.project = ", param{id.project}))
	}
	if id.branch != "" {
		fs = append(fs, sq("c.branch = ", param{id.branch}))
	}
	return sqlPred(joinFrags("AND", fs)), nil
}

// keyMatch writes a condition on the Change-Id: equal when complete, a
// prefix otherwise.
func keyMatch(col, k string) frag {
	hex := k[1:]
	if len(hex) == 40 {
		return sq(col+" = ", param{"I" + hex})
	}
	return hexPrefix(col, "I", hex)
}

// conflicts compiles conflicts:ID without trial merges: the other open
// changes of the same project and branch whose current patch sets touch
// a file that ID's current patch set touches. It finds every change
// Gerrit reports and possibly more.
func (c *compiler) conflicts(v string) (*pred, error) {
	id, err := parseChangeID(v)
	if err != nil {
		return nil, err
	}
	match := changeMatch(id)
	return sqlPred(sq(`c.status = 'NEW' AND EXISTS (SELECT 1 FROM changes o
		JOIN patch_set_files fo ON fo.change_id = o.id AND fo.ps = o.current_ps
		JOIN patch_set_files f ON f.change_id = c.id AND f.ps = c.current_ps AND f.path = fo.path
		WHERE o.id <> c.id AND o.project = c.project AND o.branch = c.branch AND `, match, ")")), nil
}

// changeMatch selects (alias o) the change an ID argument names.
func changeMatch(id changeID) frag {
	var fs []frag
	if id.number != 0 {
		fs = append(fs, sq("o.id = ", param{id.number}))
	}
	if id.key != "" {
		fs = append(fs, keyMatch("o.change_key", id.key))
	}
	if id.project != "" {
		fs = append(fs, sq("o.project = ", param{id.project}))
	}
	if id.branch != "" {
		fs = append(fs, sq("o.branch = ", param{id.branch}))
	}
	return joinFrags("AND", fs)
}

// commit compiles commit:SHA, a full or abbreviated id of any patch set.
func commit(v string) *pred {
	if !hexPattern().MatchString(v) {
		return predFalse
	}
	v = strings.ToLower(v)
	if len(v) == 40 {
		return sqlPred(sq("c.id IN (SELECT s.change_id FROM patch_sets s WHERE s.commit_sha = ", param{v}, ")"))
	}
	return sqlPred(sq("c.id IN (SELECT s.change_id FROM patch_sets s WHERE ", hexPrefix("s.commit_sha", "", v), ")"))
}

func (c *compiler) status(v string) (*pred, error) {
	switch strings.ToLower(v) {
	case "open", "pending", "new":
		return sqlPred(sq("c.status = 'NEW'")), nil
	case "merged":
		return sqlPred(sq("c.status = 'MERGED'")), nil
	case "abandoned":
		return sqlPred(sq("c.status = 'ABANDONED'")), nil
	case "closed":
		return sqlPred(sq("c.status IN ('MERGED', 'ABANDONED')")), nil
	case "reviewed":
		return sqlPred(reviewed), nil
	}
	return nil, errValue("status", v)
}

// reviewed: someone other than the owner wrote on the change since the
// owner's last message (uploads write one).
var reviewed = sq(`EXISTS (SELECT 1 FROM change_messages m WHERE m.change_id = c.id AND m.author_id <> c.owner_id
	AND m.created_on > COALESCE((SELECT MAX(o.created_on) FROM change_messages o WHERE o.change_id = c.id AND o.author_id = c.owner_id), 0))`)

func (c *compiler) is(v string) (*pred, error) {
	switch lv := strings.ToLower(v); lv {
	case "open", "pending", "new", "merged", "abandoned", "closed", "reviewed":
		return c.status(lv)
	case "wip":
		return sqlPred(sq("c.wip")), nil
	case "private":
		return sqlPred(sq("c.private")), nil
	case "owner":
		return c.accountPred("owner", "self", ownerIn)
	case "reviewer":
		return c.accountPred("reviewer", "self", reviewerIn(change.StateReviewer))
	case "cc":
		return c.accountPred("cc", "self", reviewerIn(change.StateCC))
	case "uploader":
		return c.accountPred("uploader", "self", uploaderIn)
	case "starred":
		return c.accountPred("starredby", "self", starredBy)
	case "attention":
		return c.accountPred("attention", "self", attentionOf)
	case "watched":
		return c.isWatched()
	case "merge":
		return sqlPred(curPS(`ps.parents LIKE '% %'`)), nil
	case "cherrypick":
		return sqlPred(sq("c.cherry_pick_of_change IS NOT NULL")), nil
	case "pure-revert":
		// Only messages that name a reverted commit are checked in git.
		return c.evalPred(curPS(`ps.message LIKE '%This reverts commit %'`), func(ctx context.Context, e Evaluator, ch *change.Change) (bool, error) {
			return e.PureRevert(ctx, ch)
		})
	case "visible", "true":
		return predTrue, nil
	case "false":
		return predFalse, nil
	case "submittable":
		return c.evalPred(sq("c.status = 'NEW'"), func(ctx context.Context, e Evaluator, ch *change.Change) (bool, error) {
			return e.Submittable(ctx, ch)
		})
	case "mergeable":
		return c.evalPred(sq("c.status = 'NEW'"), func(ctx context.Context, e Evaluator, ch *change.Change) (bool, error) {
			return e.Mergeable(ctx, ch)
		})
	}
	return nil, errUnsupported("is", v)
}

func (c *compiler) has(v string) (*pred, error) {
	switch strings.ToLower(v) {
	case "unresolved":
		return sqlPred(sq("EXISTS (SELECT 1 FROM comments x WHERE ", unresolvedLeaf, ")")), nil
	case "draft":
		return c.accountPred("draftby", "self", c.draftBy)
	case "star":
		return c.accountPred("starredby", "self", starredBy)
	case "hashtag":
		return sqlPred(sq("c.id IN (SELECT h.change_id FROM hashtags h)")), nil
	case "attention":
		return sqlPred(sq("c.id IN (SELECT t.change_id FROM attention_set t WHERE t.in_set)")), nil
	case "edit":
		// The caller's edits, which live in git; only open changes have
		// them.
		if c.opts.Caller == 0 {
			return nil, errSignIn()
		}
		who := c.opts.Caller
		return c.evalPred(sq("c.status = 'NEW'"), func(ctx context.Context, e Evaluator, ch *change.Change) (bool, error) {
			return e.HasEdit(ctx, ch, who)
		})
	}
	return nil, errUnsupported("has", v)
}

// unresolvedLeaf selects (alias x) the published comments that end an
// unresolved thread: unresolved and without a published reply.
var unresolvedLeaf = sq(`x.change_id = c.id AND NOT x.draft AND x.unresolved
	AND NOT EXISTS (SELECT 1 FROM comments y WHERE y.change_id = c.id AND NOT y.draft AND y.in_reply_to = x.id)`)

// The account conditions, each on a set of account ids.
func ownerIn(ids []int64) frag { return in("c.owner_id", ids) }

func reviewerIn(state string) func([]int64) frag {
	return func(ids []int64) frag {
		return sq("c.id IN (SELECT r.change_id FROM reviewers r WHERE r.state = '"+state+"' AND ", in("r.account_id", ids), ")")
	}
}

func uploaderIn(ids []int64) frag { return curPS(in("ps.uploader_id", ids)) }

func commentBy(ids []int64) frag {
	return sq("c.id IN (SELECT x.change_id FROM comments x WHERE NOT x.draft AND ", in("x.author_id", ids),
		") OR c.id IN (SELECT m.change_id FROM change_messages m WHERE ", in("m.author_id", ids), ")")
}

// isWatched compiles is:watched: the changes of the projects the caller
// watches that match each watch's filter. A filter that does not compile
// (or names is:watched itself) matches nothing.
func (c *compiler) isWatched() (*pred, error) {
	if c.opts.Caller == 0 {
		return nil, errSignIn()
	}
	if c.watched {
		return predFalse, nil
	}
	ws, err := c.opts.Resolver.Watches(c.ctx, c.opts.Caller)
	if err != nil {
		return nil, err
	}
	c.watched = true
	defer func() { c.watched = false }()
	var kids []*pred
	for _, w := range ws {
		p := sqlPred(sq("c.project = ", param{w.Project}))
		if w.Filter != "" {
			n, err := Parse(w.Filter)
			if err != nil {
				continue
			}
			f, err := c.compile(n, false)
			var broken *Error
			if errors.As(err, &broken) {
				continue // a filter that is no query matches nothing
			}
			if err != nil {
				return nil, err // the resolver failed: not the filter's fault
			}
			p = andPred(p, f)
		}
		kids = append(kids, p)
	}
	return orPred(kids...), nil
}

func attentionOf(ids []int64) frag {
	return sq("c.id IN (SELECT t.change_id FROM attention_set t WHERE t.in_set AND ", in("t.account_id", ids), ")")
}

func starredBy(ids []int64) frag {
	return sq("c.id IN (SELECT s.change_id FROM stars s WHERE ", in("s.account_id", ids), ")")
}

// draftBy: drafts are private, so only the caller's count.
func (c *compiler) draftBy(ids []int64) frag {
	for _, id := range ids {
		if id == c.opts.Caller && id != 0 {
			return sq("c.id IN (SELECT d.change_id FROM comments d WHERE d.draft AND d.author_id = ", param{id}, ")")
		}
	}
	return sqlFalse
}

// personLike matches the author or committer of the current patch set by
// exact email or by part of the name or email, case-insensitively.
func personLike(who, v string) frag {
	pat := likeContains(strings.ToLower(v))
	return curPS(`LOWER(ps.`+who+`_email) LIKE `, param{pat}, ` ESCAPE '\' OR LOWER(ps.`+who+`_name) LIKE `, param{pat}, ` ESCAPE '\'`)
}

// fileComponent matches a file of the current patch set whose path (or
// old path) has name as a path component or a run of components.
func fileComponent(name string) frag {
	n := "/" + strings.Trim(name, "/") + "/"
	// REPLACE is case-sensitive on both databases, unlike LIKE on SQLite.
	return curFile(`REPLACE('/' || f.path || '/', `, param{n}, `, '') <> '/' || f.path || '/'`,
		` OR (f.old_path <> '' AND REPLACE('/' || f.old_path || '/', `, param{n}, `, '') <> '/' || f.old_path || '/')`)
}

func (c *compiler) accountPred(field, who string, f func([]int64) frag) (*pred, error) {
	ids, err := c.resolveAccounts(who)
	if err != nil {
		return nil, err
	}
	return sqlPred(f(ids)), nil
}

func (c *compiler) groupPred(group string, f func([]int64) frag) (*pred, error) {
	ids, err := c.groupMembers(group)
	if err != nil {
		return nil, err
	}
	return sqlPred(f(ids)), nil
}

// resolveAccounts resolves a user name; self and me are the caller.
func (c *compiler) resolveAccounts(who string) ([]int64, error) {
	if who == "self" || who == "me" {
		if c.opts.Caller == 0 {
			return nil, errSignIn()
		}
		return []int64{c.opts.Caller}, nil
	}
	if c.opts.Resolver == nil {
		return nil, errors.New("query: no resolver for account names")
	}
	ids, err := c.opts.Resolver.Accounts(c.ctx, who)
	if errors.Is(err, ErrNotFound) || err == nil && len(ids) == 0 {
		return nil, errorf("Account '%s' not found", who)
	}
	if err != nil {
		return nil, fmt.Errorf("resolve account %q: %w", who, err)
	}
	return ids, nil
}

func (c *compiler) groupMembers(group string) ([]int64, error) {
	if c.opts.Resolver == nil {
		return nil, errors.New("query: no resolver for group names")
	}
	ids, err := c.opts.Resolver.GroupMembers(c.ctx, group)
	if errors.Is(err, ErrNotFound) {
		return nil, errorf("Group %s not found", group)
	}
	if err != nil {
		return nil, fmt.Errorf("resolve group %q: %w", group, err)
	}
	return ids, nil
}

// evalPred compiles an operator the Evaluator decides.
func (c *compiler) evalPred(super frag, f func(context.Context, Evaluator, *change.Change) (bool, error)) (*pred, error) {
	if c.opts.Evaluator == nil {
		return nil, errors.New("query: no evaluator for submit rules and mergeability")
	}
	e := c.opts.Evaluator
	return goPred(super, func(ctx context.Context, _ *runner, cs []*change.Change) ([]bool, error) {
		out := make([]bool, len(cs))
		for i, ch := range cs {
			ok, err := f(ctx, e, ch)
			if err != nil {
				return nil, err
			}
			out[i] = ok
		}
		return out, nil
	}), nil
}

func isRegex(v string) bool { return strings.HasPrefix(v, "^") }

// compileRegex compiles a Gerrit ^pattern, which matches whole strings.
func compileRegex(v string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + strings.TrimPrefix(v, "^") + `)$`)
	if err != nil {
		return nil, errorf("Invalid regular expression: %s", v)
	}
	return re, nil
}

// regexPred matches a change's strings against a ^pattern in Go; col, when
// given, is narrowed in SQL to the pattern's literal prefix.
func regexPred(v, col string, values func(*change.Change) []string) (*pred, error) {
	re, err := compileRegex(v)
	if err != nil {
		return nil, err
	}
	var super frag
	if p, _ := re.LiteralPrefix(); p != "" && col != "" {
		super = prefixOf(col, p)
	}
	return goPred(super, func(_ context.Context, _ *runner, cs []*change.Change) ([]bool, error) {
		out := make([]bool, len(cs))
		for i, ch := range cs {
			for _, s := range values(ch) {
				if re.MatchString(s) {
					out[i] = true
					break
				}
			}
		}
		return out, nil
	}), nil
}

// pathRegex matches the files of the current patch set against a ^pattern.
func pathRegex(v string) (*pred, error) {
	re, err := compileRegex(v)
	if err != nil {
		return nil, err
	}
	var super frag
	if p, _ := re.LiteralPrefix(); p != "" {
		super = curFile(prefixOf("f.path", p), " OR ", prefixOf("f.old_path", p))
	}
	return goPred(super, func(ctx context.Context, r *runner, cs []*change.Change) ([]bool, error) {
		files, err := r.files(ctx, cs)
		if err != nil {
			return nil, err
		}
		out := make([]bool, len(cs))
		for i, ch := range cs {
			for _, p := range files[ch.Number] {
				if re.MatchString(p) {
					out[i] = true
					break
				}
			}
		}
		return out, nil
	}), nil
}

// parseRelation parses ">=N", ">N", "<=N", "<N", "=N" or "N".
func parseRelation(field, v string) (string, int, error) {
	op := "="
	rest := v
	for _, o := range []string{">=", "<=", ">", "<", "="} {
		if strings.HasPrefix(v, o) {
			op, rest = o, v[len(o):]
			break
		}
	}
	n, err := strconv.Atoi(rest)
	if err != nil {
		return "", 0, errValue(field, v)
	}
	return op, n, nil
}

func parseLimit(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, errorf("Invalid limit: %s", v)
	}
	return n, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
