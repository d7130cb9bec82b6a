package merge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tandem/internal/git"
	"tandem/internal/git/repo"
)

// historyFormat prints, per commit, NUL-terminated fields: id, tree,
// parents, author name, email and raw date, and the message as stored.
const historyFormat = "--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%ad%x00%B%x00"

const historyFields = 7

// readHistory lists the commits rev-list selects with flags (placed before
// the revisions) and args (revisions), in topological order.
func readHistory(ctx context.Context, r *git.Runner, dir string, flags, args []string) (map[string]*commit, []string, error) {
	out, err := r.Output(ctx, git.Cmd{
		Dir: dir, Name: "rev-list",
		Flags: append([]string{"--topo-order", "--no-commit-header", "--date=raw", historyFormat}, flags...),
		Args:  args,
	})
	if err != nil {
		return nil, nil, err
	}
	fields := strings.Split(string(out), "\x00")
	// rev-list ends each record with a newline after the format's last NUL.
	if n := len(fields); n == 0 || strings.TrimSpace(fields[n-1]) != "" || (n-1)%historyFields != 0 {
		return nil, nil, fmt.Errorf("rev-list: unexpected output")
	}
	g := make(map[string]*commit, len(fields)/historyFields)
	order := make([]string, 0, len(fields)/historyFields)
	for i := 0; i+historyFields <= len(fields)-1; i += historyFields {
		f := fields[i : i+historyFields]
		c := &commit{
			oid:         strings.TrimLeft(f[0], "\n"),
			tree:        f[1],
			parents:     strings.Fields(f[2]),
			authorName:  f[3],
			authorEmail: f[4],
			authorDate:  f[5],
			message:     f[6],
		}
		if !git.IsOID(c.oid) || !git.IsOID(c.tree) {
			return nil, nil, fmt.Errorf("rev-list: unexpected record %q", f[0])
		}
		g[c.oid] = c
		order = append(order, c.oid)
	}
	return g, order, nil
}

// mergeResult is the outcome of one merge-tree.
type mergeResult struct {
	tree      string
	clean     bool
	conflicts []string // conflicted paths; with content merge off, also the files both sides changed
}

// mergeTrees merges the commits ours and theirs with their merge base(s),
// as `git merge` would, without a work tree. Unrelated histories merge
// against an empty tree, as Gerrit's merger does. With mergeContent false a
// file changed on both sides is a conflict even when git could merge it.
func mergeTrees(ctx context.Context, r *git.Runner, dir, ours, theirs string, mergeContent bool) (mergeResult, error) {
	out, err := r.Output(ctx, git.Cmd{
		Dir: dir, Name: "merge-tree",
		Flags: []string{"--write-tree", "--messages", "--name-only", "-z", "--allow-unrelated-histories"},
		Args:  []string{ours, theirs},
	})
	var ge *git.Error
	if err != nil && !(errors.As(err, &ge) && ge.ExitCode == 1) {
		return mergeResult{}, fmt.Errorf("merge %s into %s: %w", theirs, ours, err)
	}
	tree, conflicts, autoMerged, perr := parseMergeTree(out)
	if perr != nil {
		return mergeResult{}, fmt.Errorf("merge %s into %s: %w", theirs, ours, perr)
	}
	res := mergeResult{tree: tree, clean: err == nil, conflicts: conflicts}
	if !mergeContent {
		for _, p := range autoMerged {
			if !slices.Contains(res.conflicts, p) {
				res.conflicts = append(res.conflicts, p)
			}
		}
		res.clean = res.clean && len(autoMerged) == 0
	}
	return res, nil
}

// parseMergeTree reads `merge-tree --write-tree --messages --name-only -z`:
// the tree, the conflicted paths, an empty field, then messages as
// (count, paths..., type, text). autoMerged are the paths git merged line
// by line ("Auto-merging"): both sides changed them.
func parseMergeTree(out []byte) (tree string, conflicts, autoMerged []string, err error) {
	f := strings.Split(string(out), "\x00")
	if len(f) < 2 || !git.IsOID(f[0]) {
		return "", nil, nil, fmt.Errorf("merge-tree: unexpected output %q", firstLine(out))
	}
	i := 1
	for ; i < len(f) && f[i] != ""; i++ {
		if !slices.Contains(conflicts, f[i]) {
			conflicts = append(conflicts, f[i])
		}
	}
	i++ // the empty field ending the conflicted paths
	for i < len(f) && f[i] != "" {
		n, err := strconv.Atoi(f[i])
		if err != nil || n < 0 || i+n+2 >= len(f) {
			return "", nil, nil, fmt.Errorf("merge-tree: unexpected message %q", f[i])
		}
		if f[i+1+n] == "Auto-merging" {
			autoMerged = append(autoMerged, f[i+1:i+1+n]...)
		}
		i += n + 3
	}
	return f[0], conflicts, autoMerged, nil
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	if len(line) > 100 {
		line = line[:100]
	}
	return string(line)
}

// person is an identity for commit-tree; date is git's raw form
// ("1700000000 +0100").
type person struct{ name, email, date string }

func identPerson(id repo.Ident, when time.Time) person {
	if !id.When.IsZero() {
		when = id.When
	}
	return person{name: id.Name, email: id.Email, date: rawDate(when)}
}

func rawDate(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10) + " " + t.Format("-0700")
}

// commitTree writes a commit and returns its id.
func commitTree(ctx context.Context, r *git.Runner, dir, tree string, parents []string, author, committer person, msg string) (string, error) {
	var env []string
	for _, p := range []struct {
		who string
		p   person
	}{{"AUTHOR", author}, {"COMMITTER", committer}} {
		for _, v := range []string{p.p.name, p.p.email} {
			if strings.TrimSpace(v) == "" || strings.ContainsAny(v, "<>\n\x00") || !utf8.ValidString(v) {
				return "", fmt.Errorf("invalid %s identity %q <%s>", strings.ToLower(p.who), p.p.name, p.p.email)
			}
		}
		env = append(env, "GIT_"+p.who+"_NAME="+p.p.name, "GIT_"+p.who+"_EMAIL="+p.p.email, "GIT_"+p.who+"_DATE=@"+p.p.date)
	}
	flags := make([]string, 0, len(parents))
	for _, p := range parents {
		flags = append(flags, "-p"+p)
	}
	out, err := r.Output(ctx, git.Cmd{
		Dir: dir, Name: "commit-tree", Flags: flags, Args: []string{tree},
		Env: env, Stdin: strings.NewReader(msg),
	})
	if err != nil {
		return "", fmt.Errorf("write commit: %w", err)
	}
	oid := strings.TrimSpace(string(out))
	if !git.IsOID(oid) {
		return "", fmt.Errorf("commit-tree: unexpected %q", firstLine(out))
	}
	return oid, nil
}

// scaffold is the identity of the helper commits a cherry-pick writes:
// fixed, so that the same helper is written once.
var scaffold = person{name: "Tandem", email: "tandem@localhost", date: "0 +0000"}

// pick applies the change c brings relative to its first parent (whose
// tree is parentTree) to the tree ontoTree and returns the merged tree. The
// parents of c other than the first are kept out of the delta, as Gerrit's
// rebase of a merge commit does.
func pick(ctx context.Context, r *git.Runner, dir string, c *commit, parentTree, ontoTree string, mergeContent bool) (mergeResult, error) {
	if ontoTree == parentTree {
		// Nothing moved under the change: its own tree is the answer.
		return mergeResult{tree: c.tree, clean: true}, nil
	}
	// merge-tree in git 2.39 cannot be given a merge base. A helper commit
	// with onto's tree and c's first parent as its only parent makes that
	// parent the one merge base of helper and c: merging them is exactly
	// the cherry-pick.
	helper, err := commitTree(ctx, r, dir, ontoTree, c.parents[:1], scaffold, scaffold, "cherry-pick base\n")
	if err != nil {
		return mergeResult{}, err
	}
	return mergeTrees(ctx, r, dir, helper, c.oid, mergeContent)
}
