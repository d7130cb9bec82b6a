package project

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"tandem/internal/fail"
	"tandem/internal/git"
	"tandem/internal/git/refupdate"
	"tandem/internal/git/repo"
)

// RejectCommitsRef holds a project's banned commits as git notes, as in
// Gerrit: a push that brings one of them is refused.
const RejectCommitsRef = "refs/meta/reject-commits"

// BanResult is what BanCommits did with each commit asked for.
type BanResult struct {
	NewlyBanned, AlreadyBanned []string
	Ignored                    []string // objects that are not commits
}

// BanCommits bans commits (full object ids) from project name, giving the
// reason in each note. Commits the repository does not have yet may be
// banned too, so that they can never be pushed. The notes are one commit
// by author on RejectCommitsRef, written with compare-and-swap: a
// concurrent ban on any master is read again and kept.
func (s *Service) BanCommits(ctx context.Context, name string, commits []string, reason string, author Ident) (BanResult, error) {
	var res BanResult
	var ids []string
	for _, c := range commits {
		c = strings.ToLower(strings.TrimSpace(c))
		if !git.IsOID(c) {
			return res, fail.Errorf(fail.Unprocessable, "Invalid id: %s", c)
		}
		ids = append(ids, c)
	}
	r, err := s.Open(ctx, name)
	if err != nil {
		return res, err
	}
	types, err := r.ObjectTypes(ctx, ids)
	if err != nil {
		return res, err
	}
	note := fmt.Sprintf("Banned by %s <%s>\n", author.Name, author.Email)
	if reason = strings.TrimSpace(reason); reason != "" {
		note += "\n" + reason + "\n"
	}
	for attempt := 0; ; attempt++ {
		res = BanResult{}
		tip, banned, err := r.Notes(ctx, RejectCommitsRef)
		if err != nil {
			return res, err
		}
		add := map[string]string{}
		for _, id := range ids {
			switch {
			case types[id] != "commit" && types[id] != "missing":
				res.Ignored = appendOnce(res.Ignored, id)
			case banned[id] != "":
				res.AlreadyBanned = appendOnce(res.AlreadyBanned, id)
			default:
				add[id] = note
				res.NewlyBanned = appendOnce(res.NewlyBanned, id)
			}
		}
		if len(add) == 0 {
			return res, nil
		}
		message := fmt.Sprintf("Banning %d commit", len(add))
		if len(add) > 1 {
			message += "s"
		}
		_, err = r.AddNotes(ctx, RejectCommitsRef, tip, add, message, s.person(author), s.serverPerson())
		var mm *refupdate.MismatchError
		if errors.As(err, &mm) {
			if attempt < 3 {
				continue
			}
			return res, fail.Errorf(fail.Conflict, "banned commits of %s changed concurrently; try again", name)
		}
		if err == nil {
			s.log.Info("commits banned", "project", name, "commits", res.NewlyBanned)
		}
		return res, err
	}
}

// BannedCommits returns the commits banned from the repository, none
// when nothing ever was (and then without reading anything but a ref).
func BannedCommits(ctx context.Context, r *repo.Repo) (map[string]string, error) {
	_, banned, err := r.Notes(ctx, RejectCommitsRef)
	return banned, err
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
