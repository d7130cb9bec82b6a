package query

import (
	"context"
	"slices"
	"strings"

	"tandem/internal/change"
	"tandem/internal/clock"
)

// Facts is what Match knows of one change. Methods taking a context may
// load lazily; Match calls only those its query needs.
type Facts interface {
	Change() *change.Change
	// PatchSet is the current patch set; for a copyCondition, the new one
	// (its Kind is the change kind relative to the previous one).
	PatchSet() *change.PatchSet
	// Votes are the votes on PatchSet (zero votes may be left out).
	Votes(ctx context.Context) ([]change.Vote, error)
	// UnresolvedComments counts the unresolved comment threads.
	UnresolvedComments(ctx context.Context) (int, error)
	// Files are the files PatchSet touches.
	Files(ctx context.Context) ([]change.File, error)
	// Labels are the labels configured for the change's project.
	Labels(ctx context.Context) ([]LabelType, error)
}

// VoteFacts is Facts while judging a copyCondition: the vote that may be
// copied to the new patch set, which is:MIN, is:MAX, is:ANY, is:POSITIVE,
// is:NEGATIVE and approverin: look at.
type VoteFacts interface {
	Facts
	Vote() *change.Vote
}

// StaticFacts is Facts (and VoteFacts) over values already loaded.
type StaticFacts struct {
	C          *change.Change
	PS         *change.PatchSet
	Approvals  []change.Vote
	Unresolved int
	FileList   []change.File
	LabelTypes []LabelType
	Approval   *change.Vote // the vote a copyCondition judges; nil otherwise
}

func (f *StaticFacts) Change() *change.Change                          { return f.C }
func (f *StaticFacts) PatchSet() *change.PatchSet                      { return f.PS }
func (f *StaticFacts) Votes(context.Context) ([]change.Vote, error)    { return f.Approvals, nil }
func (f *StaticFacts) UnresolvedComments(context.Context) (int, error) { return f.Unresolved, nil }
func (f *StaticFacts) Files(context.Context) ([]change.File, error)    { return f.FileList, nil }
func (f *StaticFacts) Labels(context.Context) ([]LabelType, error)     { return f.LabelTypes, nil }
func (f *StaticFacts) Vote() *change.Vote                              { return f.Approval }

// Matcher matches query trees against one change in memory, for submit
// requirements (submittableIf, applicableIf, overrideIf) and label
// copyConditions. A Matcher is safe for concurrent use if its Resolver and
// Evaluator are.
type Matcher struct {
	Caller    int64
	Resolver  Resolver    // user and group names; nil if the queries use none
	Evaluator Evaluator   // label:X=ok… and is:submittable; nil if unused
	Clock     clock.Clock // age:; nil is the real clock
}

// Match reports whether the change f describes matches n. Operators that
// need what Facts do not carry (reviewers, stars, hashtags, …) are an
// *Error, as for an unknown operator.
func (m *Matcher) Match(ctx context.Context, n *Node, f Facts) (bool, error) {
	clk := m.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	x := &matching{
		c: &compiler{ctx: ctx, opts: Options{Caller: m.Caller, Resolver: m.Resolver, Evaluator: m.Evaluator}, now: clk.Now()},
		f: f,
	}
	return x.match(ctx, n)
}

type matching struct {
	c *compiler
	f Facts
}

func (x *matching) match(ctx context.Context, n *Node) (bool, error) {
	switch n.Op {
	case OpAnd, OpOr:
		want := n.Op == OpOr
		for _, k := range n.Kids {
			ok, err := x.match(ctx, k)
			if err != nil || ok == want {
				return want, err
			}
		}
		return !want, nil
	case OpNot:
		ok, err := x.match(ctx, n.Kids[0])
		return !ok, err
	}
	return x.term(ctx, n.Field, n.Value)
}

func (x *matching) term(ctx context.Context, field, v string) (bool, error) {
	ch, ps := x.f.Change(), x.f.PatchSet()
	switch field {
	case "":
		if legacyID().MatchString(v) || changeKey().MatchString(v) || strings.Count(v, "~") == 2 {
			id, err := parseChangeID(v)
			return err == nil && id.matches(ch), err
		}
	case "change":
		id, err := parseChangeID(v)
		return err == nil && id.matches(ch), err
	case "commit":
		return ps != nil && hexPattern().MatchString(v) && strings.HasPrefix(ps.Commit, strings.ToLower(v)), nil
	case "status":
		return x.status(v)
	case "is":
		return x.is(ctx, v)
	case "has":
		if strings.EqualFold(v, "unresolved") {
			n, err := x.f.UnresolvedComments(ctx)
			return n > 0, err
		}
	case "unresolved":
		op, want, err := parseRelation(field, v)
		if err != nil {
			return false, err
		}
		n, err := x.f.UnresolvedComments(ctx)
		return relate(n, op, want), err
	case "owner", "o":
		return x.accountIs(v, ch.OwnerID)
	case "uploader":
		return x.accountIs(v, uploader(ps))
	case "ownerin":
		return x.inGroup(v, ch.OwnerID)
	case "uploaderin":
		return x.inGroup(v, uploader(ps))
	case "approverin":
		vote, err := x.vote(field, v)
		if err != nil {
			return false, err
		}
		return x.inGroup(v, vote.AccountID)
	case "author", "a":
		return ps != nil && personHas(ps.Author, v), nil
	case "committer":
		return ps != nil && personHas(ps.Committer, v), nil
	case "project", "p", "repo", "repository":
		return matchValue(v, ch.Project)
	case "projects":
		return strings.HasPrefix(ch.Project, v), nil
	case "branch":
		if isRegex(v) {
			return matchValue(v, ch.ShortBranch(), ch.Branch)
		}
		if !strings.HasPrefix(v, "refs/heads/") {
			v = "refs/heads/" + v
		}
		return ch.Branch == v, nil
	case "ref":
		return matchValue(v, ch.Branch)
	case "topic":
		return matchValue(v, ch.Topic)
	case "label", "l":
		s, err := parseLabel(v)
		if err != nil {
			return false, err
		}
		return x.label(ctx, s, field+":"+v)
	case "message", "m":
		return ps != nil && strings.Contains(strings.ToLower(ps.Message), strings.ToLower(v)), nil
	case "subject":
		return strings.Contains(strings.ToLower(ch.Subject), strings.ToLower(v)), nil
	case "file", "f", "path", "dir", "directory", "ext", "extension":
		return x.files(ctx, field, v)
	case "changekind":
		return ps != nil && strings.EqualFold(ps.Kind, v), nil
	case "before", "until", "after", "since":
		t, err := parseTime(field, v)
		if err != nil {
			return false, err
		}
		if field == "before" || field == "until" {
			return !ch.Updated.After(t), nil
		}
		return !ch.Updated.Before(t), nil
	case "age":
		d, err := parseAge(v)
		if err != nil {
			return false, err
		}
		return !ch.Updated.After(x.c.now.Add(-d)), nil
	case "added", "deleted", "delta", "size":
		op, want, err := parseRelation(field, v)
		if err != nil || ps == nil {
			return false, err
		}
		n := map[string]int{"added": ps.Insertions, "deleted": ps.Deletions}[field]
		if field == "delta" || field == "size" {
			n = ps.Insertions + ps.Deletions
		}
		return relate(n, op, want), nil
	}
	return false, errUnsupported(field, v)
}

func uploader(ps *change.PatchSet) int64 {
	if ps == nil {
		return 0
	}
	return ps.UploaderID
}

func (x *matching) status(v string) (bool, error) {
	st := x.f.Change().Status
	switch strings.ToLower(v) {
	case "open", "pending", "new":
		return st == change.StatusNew, nil
	case "merged":
		return st == change.StatusMerged, nil
	case "abandoned":
		return st == change.StatusAbandoned, nil
	case "closed":
		return st == change.StatusMerged || st == change.StatusAbandoned, nil
	case "reviewed":
		return false, errUnsupported("status", v)
	}
	return false, errValue("status", v)
}

func (x *matching) is(ctx context.Context, v string) (bool, error) {
	ch := x.f.Change()
	switch lv := strings.ToLower(v); lv {
	case "open", "pending", "new", "merged", "abandoned", "closed":
		return x.status(lv)
	case "reviewed":
		return false, errUnsupported("is", v)
	case "wip":
		return ch.WIP, nil
	case "private":
		return ch.Private, nil
	case "true", "visible":
		return true, nil
	case "false":
		return false, nil
	case "owner":
		return x.accountIs("self", ch.OwnerID)
	case "uploader":
		return x.accountIs("self", uploader(x.f.PatchSet()))
	case "merge":
		ps := x.f.PatchSet()
		return ps != nil && len(ps.Parents) > 1, nil
	case "submittable", "mergeable":
		e := x.c.opts.Evaluator
		if e == nil {
			return false, errUnsupported("is", v)
		}
		if ch.Status != change.StatusNew {
			return false, nil
		}
		if lv == "submittable" {
			return e.Submittable(ctx, ch)
		}
		return e.Mergeable(ctx, ch)
	case "min", "max", "any", "positive", "negative":
		vote, err := x.vote("is", v)
		if err != nil {
			return false, err
		}
		switch lv {
		case "any":
			return vote.Value != 0, nil
		case "positive":
			return vote.Value > 0, nil
		case "negative":
			return vote.Value < 0, nil
		}
		ts, err := x.f.Labels(ctx)
		if err != nil {
			return false, err
		}
		t, ok := findLabel(ts, vote.Label)
		if !ok {
			return false, nil
		}
		if lv == "min" {
			return vote.Value == t.Min && t.Min < 0, nil
		}
		return vote.Value == t.Max && t.Max > 0, nil
	}
	return false, errUnsupported("is", v)
}

// vote returns the vote a copyCondition judges.
func (x *matching) vote(field, v string) (*change.Vote, error) {
	if vf, ok := x.f.(VoteFacts); ok {
		if a := vf.Vote(); a != nil {
			return a, nil
		}
	}
	return nil, errorf("Operator %s:%s is only allowed in a copyCondition", field, v)
}

func (x *matching) accountIs(who string, id int64) (bool, error) {
	ids, err := x.c.resolveAccounts(who)
	if err != nil {
		return false, err
	}
	return slices.Contains(ids, id), nil
}

func (x *matching) inGroup(group string, id int64) (bool, error) {
	ids, err := x.c.groupMembers(group)
	if err != nil {
		return false, err
	}
	return slices.Contains(ids, id), nil
}

// matchValue compares s (any of ss) to v, a literal or a ^pattern.
func matchValue(v string, ss ...string) (bool, error) {
	if !isRegex(v) {
		return slices.Contains(ss, v), nil
	}
	re, err := compileRegex(v)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(ss, re.MatchString), nil
}

func personHas(p change.Person, v string) bool {
	v = strings.ToLower(v)
	return strings.Contains(strings.ToLower(p.Email), v) || strings.Contains(strings.ToLower(p.Name), v)
}

func relate(n int, op string, want int) bool {
	switch op {
	case ">=":
		return n >= want
	case ">":
		return n > want
	case "<=":
		return n <= want
	case "<":
		return n < want
	}
	return n == want
}

func (x *matching) files(ctx context.Context, field, v string) (bool, error) {
	fs, err := x.f.Files(ctx)
	if err != nil {
		return false, err
	}
	var paths []string
	for _, f := range fs {
		paths = append(paths, f.Path)
		if f.OldPath != "" {
			paths = append(paths, f.OldPath)
		}
	}
	if (field == "file" || field == "f" || field == "path") && isRegex(v) {
		return matchValue(v, paths...)
	}
	for _, p := range paths {
		switch field {
		case "file", "f":
			if strings.Contains("/"+p+"/", "/"+strings.Trim(v, "/")+"/") {
				return true, nil
			}
		case "path":
			if p == v {
				return true, nil
			}
		case "dir", "directory":
			if d := strings.Trim(v, "/"); d == "" || strings.HasPrefix(p, d+"/") {
				return true, nil
			}
		default: // ext
			if strings.HasSuffix(strings.ToLower(p), "."+strings.ToLower(strings.TrimPrefix(v, "."))) {
				return true, nil
			}
		}
	}
	return false, nil
}

// label matches a label: term with the semantics of labelSQL.
func (x *matching) label(ctx context.Context, s *labelSpec, text string) (bool, error) {
	vs, err := x.c.voters(s)
	if err != nil {
		return false, err
	}
	ch := x.f.Change()
	if s.kind == voteStatus {
		p, err := x.c.labelStatus(s, vs, text)
		if err != nil {
			return false, err
		}
		got, err := p.eval(ctx, nil, []*change.Change{ch})
		if err != nil {
			return false, err
		}
		return got[0], nil
	}
	var r voteRange
	if s.needsConfig() {
		ts, err := x.f.Labels(ctx)
		if err != nil {
			return false, err
		}
		t, ok := findLabel(ts, s.name)
		r = s.rangeFor(t, ok)
	} else {
		r = s.rangeFor(LabelType{}, false)
	}
	votes, err := x.f.Votes(ctx)
	if err != nil {
		return false, err
	}
	by, err := x.voterFilter(vs)
	if err != nil {
		return false, err
	}
	inRange, cast := 0, 0
	for _, a := range votes {
		if a.Value == 0 || !strings.EqualFold(a.Label, s.name) || !by(a.AccountID) {
			continue
		}
		cast++
		if r.has(a.Value) {
			inRange++
		}
	}
	if s.count != nil {
		lo, hi := s.count.countRange()
		return inRange >= lo && (hi < 0 || inRange <= hi), nil
	}
	if s.kind == voteNumber && r.hasZero() && cast == 0 {
		return true, nil
	}
	return inRange > 0, nil
}

// voterFilter returns whether an account's vote counts for vs.
func (x *matching) voterFilter(vs voters) (func(int64) bool, error) {
	ch, ps := x.f.Change(), x.f.PatchSet()
	switch vs.who {
	case whoAccounts:
		return func(id int64) bool { return slices.Contains(vs.ids, id) }, nil
	case whoOwner:
		return func(id int64) bool { return id == ch.OwnerID }, nil
	case whoNonUploader:
		up := uploader(ps)
		return func(id int64) bool { return id != up }, nil
	case whoNonContributor:
		excluded := []int64{uploader(ps)}
		if ps != nil && x.c.opts.Resolver != nil {
			for _, email := range []string{ps.Author.Email, ps.Committer.Email} {
				if email == "" {
					continue
				}
				ids, err := x.c.resolveAccounts(email)
				if err != nil && !isQueryError(err) {
					return nil, err
				}
				excluded = append(excluded, ids...)
			}
		}
		return func(id int64) bool { return !slices.Contains(excluded, id) }, nil
	}
	return func(int64) bool { return true }, nil
}
