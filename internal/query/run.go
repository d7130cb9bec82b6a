package query

import (
	"context"
	"fmt"
	"math"

	"tandem/internal/change"
	"tandem/internal/db"
)

// Run parses and runs a query: the visible matching changes ordered by
// updated_on then number, newest first, after skipping opts.Start, at
// most the effective limit (the smallest of opts.Limit, opts.MaxLimit and
// the query's limit: terms). more reports that further matches exist
// (Gerrit's _more_changes).
func Run(ctx context.Context, q db.Querier, query string, opts Options) (cs []*change.Change, more bool, err error) {
	n, err := Parse(query)
	if err != nil {
		return nil, false, err
	}
	return RunNode(ctx, q, n, opts)
}

// RunNode is Run on a parsed query.
func RunNode(ctx context.Context, q db.Querier, n *Node, opts Options) ([]*change.Change, bool, error) {
	p, err := Compile(ctx, n, opts)
	if err != nil {
		return nil, false, err
	}
	return p.Run(ctx, q)
}

// EffectiveLimit returns the page size a query runs with.
func (p *Plan) EffectiveLimit() int {
	maxLimit := p.opts.MaxLimit
	if maxLimit <= 0 {
		maxLimit = DefaultMaxLimit
	}
	limit := p.opts.Limit
	switch {
	case p.opts.NoLimit:
		limit = math.MaxInt32
	case limit <= 0 || limit > maxLimit:
		limit = maxLimit
	}
	if p.limit > 0 && p.limit < limit {
		limit = p.limit
	}
	return limit
}

// maxBatch bounds the candidates fetched (and checked) per round trip.
const maxBatch = 1000

// Run runs the plan; see the package function Run.
func (p *Plan) Run(ctx context.Context, q db.Querier) ([]*change.Change, bool, error) {
	if p.root.constant < 0 {
		return nil, false, nil
	}
	limit := p.EffectiveLimit()
	start := max(p.opts.Start, 0)
	r := &runner{q: q}
	// Enough for the page plus one, to learn whether there is more;
	// later batches grow when filters drop candidates.
	batch := min(start+limit+1, maxBatch)
	var (
		out     []*change.Change
		skipped int
		cur     *cursor
	)
	for {
		rows, err := r.fetch(ctx, p, cur, batch)
		if err != nil {
			return nil, false, err
		}
		matched, err := p.filter(ctx, r, rows)
		if err != nil {
			return nil, false, err
		}
		for _, c := range matched {
			switch {
			case skipped < start:
				skipped++
			case len(out) < limit:
				out = append(out, c)
			default:
				return out, true, nil
			}
		}
		if len(rows) < batch {
			return out, false, nil
		}
		last := rows[len(rows)-1]
		cur = &cursor{updated: last.Updated.UnixMicro(), id: last.Number}
		batch = min(batch*2, maxBatch)
	}
}

// filter keeps the candidates the caller may see and the residual
// predicate accepts, in order.
func (p *Plan) filter(ctx context.Context, r *runner, rows []*change.Change) ([]*change.Change, error) {
	keep := rows
	if p.opts.Visible != nil {
		keep = make([]*change.Change, 0, len(rows))
		for _, c := range rows {
			ok, err := p.opts.Visible(ctx, c)
			if err != nil {
				return nil, fmt.Errorf("visibility of change %d: %w", c.Number, err)
			}
			if ok {
				keep = append(keep, c)
			}
		}
	}
	if p.residual == nil || len(keep) == 0 {
		return keep, nil
	}
	ok, err := r.eval(ctx, p.residual, keep)
	if err != nil {
		return nil, err
	}
	out := keep[:0:0]
	for i, c := range keep {
		if ok[i] {
			out = append(out, c)
		}
	}
	return out, nil
}

// runner carries one run's database and caches.
type runner struct {
	q        db.Querier
	labelsOf map[string][]LabelType
}

// fetch reads up to limit candidate rows after cur.
func (r *runner) fetch(ctx context.Context, p *Plan, cur *cursor, limit int) ([]*change.Change, error) {
	query, args := p.page(cur, limit)
	rows, err := r.q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query changes: %w", err)
	}
	defer rows.Close()
	var out []*change.Change
	for rows.Next() {
		c, err := change.ScanChange(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("scan change: %w", db.Classify(err))
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query changes: %w", db.Classify(err))
	}
	return out, nil
}

// eval decides p for each of cs.
func (r *runner) eval(ctx context.Context, p *pred, cs []*change.Change) ([]bool, error) {
	out := make([]bool, len(cs))
	if len(cs) == 0 {
		return out, nil
	}
	if p.exact {
		if p.constant != 0 {
			for i := range out {
				out[i] = p.constant > 0
			}
			return out, nil
		}
		return r.sqlEval(ctx, p.where(), cs)
	}
	switch p.kind {
	case kGo:
		return p.eval(ctx, r, cs)
	case kNot:
		in, err := r.eval(ctx, p.kids[0], cs)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i] = !in[i]
		}
		return out, nil
	case kAnd, kOr:
		// Each kid sees only the candidates still undecided.
		isAnd := p.kind == kAnd
		idx := make([]int, len(cs))
		for i := range cs {
			idx[i] = i
			out[i] = isAnd
		}
		for _, k := range p.kids {
			if len(idx) == 0 {
				break
			}
			sub := make([]*change.Change, len(idx))
			for j, i := range idx {
				sub[j] = cs[i]
			}
			got, err := r.eval(ctx, k, sub)
			if err != nil {
				return nil, err
			}
			next := idx[:0]
			for j, i := range idx {
				if got[j] != isAnd {
					out[i] = !isAnd
				} else {
					next = append(next, i)
				}
			}
			idx = next
		}
		return out, nil
	}
	return nil, fmt.Errorf("query: cannot evaluate predicate kind %d", p.kind)
}

// sqlEval runs an exact condition on the candidates.
func (r *runner) sqlEval(ctx context.Context, cond frag, cs []*change.Change) ([]bool, error) {
	out := make([]bool, len(cs))
	if len(cs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.Number
	}
	b := &sqlb{}
	b.raw("SELECT c.id FROM changes c WHERE ")
	in("c.id", ids)(b)
	if cond != nil {
		b.raw(" AND (")
		cond(b)
		b.raw(")")
	}
	rows, err := r.q.Query(ctx, b.buf.String(), b.args...)
	if err != nil {
		return nil, fmt.Errorf("evaluate query: %w", err)
	}
	defer rows.Close()
	hit := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("evaluate query: %w", db.Classify(err))
		}
		hit[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evaluate query: %w", db.Classify(err))
	}
	for i, c := range cs {
		out[i] = hit[c.Number]
	}
	return out, nil
}

// files returns the paths (and old paths) of the current patch sets of cs.
func (r *runner) files(ctx context.Context, cs []*change.Change) (map[int64][]string, error) {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.Number
	}
	b := &sqlb{}
	b.raw("SELECT f.change_id, f.path, f.old_path FROM patch_set_files f JOIN changes c ON c.id = f.change_id AND c.current_ps = f.ps WHERE ")
	in("c.id", ids)(b)
	rows, err := r.q.Query(ctx, b.buf.String(), b.args...)
	if err != nil {
		return nil, fmt.Errorf("read files: %w", err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var id int64
		var path, old string
		if err := rows.Scan(&id, &path, &old); err != nil {
			return nil, fmt.Errorf("read files: %w", db.Classify(err))
		}
		out[id] = append(out[id], path)
		if old != "" {
			out[id] = append(out[id], old)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read files: %w", db.Classify(err))
	}
	return out, nil
}

// labels returns a project's label types, once per run.
func (r *runner) labels(ctx context.Context, res Resolver, project string) ([]LabelType, error) {
	if ts, ok := r.labelsOf[project]; ok {
		return ts, nil
	}
	if res == nil {
		return nil, fmt.Errorf("query: no resolver for labels")
	}
	ts, err := res.Labels(ctx, project)
	if err != nil {
		return nil, fmt.Errorf("labels of %q: %w", project, err)
	}
	if r.labelsOf == nil {
		r.labelsOf = map[string][]LabelType{}
	}
	r.labelsOf[project] = ts
	return ts, nil
}

// messages reads the commit messages of the changes' current patch sets.
func (r *runner) messages(ctx context.Context, cs []*change.Change) (map[int64]string, error) {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.Number
	}
	b := &sqlb{}
	b.raw("SELECT ps.change_id, ps.message FROM patch_sets ps JOIN changes c ON c.id = ps.change_id AND c.current_ps = ps.ps WHERE ")
	in("c.id", ids)(b)
	rows, err := r.q.Query(ctx, b.buf.String(), b.args...)
	if err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var msg string
		if err := rows.Scan(&id, &msg); err != nil {
			return nil, fmt.Errorf("read messages: %w", db.Classify(err))
		}
		out[id] = msg
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read messages: %w", db.Classify(err))
	}
	return out, nil
}
