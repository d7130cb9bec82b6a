package change

import (
	"context"
	"time"

	"tandem/internal/db"
)

// Attention is one account's entry in a change's attention set: whether
// it is in the set, and why it was last added or removed.
type Attention struct {
	AccountID     int64
	InSet         bool
	Reason        string
	ReasonAccount int64 // the account whose action it was, 0 for none
	Updated       time.Time
}

// AttentionUpdate adds an account to an attention set or removes it.
type AttentionUpdate struct {
	AccountID     int64
	Add           bool
	Reason        string
	ReasonAccount int64
}

// AttentionSet returns every entry of change n's attention set, those
// removed included, in the order they were last updated.
func (s *Store) AttentionSet(ctx context.Context, q db.Querier, n int64) ([]Attention, error) {
	m, err := s.AttentionSets(ctx, q, n)
	return m[n], err
}

// AttentionSets is AttentionSet for several changes, by change.
func (s *Store) AttentionSets(ctx context.Context, q db.Querier, numbers ...int64) (map[int64][]Attention, error) {
	out := map[int64][]Attention{}
	if len(numbers) == 0 {
		return out, nil
	}
	where, args := inList("change_id", numbers)
	rows, err := q.Query(ctx, `SELECT change_id, account_id, in_set, reason, COALESCE(reason_account_id, 0), updated_on
		FROM attention_set WHERE `+where+` ORDER BY change_id, updated_on, account_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var n, updated int64
		var a Attention
		if err := rows.Scan(&n, &a.AccountID, &a.InSet, &a.Reason, &a.ReasonAccount, &updated); err != nil {
			return nil, err
		}
		a.Updated = fromMicros(updated)
		out[n] = append(out[n], a)
	}
	return out, rows.Err()
}

// UpdateAttention applies updates to change n's attention set in order.
// An update that would not move its account in or out of the set is
// skipped, so that the reason recorded is the one that put it where it
// is. It reports whether anything was written.
func (s *Store) UpdateAttention(ctx context.Context, q db.Querier, n int64, updates []AttentionUpdate, now time.Time) (bool, error) {
	if len(updates) == 0 {
		return false, nil
	}
	current, err := s.AttentionSet(ctx, q, n)
	if err != nil {
		return false, err
	}
	in := map[int64]bool{}
	for _, a := range current {
		in[a.AccountID] = a.InSet
	}
	wrote := false
	for _, u := range updates {
		if in[u.AccountID] == u.Add {
			continue
		}
		if _, err := q.Exec(ctx, `DELETE FROM attention_set WHERE change_id = $1 AND account_id = $2`, n, u.AccountID); err != nil {
			return false, err
		}
		if _, err := q.Exec(ctx, `INSERT INTO attention_set (change_id, account_id, in_set, reason, reason_account_id, updated_on)
			VALUES ($1, $2, $3, $4, $5, $6)`, n, u.AccountID, u.Add, u.Reason, nullID(u.ReasonAccount), micros(now)); err != nil {
			return false, err
		}
		in[u.AccountID], wrote = u.Add, true
	}
	return wrote, nil
}

// ClearAttention removes everyone from change n's attention set, for
// reason, caused by the account by.
func (s *Store) ClearAttention(ctx context.Context, q db.Querier, n int64, reason string, by int64, now time.Time) error {
	_, err := q.Exec(ctx, `UPDATE attention_set SET in_set = FALSE, reason = $2, reason_account_id = $3, updated_on = $4
		WHERE change_id = $1 AND in_set`, n, reason, nullID(by), micros(now))
	return err
}

// ReviewerAddedAttention is Gerrit's rule for reviewers the account by
// added to change c: each joins the attention set, unless it is by
// themselves, a Service User (in service), or the change is work in
// progress.
func ReviewerAddedAttention(c *Change, added []int64, by int64, service map[int64]bool) []AttentionUpdate {
	return AutoAttention(c, added, AttentionReviewerAdded, by, service)
}

// AutoAttention returns the additions to the attention set of c that an
// action by by, for reason, makes for the accounts ids: none while c is
// work in progress, and never by itself or a Service User (service).
func AutoAttention(c *Change, ids []int64, reason string, by int64, service map[int64]bool) []AttentionUpdate {
	if c.WIP {
		return nil
	}
	var out []AttentionUpdate
	for _, id := range ids {
		if id != by && !service[id] {
			out = append(out, AttentionUpdate{AccountID: id, Add: true, Reason: reason, ReasonAccount: by})
		}
	}
	return out
}

// Reasons Tandem records for the attention set updates it makes itself.
const (
	AttentionReviewerAdded   = "Reviewer was added"
	AttentionReviewerRemoved = "Reviewer was removed"
	AttentionReplied         = "Someone replied on the change"
	AttentionRemovedOnReply  = "removed on reply"
	AttentionSubmitted       = "Change was submitted"
	AttentionAbandoned       = "Change was abandoned"
	AttentionMarkedWIP       = "Change was marked work in progress"
)
