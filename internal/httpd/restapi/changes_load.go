package restapi

// Batched reads for a page of changes: one query per kind of row for all
// the changes of the page, never one per change.

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/db"
)

// sqlIn renders "col IN ($k, …)" for values, numbering placeholders from
// first.
func sqlIn[T any](col string, values []T, first int) (string, []any) {
	var b strings.Builder
	args := make([]any, len(values))
	b.WriteString(col + " IN (")
	for i, v := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", first+i)
		args[i] = v
	}
	b.WriteString(")")
	return b.String(), args
}

// messagesOf returns the messages of the given changes in order.
func (a *API) messagesOf(ctx context.Context, q db.Querier, numbers []int64) (map[int64][]change.ChangeMessage, error) {
	all, err := a.changes.Messages(ctx, q, numbers...)
	if err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}
	out := map[int64][]change.ChangeMessage{}
	for _, m := range all {
		out[m.Change] = append(out[m.Change], m)
	}
	return out, nil
}

// commentCounts are a change's published comments and its unresolved
// threads (a thread is unresolved when its latest comment is).
type commentCounts struct{ total, unresolved int }

func commentCountsOf(ctx context.Context, q db.Querier, numbers []int64) (map[int64]commentCounts, error) {
	out := map[int64]commentCounts{}
	if len(numbers) == 0 {
		return out, nil
	}
	where, args := sqlIn("change_id", numbers, 1)
	rows, err := q.Query(ctx, `SELECT change_id, id, COALESCE(in_reply_to, ''), unresolved, written_on
		FROM comments WHERE draft = FALSE AND `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("load comment counts: %w", err)
	}
	defer rows.Close()
	var all []threadComment
	for rows.Next() {
		var c threadComment
		if err := rows.Scan(&c.change, &c.id, &c.inReplyTo, &c.unresolved, &c.written); err != nil {
			return nil, err
		}
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for n, cs := range groupThreads(all) {
		out[n] = cs
	}
	return out, nil
}

type threadComment struct {
	change     int64
	id         string
	inReplyTo  string
	unresolved bool
	written    int64
}

// groupThreads counts comments and unresolved threads per change.
func groupThreads(all []threadComment) map[int64]commentCounts {
	byID := map[string]*threadComment{}
	for i := range all {
		byID[all[i].id] = &all[i]
	}
	root := func(c *threadComment) string {
		for seen := 0; c.inReplyTo != "" && seen < len(all); seen++ {
			p, ok := byID[c.inReplyTo]
			if !ok {
				break
			}
			c = p
		}
		return c.id
	}
	type last struct {
		written    int64
		id         string
		unresolved bool
	}
	latest := map[int64]map[string]last{}
	out := map[int64]commentCounts{}
	for i := range all {
		c := &all[i]
		cc := out[c.change]
		cc.total++
		out[c.change] = cc
		r := root(c)
		if latest[c.change] == nil {
			latest[c.change] = map[string]last{}
		}
		l, ok := latest[c.change][r]
		if !ok || c.written > l.written || c.written == l.written && c.id > l.id {
			latest[c.change][r] = last{c.written, c.id, c.unresolved}
		}
	}
	for n, threads := range latest {
		cc := out[n]
		for _, l := range threads {
			if l.unresolved {
				cc.unresolved++
			}
		}
		out[n] = cc
	}
	return out
}

// accountsOf loads the accounts with the given ids (without their
// secondary emails, which change JSON never shows).
func accountsOf(ctx context.Context, q db.Querier, ids []int64) (map[int64]*account.Account, error) {
	out := map[int64]*account.Account{}
	ids = uniqueIDs(ids)
	if len(ids) == 0 {
		return out, nil
	}
	where, args := sqlIn("id", ids, 1)
	rows, err := q.Query(ctx, `SELECT id, COALESCE(username, ''), full_name, COALESCE(preferred_email, ''), inactive
		FROM accounts WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("load accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a account.Account
		if err := rows.Scan(&a.ID, &a.Username, &a.FullName, &a.PreferredEmail, &a.Inactive); err != nil {
			return nil, err
		}
		out[a.ID] = &a
	}
	return out, rows.Err()
}

// uniqueIDs returns the distinct non-zero ids, sorted.
func uniqueIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if id != 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// publishedCommentsOf returns the published comments of the given
// changes, by change.
func (a *API) publishedCommentsOf(ctx context.Context, q db.Querier, numbers []int64) (map[int64][]change.Comment, error) {
	all, err := a.changes.PublishedComments(ctx, q, numbers...)
	if err != nil {
		return nil, fmt.Errorf("load comments: %w", err)
	}
	out := map[int64][]change.Comment{}
	for _, c := range all {
		out[c.Change] = append(out[c.Change], c)
	}
	return out, nil
}
