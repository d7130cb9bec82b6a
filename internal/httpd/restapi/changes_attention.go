package restapi

import (
	"net/http"
	"sort"
	"strconv"

	"tandem/internal/change"
)

// serveAttention answers /changes/{id}/attention[/{account}[/delete]]:
// the attention set, adding to it (AttentionSetInput, answered with the
// account) and removing from it (with an optional reason).
func (a *API) serveAttention(q *request, rc *resolvedChange, rest []string) error {
	ctx := q.r.Context()
	if len(rest) == 0 || rest[0] == "" {
		switch q.method() {
		case http.MethodGet:
			set, err := a.changes.AttentionSet(ctx, a.db, rc.change.Number)
			if err != nil {
				return err
			}
			var ids []int64
			for _, at := range set {
				ids = append(ids, at.AccountID, at.ReasonAccount)
			}
			accts, err := accountsOf(ctx, a.db, ids)
			if err != nil {
				return err
			}
			account := detailedAccount(accts)
			out := []AttentionSetInfo{}
			for _, at := range set {
				if at.InSet {
					out = append(out, attentionInfo(at, account))
				}
			}
			sort.Slice(out, func(i, j int) bool { return out[i].Account.ID < out[j].Account.ID })
			return writeJSON(q, http.StatusOK, out)
		case http.MethodPost:
			if err := a.requireSignedIn(q); err != nil {
				return err
			}
			if err := needs(a.reviews); err != nil {
				return err
			}
			var in AttentionSetInput
			if err := readJSON(q, &in); err != nil {
				return err
			}
			id, err := a.reviews.AddToAttentionSet(ctx, actorOf(q), rc.change, in)
			if err != nil {
				return err
			}
			accts, err := accountsOf(ctx, a.db, []int64{id})
			if err != nil {
				return err
			}
			return writeJSON(q, http.StatusOK, detailedAccount(accts)(id))
		}
		return methodNotAllowed()
	}
	if len(rest) > 2 || len(rest) == 2 && rest[1] != "delete" {
		return notFound(q.r.URL.Path)
	}
	if !(len(rest) == 1 && q.method() == http.MethodDelete || len(rest) == 2 && q.method() == http.MethodPost) {
		return methodNotAllowed()
	}
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	if err := needs(a.reviews); err != nil {
		return err
	}
	acct, err := a.reviewerAccount(q, rest[0])
	if err != nil {
		return err
	}
	var in AttentionSetInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	if err := a.reviews.RemoveFromAttentionSet(ctx, actorOf(q), rc.change, acct.ID, in.Reason); err != nil {
		return err
	}
	return noContent(q)
}

// attentionMaps renders an attention set with account as the way to show
// an account.
func attentionMaps(set []change.Attention, account func(int64) AccountInfo) (in, removed map[string]AttentionSetInfo) {
	for _, at := range set {
		info := attentionInfo(at, account)
		m := &removed
		if at.InSet {
			m = &in
		}
		if *m == nil {
			*m = map[string]AttentionSetInfo{}
		}
		(*m)[strconv.FormatInt(at.AccountID, 10)] = info
	}
	return in, removed
}

// attentionInfo renders one entry of an attention set.
func attentionInfo(at change.Attention, account func(int64) AccountInfo) AttentionSetInfo {
	info := AttentionSetInfo{Account: account(at.AccountID), LastUpdate: timestamp(at.Updated), Reason: at.Reason}
	if at.ReasonAccount != 0 {
		ra := account(at.ReasonAccount)
		info.ReasonAccount = &ra
	}
	return info
}
