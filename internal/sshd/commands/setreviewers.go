package commands

import (
	"context"
	"fmt"
	"regexp"
	"sync"

	"tandem/internal/account"
	"tandem/internal/change"
	"tandem/internal/fail"
	"tandem/internal/query"
	"tandem/internal/review"
	"tandem/internal/sshd"
	"tandem/internal/sshd/cmdflag"
)

// Change forms `gerrit set-reviewers` accepts besides a commit: a number,
// project~number, a (possibly abbreviated) Change-Id, or
// project~branch~Change-Id.
var (
	changeNumberArg = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[1-9][0-9]{0,18}$`) })
	changeKeyArg    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[iI][0-9a-fA-F]{4,40}$`) })
	projectNumArg   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^.+~[1-9][0-9]{0,18}$`) })
	tripletArg      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^.+~.+~[iI][0-9a-fA-F]{40}$`) })
)

// setReviewers is `gerrit set-reviewers`: removes, then adds, reviewers on
// each change named. A reviewer that cannot be added or removed is
// reported as "error: …" and the rest goes ahead; the command then fails.
func (c *Commands) setReviewers(ctx context.Context, s *sshd.Session) error {
	var projectArg string
	var add, remove []string
	fs := cmdflag.New("gerrit set-reviewers")
	fs.String(&projectArg, "--project|-p", "PROJECT", "project containing the change")
	fs.Strings(&add, "--add|-a", "REVIEWER", "user or group that should be added as reviewer")
	fs.Strings(&remove, "--remove|-r", "REVIEWER", "user that should be removed from the reviewer list")
	fs.Args("CHANGE", 1, -1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	if c.rv.Reviews == nil {
		return die("set-reviewers is not available")
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	if projectArg != "" {
		if projectArg, _, _, err = c.project(ctx, cl, projectArg); err != nil {
			return err
		}
	}
	var removals []*account.Account
	for _, name := range remove {
		a, err := c.userArg(ctx, name)
		if err != nil {
			return err
		}
		removals = append(removals, a)
	}
	var targets []*change.Change
	seen := map[int64]bool{}
	for _, tok := range args {
		ch, err := c.changeArg(ctx, cl, tok, projectArg)
		if err != nil {
			return err
		}
		if !seen[ch.Number] {
			seen[ch.Number] = true
			targets = append(targets, ch)
		}
	}
	subj := cl.subject()
	ok := true
	report := func(format string, args ...any) {
		ok = false
		fmt.Fprintf(s.Stderr, "error: "+format+"\n", args...)
	}
	for _, ch := range targets {
		for i, a := range removals {
			err := c.rv.Reviews.RemoveReviewer(ctx, subj, ch.Number, a.ID)
			switch {
			case err == nil:
			case fail.Is(err, fail.NotFound):
				report("could not remove %s: not found", remove[i])
			case fail.KindOf(err) == fail.Internal:
				return err
			default:
				report("could not remove %s: %s", remove[i], fail.Message(err, "internal server error"))
			}
		}
		for _, name := range add {
			res, err := c.rv.Reviews.AddReviewer(ctx, subj, ch.Number, review.ReviewerInput{Reviewer: name, Confirmed: true})
			switch {
			case err == nil && res != nil && res.Error != "":
				report("%s", res.Error)
			case err == nil:
			case fail.KindOf(err) == fail.Internal:
				return err
			default:
				report("could not add %s: %s", name, fail.Message(err, "internal server error"))
			}
		}
	}
	if !ok {
		return die("one or more updates failed")
	}
	return nil
}

// changeArg resolves a change named on the command line, within
// projectName when given, among the changes the caller may see.
func (c *Commands) changeArg(ctx context.Context, cl *caller, tok, projectName string) (*change.Change, error) {
	var n *query.Node
	switch {
	case changeNumberArg().MatchString(tok), changeKeyArg().MatchString(tok), projectNumArg().MatchString(tok), tripletArg().MatchString(tok):
		n = query.Term("change", tok)
	case commitArg().MatchString(tok):
		n = query.Term("commit", tok)
	default:
		return nil, die(`"%s" no such change`, tok)
	}
	cs, err := c.visibleChanges(ctx, cl, narrow(n, projectName, ""))
	if err != nil {
		return nil, userError(err)
	}
	switch len(cs) {
	case 0:
		return nil, die(`"%s" no such change`, tok)
	case 1:
		return cs[0], nil
	}
	return nil, die(`"%s" matches multiple changes`, tok)
}
