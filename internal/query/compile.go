package query

import (
	"context"
	"errors"
	"time"

	"tandem/internal/change"
	"tandem/internal/clock"
)

// ErrNotFound is what a Resolver returns (possibly wrapped) for an
// account or group name that designates nothing.
var ErrNotFound = errors.New("not found")

// Resolver resolves the names a query mentions. The caller implements it
// (account and group services, project configuration).
type Resolver interface {
	// Accounts returns the accounts a user name designates (numeric id,
	// username, email, full name, "Name <email>"); none is ErrNotFound or
	// an empty list. self and me never reach it.
	Accounts(ctx context.Context, name string) ([]int64, error)
	// GroupMembers returns the accounts in a group (name or UUID),
	// subgroups included; an unknown group is ErrNotFound.
	GroupMembers(ctx context.Context, group string) ([]int64, error)
	// Labels returns the labels configured for a project (inherited
	// ones included). An unknown project has none.
	Labels(ctx context.Context, project string) ([]LabelType, error)
	// ChildProjects returns the projects whose parent is project.
	ChildProjects(ctx context.Context, project string) ([]string, error)
	// Watches returns the projects an account watches.
	Watches(ctx context.Context, account int64) ([]Watch, error)
}

// Watch is a project an account watches, with the query (possibly empty)
// that narrows which of its changes.
type Watch struct {
	Project, Filter string
}

// Evaluator answers what SQL cannot, for one change at a time; the caller
// implements it (submit rules, mergeability cache).
type Evaluator interface {
	Submittable(ctx context.Context, c *change.Change) (bool, error)
	Mergeable(ctx context.Context, c *change.Change) (bool, error)
	// LabelStatus returns the status of a label in the change's submit
	// record — OK, NEED, REJECT, MAY or IMPOSSIBLE, "" when the label does
	// not apply — and for OK and REJECT the account whose vote decided it.
	LabelStatus(ctx context.Context, c *change.Change, label string) (status string, by int64, err error)
	// HasEdit reports whether the account has a change edit of c.
	HasEdit(ctx context.Context, c *change.Change, account int64) (bool, error)
	// PureRevert reports whether c exactly undoes the commit its message
	// says it reverts.
	PureRevert(ctx context.Context, c *change.Change) (bool, error)
}

// Options are the dependencies and the caller's parameters of a query.
type Options struct {
	Caller    int64 // signed-in account; 0 is anonymous
	Resolver  Resolver
	Evaluator Evaluator   // needed by is:submittable, is:mergeable, label:X=ok…
	Clock     clock.Clock // for age:; nil is the real clock

	// Visible reports whether the caller may see a change. It runs on
	// every candidate before any Evaluator call. Nil shows every change:
	// only for internal callers, never for a user's query.
	Visible func(ctx context.Context, c *change.Change) (bool, error)

	Limit    int  // n=: page size; 0 or above MaxLimit is MaxLimit
	Start    int  // S=: visible matches to skip
	MaxLimit int  // server maximum; 0 is DefaultMaxLimit
	NoLimit  bool // no-limit: every match (limit: terms still apply)
}

// DefaultMaxLimit is the largest page when Options.MaxLimit is 0 (Gerrit's
// default queryLimit).
const DefaultMaxLimit = 500

// pred is a compiled node. An exact pred is fully expressed by where();
// otherwise where() is a superset (nil: true) and eval decides in Go.
type pred struct {
	kind     predKind
	sql      frag    // kSQL
	constant int     // kSQL: 1 always true, -1 always false, 0 neither
	kids     []*pred // kAnd, kOr, kNot
	super    frag    // kGo: condition every match satisfies; nil is true
	eval     evalFunc
	exact    bool
}

type predKind int

const (
	kSQL predKind = iota
	kAnd
	kOr
	kNot
	kGo
)

// evalFunc decides a Go predicate for candidate changes, in order.
type evalFunc func(ctx context.Context, r *runner, cs []*change.Change) ([]bool, error)

func sqlPred(f frag) *pred { return &pred{kind: kSQL, sql: f, exact: true} }

var (
	predTrue  = &pred{kind: kSQL, sql: sqlTrue, constant: 1, exact: true}
	predFalse = &pred{kind: kSQL, sql: sqlFalse, constant: -1, exact: true}
)

func goPred(super frag, eval evalFunc) *pred { return &pred{kind: kGo, super: super, eval: eval} }

func andPred(kids ...*pred) *pred {
	var keep []*pred
	exact := true
	for _, k := range kids {
		switch {
		case k.constant == -1:
			return predFalse
		case k.constant == 1:
			continue
		}
		keep = append(keep, k)
		exact = exact && k.exact
	}
	switch len(keep) {
	case 0:
		return predTrue
	case 1:
		return keep[0]
	}
	return &pred{kind: kAnd, kids: keep, exact: exact}
}

func orPred(kids ...*pred) *pred {
	var keep []*pred
	exact := true
	for _, k := range kids {
		switch {
		case k.constant == 1:
			return predTrue
		case k.constant == -1:
			continue
		}
		keep = append(keep, k)
		exact = exact && k.exact
	}
	switch len(keep) {
	case 0:
		return predFalse
	case 1:
		return keep[0]
	}
	return &pred{kind: kOr, kids: keep, exact: exact}
}

func notPred(k *pred) *pred {
	switch {
	case k.constant == 1:
		return predFalse
	case k.constant == -1:
		return predTrue
	case k.kind == kNot:
		return k.kids[0]
	}
	return &pred{kind: kNot, kids: []*pred{k}, exact: k.exact}
}

// where returns a condition on the changes row c that every change p
// matches satisfies, exactly so when p.exact; nil means true.
func (p *pred) where() frag {
	switch p.kind {
	case kSQL:
		if p.constant == 1 {
			return nil
		}
		return p.sql
	case kGo:
		return p.super
	case kNot:
		if !p.exact {
			return nil
		}
		inner := p.kids[0].where()
		return sq("NOT (", inner, ")")
	case kAnd:
		var fs []frag
		for _, k := range p.kids {
			if f := k.where(); f != nil {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			return nil
		}
		if len(fs) == 1 {
			return fs[0]
		}
		return joinFrags("AND", fs)
	case kOr:
		var fs []frag
		for _, k := range p.kids {
			f := k.where()
			if f == nil {
				return nil
			}
			fs = append(fs, f)
		}
		return joinFrags("OR", fs)
	}
	return nil
}

// Plan is a compiled query, ready to run.
type Plan struct {
	root     *pred
	residual *pred // what SQL leaves undecided, nil when root is exact
	limit    int   // smallest limit: term, 0 when none
	opts     Options
}

// Compile compiles a parsed query for the caller in opts. Account, group
// and label names are resolved now, through opts.Resolver.
func Compile(ctx context.Context, n *Node, opts Options) (*Plan, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	c := &compiler{ctx: ctx, opts: opts, now: opts.Clock.Now(), project: fixedProject(n)}
	root, err := c.compile(n, true)
	if err != nil {
		return nil, err
	}
	p := &Plan{root: root, limit: c.limit, opts: opts}
	switch {
	case root.exact:
	case root.kind == kAnd:
		// Candidates already satisfy the exact conjuncts.
		var rest []*pred
		for _, k := range root.kids {
			if !k.exact {
				rest = append(rest, k)
			}
		}
		p.residual = andPred(rest...)
	default:
		p.residual = root
	}
	return p, nil
}

// Limit returns the smallest limit: of the query, 0 when it has none.
func (p *Plan) Limit() int { return p.limit }

// Exact reports whether SQL alone decides the query (no Go predicate).
func (p *Plan) Exact() bool { return p.residual == nil }

// SQL returns the statement that selects the first limit candidates,
// newest first, and its arguments.
func (p *Plan) SQL(limit int) (string, []any) { return p.page(nil, limit) }

// cursor is the sort key of the last row of a page.
type cursor struct {
	updated int64
	id      int64
}

// page returns the statement selecting limit candidates after cur.
func (p *Plan) page(cur *cursor, limit int) (string, []any) {
	b := &sqlb{}
	b.raw("SELECT " + change.ChangeColumns + " FROM changes c")
	var conds []frag
	if f := p.root.where(); f != nil {
		conds = append(conds, f)
	}
	if cur != nil {
		// A row value comparison walks the (…, updated_on DESC, id DESC)
		// indexes from the cursor on.
		conds = append(conds, sq("(c.updated_on, c.id) < (", param{cur.updated}, ", ", param{cur.id}, ")"))
	}
	if len(conds) > 0 {
		b.raw(" WHERE ")
		if len(conds) == 1 {
			conds[0](b)
		} else {
			joinFrags("AND", conds)(b)
		}
	}
	b.raw(" ORDER BY c.updated_on DESC, c.id DESC")
	if limit > 0 {
		b.raw(" LIMIT " + itoa(limit))
	}
	return b.buf.String(), b.args
}

// compiler holds what compiling one query needs.
type compiler struct {
	ctx     context.Context
	opts    Options
	now     time.Time
	project string // the one project the query is restricted to, if any
	limit   int
	watched bool // compiling is:watched, whose filters may not nest it
}

// fixedProject returns the project a query is restricted to by a
// project: term at its top level (alone or in the top conjunction).
func fixedProject(n *Node) string {
	terms := []*Node{n}
	if n.Op == OpAnd {
		terms = n.Kids
	}
	found := ""
	for _, t := range terms {
		if t.Op != OpTerm {
			continue
		}
		switch t.Field {
		case "project", "p", "repo", "repository":
			if isRegex(t.Value) || found != "" && found != t.Value {
				return ""
			}
			found = t.Value
		}
	}
	return found
}

func (c *compiler) compile(n *Node, top bool) (*pred, error) {
	switch n.Op {
	case OpAnd:
		kids := make([]*pred, 0, len(n.Kids))
		for _, k := range n.Kids {
			p, err := c.compile(k, top)
			if err != nil {
				return nil, err
			}
			kids = append(kids, p)
		}
		return andPred(kids...), nil
	case OpOr:
		kids := make([]*pred, 0, len(n.Kids))
		for _, k := range n.Kids {
			p, err := c.compile(k, false)
			if err != nil {
				return nil, err
			}
			kids = append(kids, p)
		}
		return orPred(kids...), nil
	case OpNot:
		p, err := c.compile(n.Kids[0], false)
		if err != nil {
			return nil, err
		}
		return notPred(p), nil
	}
	if n.Field == "limit" {
		l, err := parseLimit(n.Value)
		if err != nil {
			return nil, err
		}
		if !top {
			return nil, errorf("limit:%s is only allowed at the top level of a query", n.Value)
		}
		if c.limit == 0 || l < c.limit {
			c.limit = l
		}
		return predTrue, nil
	}
	return c.term(n.Field, n.Value)
}
