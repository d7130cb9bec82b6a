package restapi

import (
	"fmt"
	"strconv"
	"strings"

	"tandem/internal/change"
	"tandem/internal/fail"
)

// fallbackQuery runs a query when no query engine is wired (Options.Query
// is nil): the terms git-review and simple scripts use, ANDed — a bare
// change number, Change-Id or commit, change:, commit:, status:, is:open,
// is:closed, is:merged, is:abandoned, is:wip, is:private and their
// negation with "-", project:, branch:, topic:, owner:self|ID, limit:.
// Visibility is applied to each candidate.
func (a *API) fallbackQuery(q *request, text string, start, limit int) ([]*change.Change, bool, error) {
	if a.changes == nil {
		return nil, false, nil
	}
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	for _, term := range strings.Fields(text) {
		neg := strings.HasPrefix(term, "-")
		term = strings.TrimPrefix(term, "-")
		op, val, hasOp := strings.Cut(term, ":")
		val = strings.Trim(val, `"{}`)
		var cond string
		switch {
		case !hasOp:
			cond, val = "change", term
			fallthrough
		case op == "change":
			switch {
			case changeKeyRE.MatchString(val):
				cond = "change_key = " + arg(val)
			case len(val) >= 4 && hexRE.MatchString(val) && !isDigits(val):
				cond = "id IN (SELECT change_id FROM patch_sets WHERE commit_sha = " + arg(val) + ")"
			case isDigits(val):
				n, _ := strconv.ParseInt(val, 10, 64)
				cond = "id = " + arg(n)
			default:
				return nil, false, fail.Errorf(fail.Invalid, "Unsupported query: %s", term)
			}
		case op == "commit":
			cond = "id IN (SELECT change_id FROM patch_sets WHERE commit_sha = " + arg(val) + ")"
		case op == "status" || op == "is":
			switch val {
			case "open", "new", "pending":
				cond = "status = 'NEW'"
			case "closed":
				cond = "status <> 'NEW'"
			case "merged":
				cond = "status = 'MERGED'"
			case "abandoned":
				cond = "status = 'ABANDONED'"
			case "wip":
				cond = "wip = " + arg(true)
			case "private":
				cond = "private = " + arg(true)
			default:
				return nil, false, fail.Errorf(fail.Invalid, "Unsupported query: %s", term)
			}
		case op == "project":
			cond = "project = " + arg(val)
		case op == "branch":
			if !strings.HasPrefix(val, "refs/") {
				val = "refs/heads/" + val
			}
			cond = "branch = " + arg(val)
		case op == "topic":
			cond = "topic = " + arg(val)
		case op == "owner":
			id := q.caller.ID()
			if val != "self" && val != "me" {
				acct, err := a.accounts.Resolve(q.r.Context(), val)
				if err != nil {
					return nil, false, fail.Errorf(fail.Invalid, "Account '%s' not found", val)
				}
				id = acct.ID
			} else if id == 0 {
				return nil, false, fail.Errorf(fail.Forbidden, "Must be signed-in to use this operator")
			}
			cond = "owner_id = " + arg(id)
		case op == "limit":
			n, err := strconv.Atoi(val)
			if err != nil || n <= 0 {
				return nil, false, fail.Errorf(fail.Invalid, "Invalid limit: %s", val)
			}
			if limit <= 0 || n < limit {
				limit = n
			}
			continue
		default:
			return nil, false, fail.Errorf(fail.Invalid, "Unsupported operator: %s", op)
		}
		if neg {
			cond = "NOT (" + cond + ")"
		}
		conds = append(conds, cond)
	}
	ctx := q.r.Context()
	where := strings.Join(conds, " AND ")
	vis := a.newVisibility(q.caller.Subject())
	var out []*change.Change
	skipped := 0
	// Read candidates in growing batches until the page is full, so a
	// page of the newest changes does not read them all.
	batch := max(2*(start+limit+1), 100)
	for offset := 0; ; offset += batch {
		order := fmt.Sprintf("updated_on DESC, id DESC LIMIT %d OFFSET %d", batch, offset)
		cs, err := a.changes.List(ctx, a.db, where, order, args...)
		if err != nil {
			return nil, false, err
		}
		for _, c := range cs {
			rc, err := vis.change(ctx, c)
			if err != nil {
				return nil, false, err
			}
			if rc == nil {
				continue
			}
			if skipped < start {
				skipped++
				continue
			}
			if limit > 0 && len(out) == limit {
				return out, true, nil
			}
			out = append(out, c)
		}
		if len(cs) < batch {
			return out, false, nil
		}
		batch *= 2
	}
}

func isDigits(s string) bool { return s != "" && strings.TrimLeft(s, "0123456789") == "" }
