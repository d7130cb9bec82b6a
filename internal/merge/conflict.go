package merge

import (
	"fmt"
	"slices"
	"strings"
)

// Status is how a change fared, named as Gerrit's CommitMergeStatus.
type Status string

// Outcomes of a change that was integrated (in Result.Status).
const (
	CleanMerge           Status = "CLEAN_MERGE"            // fast-forwarded or merged
	CleanRebase          Status = "CLEAN_REBASE"           // rebased: a new commit landed
	CleanPick            Status = "CLEAN_PICK"             // cherry-picked: a new commit landed
	AlreadyMerged        Status = "ALREADY_MERGED"         // the branch had the commit already
	SkippedIdenticalTree Status = "SKIPPED_IDENTICAL_TREE" // cherry-pick would change nothing: merged without a commit
)

// Reasons a change could not be integrated (in ConflictError.Problems).
const (
	PathConflict         Status = "PATH_CONFLICT"
	RebaseConflict       Status = "REBASE_MERGE_CONFLICT"
	NotFastForward       Status = "NOT_FAST_FORWARD"
	EmptyCommit          Status = "EMPTY_COMMIT"
	CannotRebaseRoot     Status = "CANNOT_REBASE_ROOT"
	CannotCherryPickRoot Status = "CANNOT_CHERRY_PICK_ROOT"
	MissingDependency    Status = "MISSING_DEPENDENCY"
)

// Message returns Gerrit's description of the status: the change message
// of a merged change, or the reason a submission failed.
func (s Status) Message() string {
	switch s {
	case CleanMerge:
		return "Change has been successfully merged"
	case CleanPick:
		return "Change has been successfully cherry-picked"
	case CleanRebase:
		return "Change has been successfully rebased and submitted"
	case SkippedIdenticalTree:
		return "Marking change merged without cherry-picking to branch, as the resulting commit would be empty."
	case PathConflict:
		return "Change could not be merged due to a path conflict.\n\n" +
			"Please rebase the change locally and upload the rebased commit for review."
	case RebaseConflict:
		return "Change could not be merged due to a conflict.\n\n" +
			"Please rebase the change locally and upload the rebased commit for review."
	case MissingDependency:
		return "Depends on change that was not submitted."
	case CannotCherryPickRoot:
		return "Cannot cherry-pick an initial commit onto an existing branch.\n\n" +
			"Please merge the change locally and upload the merge commit for review."
	case CannotRebaseRoot:
		return "Cannot rebase an initial commit onto an existing branch.\n\n" +
			"Please merge the change locally and upload the merge commit for review."
	case NotFastForward:
		return "Project policy requires all submissions to be a fast-forward.\n\n" +
			"Please rebase the change locally and upload again for review."
	case EmptyCommit:
		return "Change could not be merged because the commit is empty.\n\n" +
			"Project policy requires all commits to contain modifications to at least one file."
	}
	return ""
}

// Problem is one change that could not be integrated.
type Problem struct {
	Change     int
	Status     Status
	Detail     string   // appended to Status.Message, such as which commit is missing
	Dependency string   // MissingDependency: the commit that cannot be merged
	Paths      []string // conflicting paths, when git names them
}

// ConflictError is a submission that cannot be made as asked. Msg is
// Gerrit's 409 text for it, ready for REST and SSH clients.
type ConflictError struct {
	Msg      string
	Problems []Problem // by change number
}

func (e *ConflictError) Error() string {
	if len(e.Problems) == 0 {
		return "merge conflict"
	}
	p := e.Problems[0]
	return fmt.Sprintf("merge conflict: change %d: %s", p.Change, strings.ToLower(string(p.Status)))
}

// conflict turns the recorded problems into a *ConflictError.
func (x *run) conflict() error {
	if len(x.problems) == 0 {
		return nil
	}
	ps := slices.Clone(x.problems)
	slices.SortStableFunc(ps, func(a, b Problem) int { return a.Change - b.Change })
	return &ConflictError{Msg: FormatProblems(len(x.changes), ps), Problems: ps}
}

// FormatProblems writes Gerrit's verbose submit failure for a submission
// of n changes: one line per problem, each description on one line. A
// caller that knows more (which change a missing dependency belongs to)
// rewrites Problem.Detail and formats again.
func FormatProblems(n int, ps []Problem) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Failed to submit %d change%s due to the following problems:", n, plural(n))
	for _, p := range ps {
		msg := p.Status.Message()
		if p.Detail != "" {
			msg += " " + p.Detail
		}
		fmt.Fprintf(&b, "\nChange %d: %s", p.Change, foldNewlines(msg))
	}
	return b.String()
}

// rebaseConflict is the error Gerrit raises at once when a rebase during
// submit conflicts.
func rebaseConflict(c *ChangeInput, paths []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Cannot rebase %s: Change %d could not be rebased due to a conflict during merge.\n\nmerge conflict(s):\n", c.Commit, c.Number)
	for _, p := range paths {
		fmt.Fprintf(&b, "* %s\n", p)
	}
	return &ConflictError{Msg: b.String(), Problems: []Problem{{Change: c.Number, Status: RebaseConflict, Paths: paths}}}
}

// foldNewlines replaces each run of line feeds with one space.
func foldNewlines(s string) string {
	var b strings.Builder
	prev := false
	for _, r := range s {
		if r == '\n' {
			if !prev {
				b.WriteByte(' ')
			}
			prev = true
			continue
		}
		prev = false
		b.WriteRune(r)
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
