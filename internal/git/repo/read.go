package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"tandem/internal/git"
	"tandem/internal/git/catfile"
)

// Signature is an author or committer line of a commit.
type Signature struct {
	Name  string
	Email string
	When  time.Time
	TZ    int // minutes east of UTC
}

// Commit is a parsed commit object.
type Commit struct {
	OID       string
	Tree      string
	Parents   []string
	Author    Signature
	Committer Signature
	Message   string
}

// FirstParent returns the commit's first parent, "" for a root commit.
func (c *Commit) FirstParent() string {
	if len(c.Parents) == 0 {
		return ""
	}
	return c.Parents[0]
}

// Subject returns the first line of the message.
func (c *Commit) Subject() string {
	s, _, _ := strings.Cut(strings.TrimLeft(c.Message, "\n"), "\n")
	return strings.TrimSpace(s)
}

// ReadCommit reads and parses a commit through the repository's pooled
// cat-file reader.
func (r *Repo) ReadCommit(ctx context.Context, rev string) (*Commit, error) {
	b, err := r.batch(ctx)
	if err != nil {
		return nil, err
	}
	defer r.release(b)
	info, data, err := b.Read(rev)
	switch {
	case errors.Is(err, catfile.ErrNotFound), errors.Is(err, catfile.ErrInvalidRevision):
		return nil, fmt.Errorf("commit %q in %q: %w", rev, r.Name, ErrNotFound)
	case err != nil:
		return nil, err
	case info.Type != "commit":
		return nil, fmt.Errorf("%s in %q is a %s, not a commit", rev, r.Name, info.Type)
	}
	c, err := ParseCommit(data)
	if err != nil {
		return nil, err
	}
	c.OID = info.OID
	return c, nil
}

// ParseCommit parses a raw commit object.
func ParseCommit(data []byte) (*Commit, error) {
	c := &Commit{}
	header, msg, _ := bytes.Cut(data, []byte("\n\n"))
	c.Message = string(msg)
	for _, line := range strings.Split(string(header), "\n") {
		key, val, _ := strings.Cut(line, " ")
		switch key {
		case "tree":
			c.Tree = val
		case "parent":
			c.Parents = append(c.Parents, val)
		case "author":
			c.Author = parseSignature(val)
		case "committer":
			c.Committer = parseSignature(val)
		}
	}
	if c.Tree == "" {
		return nil, errors.New("malformed commit: no tree")
	}
	return c, nil
}

// parseSignature parses "Name <email> 1700000000 +0100".
func parseSignature(s string) Signature {
	var sig Signature
	lt, gt := strings.IndexByte(s, '<'), strings.LastIndexByte(s, '>')
	if lt < 0 || gt < lt {
		sig.Name = strings.TrimSpace(s)
		return sig
	}
	sig.Name = strings.TrimSpace(s[:lt])
	sig.Email = s[lt+1 : gt]
	f := strings.Fields(s[gt+1:])
	if len(f) >= 1 {
		if secs, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			sig.When = time.Unix(secs, 0).UTC()
		}
	}
	if len(f) >= 2 && len(f[1]) == 5 {
		h, _ := strconv.Atoi(f[1][1:3])
		m, _ := strconv.Atoi(f[1][3:5])
		sig.TZ = h*60 + m
		if f[1][0] == '-' {
			sig.TZ = -sig.TZ
		}
	}
	return sig
}

// FileChange is one file changed between two commits.
type FileChange struct {
	Path       string
	OldPath    string // renames and copies
	Status     string // A, D, M, R, C, T
	Binary     bool
	Insertions int
	Deletions  int
	OldSize    int64 // bytes of the old blob, 0 when added
	NewSize    int64 // bytes of the new blob, 0 when deleted
	// The blob ids and octal modes ("100644") on each side, as git's raw
	// diff gives them: all zeros and "000000" on the side without the file.
	OldBlob, NewBlob string
	OldMode, NewMode string
}

// DiffFiles lists the files changed from parent to commit (parent "" means
// the empty tree), with line counts and rename detection, in one git call.
func (r *Repo) DiffFiles(ctx context.Context, parent, commit string) ([]FileChange, error) {
	args := []string{parent, commit}
	flags := []string{"-r", "-M", "--raw", "--numstat", "-z", "--no-commit-id"}
	if parent == "" {
		args = []string{commit}
		flags = append(flags, "--root")
	}
	out, err := r.runner.Output(ctx, git.Cmd{Dir: r.Path, Name: "diff-tree", Flags: flags, Args: args})
	if err != nil {
		return nil, err
	}
	fields := strings.Split(string(out), "\x00")
	files, _, err := parseRawNumstat(fields, 0)
	if err != nil {
		return nil, err
	}
	return files, r.blobSizes(ctx, files)
}

// CommitDiff names the diff of a commit against one of its parents;
// Parent "" means against the empty tree.
type CommitDiff struct{ Parent, Commit string }

// DiffCommits is DiffFiles for each of diffs, in one git process however
// many there are (a push of a series of changes), the answers in the order
// of diffs. Each Commit must be a commit and each Parent one of its
// parents.
func (r *Repo) DiffCommits(ctx context.Context, diffs []CommitDiff) ([][]FileChange, error) {
	if len(diffs) == 0 {
		return nil, nil
	}
	var in strings.Builder
	for _, d := range diffs {
		if !git.IsOID(d.Commit) || d.Parent != "" && !git.IsOID(d.Parent) {
			return nil, fmt.Errorf("diff in %q: %q against %q: not object ids", r.Name, d.Commit, d.Parent)
		}
		// "COMMIT PARENT" diffs against that parent only; "COMMIT" alone
		// against the empty tree, with --root.
		in.WriteString(strings.TrimSpace(d.Commit + " " + d.Parent))
		in.WriteByte('\n')
	}
	out, err := r.runner.Output(ctx, git.Cmd{Dir: r.Path, Name: "diff-tree",
		Flags: []string{"--stdin", "--always", "--root", "-r", "-M", "--raw", "--numstat", "-z"},
		Stdin: strings.NewReader(in.String())})
	if err != nil {
		return nil, err
	}
	// Each answer is the commit's id, then its records; --always prints
	// the id even when the diff is empty.
	fields := strings.Split(string(out), "\x00")
	answers := make([][]FileChange, len(diffs))
	var all []FileChange
	i := 0
	for n, d := range diffs {
		if i >= len(fields) || fields[i] != d.Commit {
			return nil, fmt.Errorf("diff in %q: expected the records of %s", r.Name, d.Commit)
		}
		if answers[n], i, err = parseRawNumstat(fields, i+1); err != nil {
			return nil, err
		}
		all = append(all, answers[n]...)
	}
	if err := r.blobSizes(ctx, all); err != nil {
		return nil, err
	}
	// blobSizes filled in the copies; hand them back to each answer.
	for n := range answers {
		answers[n], all = all[:len(answers[n]):len(answers[n])], all[len(answers[n]):]
	}
	return answers, nil
}

// gitlinkMode is the tree entry mode of a submodule: its id names a commit
// of another repository, not an object of this one.
const gitlinkMode = "160000"

// blobSizes fills in the sizes of the files' blobs through the pooled
// cat-file reader, asking for all of them in one pipelined round trip.
// Submodule entries have no blob here and keep size 0.
func (r *Repo) blobSizes(ctx context.Context, files []FileChange) error {
	var oids []string
	want := func(oid, mode string) bool {
		return mode != gitlinkMode && oid != "" && strings.Trim(oid, "0") != ""
	}
	for _, f := range files {
		if want(f.OldBlob, f.OldMode) {
			oids = append(oids, f.OldBlob)
		}
		if want(f.NewBlob, f.NewMode) {
			oids = append(oids, f.NewBlob)
		}
	}
	infos, err := r.objectInfos(ctx, oids)
	if err != nil {
		return err
	}
	sizes := make(map[string]int64, len(infos))
	for i, info := range infos {
		if info.Type == "" {
			return fmt.Errorf("blob %s in %q: %w", oids[i], r.Name, catfile.ErrNotFound)
		}
		sizes[oids[i]] = info.Size
	}
	for i := range files {
		f := &files[i]
		f.OldSize = sizes[f.OldBlob]
		f.NewSize = sizes[f.NewBlob]
	}
	return nil
}

// parseRawNumstat parses the records of one diff in `diff-tree --raw
// --numstat -z` output split at NULs, starting at fields[i]: first the raw
// records, then the numstat records, in the same order. It returns the
// files and the index of the first field after them.
func parseRawNumstat(fields []string, i int) ([]FileChange, int, error) {
	var files []FileChange
	for i < len(fields) && strings.HasPrefix(fields[i], ":") {
		meta := strings.Fields(fields[i][1:])
		if len(meta) < 5 || i+1 >= len(fields) {
			return nil, i, fmt.Errorf("malformed diff record %q", fields[i])
		}
		f := FileChange{
			Status:  meta[4][:1],
			OldMode: meta[0], NewMode: meta[1],
			OldBlob: meta[2], NewBlob: meta[3],
		}
		i++
		if f.Status == "R" || f.Status == "C" {
			if i+1 >= len(fields) {
				return nil, i, fmt.Errorf("malformed rename record %q", fields[i-1])
			}
			f.OldPath, f.Path = fields[i], fields[i+1]
			i += 2
		} else {
			f.Path = fields[i]
			i++
		}
		files = append(files, f)
	}
	for n := 0; n < len(files); n++ {
		// numstat: "ins\tdel\tpath" or, for renames, "ins\tdel\t" then old, new.
		if i >= len(fields) {
			break
		}
		parts := strings.SplitN(fields[i], "\t", 3)
		i++
		if len(parts) < 3 {
			return nil, i, fmt.Errorf("malformed numstat record %q", fields[i-1])
		}
		if parts[2] == "" {
			i += 2
		}
		if parts[0] == "-" {
			files[n].Binary = true
			continue
		}
		files[n].Insertions, _ = strconv.Atoi(parts[0])
		files[n].Deletions, _ = strconv.Atoi(parts[1])
	}
	return files, i, nil
}

// RevList lists the commits reachable from tip and not from any of the
// refs matching exclude patterns (e.g. "refs/heads/*"), oldest first.
func (r *Repo) RevList(ctx context.Context, tip string, excludeRefs ...string) ([]string, error) {
	var flags []string
	for _, p := range excludeRefs {
		flags = append(flags, "--not", "--glob="+p, "--not")
	}
	return r.revList(ctx, flags, tip)
}

// RevListOutside lists the commits reachable from tip and not from any ref
// matching the glob pattern other than the refs named in except, oldest
// first. A push that created a branch brings the commits of its tip that
// no other branch has: RevListOutside(ctx, tip, "refs/heads/*", branch).
// Ref names cannot hold glob characters, so each of except matches itself
// only.
func (r *Repo) RevListOutside(ctx context.Context, tip, glob string, except ...string) ([]string, error) {
	flags := []string{"--not"}
	for _, e := range except {
		flags = append(flags, "--exclude="+e)
	}
	return r.revList(ctx, append(flags, "--glob="+glob, "--not"), tip)
}

// RevListExcluding lists the commits reachable from tip and not from any of
// the given commits, oldest first.
func (r *Repo) RevListExcluding(ctx context.Context, tip string, exclude []string) ([]string, error) {
	revs := []string{tip}
	for _, e := range exclude {
		revs = append(revs, "^"+e)
	}
	return r.revList(ctx, nil, revs...)
}

// revList runs rev-list with flags on revs and returns the commits, oldest
// first.
func (r *Repo) revList(ctx context.Context, flags []string, revs ...string) ([]string, error) {
	out, err := r.runner.Output(ctx, git.Cmd{Dir: r.Path, Name: "rev-list",
		Flags: append([]string{"--reverse", "--topo-order"}, flags...), Args: revs})
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}

// Patch returns the unified diff from parent to commit.
func (r *Repo) Patch(ctx context.Context, parent, commit string) (string, error) {
	out, err := r.runner.Output(ctx, git.Cmd{Dir: r.Path, Name: "diff-tree", Flags: []string{"-p", "--no-commit-id", "-M", "--full-index"}, Args: []string{parent, commit}})
	return string(out), err
}
