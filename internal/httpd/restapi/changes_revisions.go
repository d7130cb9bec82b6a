package restapi

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"tandem/internal/change"
	"tandem/internal/fail"
	"tandem/internal/git"
	"tandem/internal/git/repo"
	"tandem/internal/project"
)

// Gerrit's magic files: the commit message and, for merges, the list of
// merged commits, shown as if they were files of the patch set.
const (
	commitMsgPath = "/COMMIT_MSG"
	mergeListPath = "/MERGE_LIST"
)

// serveRevision handles /changes/{id}/revisions/{rev}/...
func (a *API) serveRevision(q *request, rc *resolvedChange, ps *change.PatchSet, rest []string) error {
	if len(rest) == 0 {
		return notFound(q.r.URL.Path)
	}
	get := func(fn func() error) error {
		if q.method() != http.MethodGet {
			return methodNotAllowed()
		}
		return fn()
	}
	switch rest[0] {
	case "commit":
		return get(func() error { return a.getCommit(q, rc, ps) })
	case "files":
		return a.serveFiles(q, rc, ps, rest[1:])
	case "patch":
		return get(func() error { return a.getPatch(q, rc, ps) })
	case "archive":
		return get(func() error { return a.getArchive(q, rc, ps) })
	case "mergelist":
		return get(func() error { return a.getMergeList(q, rc, ps) })
	case "mergeable":
		return get(func() error { return a.getMergeable(q, rc, ps) })
	case "related":
		return get(func() error { return a.getRelated(q, rc, ps) })
	case "actions":
		return get(func() error { return a.getRevisionActions(q, rc, ps) })
	case "description":
		return get(func() error { return writeJSON(q, http.StatusOK, ps.Description) })
	case "submit_type":
		return get(func() error { return writeJSON(q, http.StatusOK, project.EffectiveSubmitType(rc.state.Chain)) })
	case "reviewers":
		// As in Gerrit, only the current revision's reviewers, which are
		// the change's, may be listed here.
		if ps.Number != rc.change.CurrentPS {
			return fail.Errorf(fail.NotAllowed, "Cannot access on non-current patch set")
		}
		return get(func() error { return a.serveReviewers(q, rc, rest[1:]) })
	case "review":
		switch q.method() {
		case http.MethodGet:
			return a.getReview(q, rc, ps)
		case http.MethodPost:
			return a.postReview(q, rc, ps)
		}
		return methodNotAllowed()
	case "submit":
		return a.submit(q, rc, ps)
	case "rebase":
		return a.rebase(q, rc, ps)
	case "cherrypick":
		return a.cherryPick(q, rc, ps)
	case "comments":
		return a.serveComments(q, rc, ps, rest[1:])
	case "robotcomments":
		return noRobotComments(q, rest[1:])
	case "drafts":
		return a.serveDrafts(q, rc, ps, rest[1:])
	}
	return notFound(q.r.URL.Path)
}

// builderFor returns a builder for one resolved change, its project seen
// through the checker it was resolved with.
func (a *API) builderFor(q *request, rc *resolvedChange, opts changeOptions) *pageBuilder {
	pv := &projectView{name: rc.change.Project, chk: rc.chk}
	return &pageBuilder{a: a, q: q, ctx: q.r.Context(), opts: opts,
		projects: map[string]*projectView{pv.name: pv}, subjects: map[string]string{},
		byCommit: map[string]*change.PatchSet{}, branchTips: map[string]string{}}
}

func (a *API) getCommit(q *request, rc *resolvedChange, ps *change.PatchSet) error {
	b := a.builderFor(q, rc, 0)
	ci, err := b.commitInfo(b.projects[rc.change.Project], ps)
	if err != nil {
		return err
	}
	ci.Commit = ps.Commit
	return writeJSON(q, http.StatusOK, ci)
}

// getCommitMessage answers GET /changes/{id}/message for the current
// patch set.
func (a *API) getCommitMessage(q *request, rc *resolvedChange) error {
	pss, err := a.patchSetsOf(q.r.Context(), rc)
	if err != nil {
		return err
	}
	ps := patchSetNumbered(pss, rc.change.CurrentPS)
	if ps == nil {
		return notFound("current revision")
	}
	m := change.ParseCommitMessage(ps.Message)
	footers := map[string]string{}
	for _, f := range m.Footers {
		footers[f.Key] = f.Value
	}
	return writeJSON(q, http.StatusOK, CommitMessageInfo{Subject: m.Subject, FullMessage: ps.Message, Footers: footers})
}

// commitMsgText is the content of /COMMIT_MSG: the commit's headers, then
// its message.
func commitMsgText(ps *change.PatchSet, parentSubjects []string) string {
	var b strings.Builder
	for i, p := range ps.Parents {
		label := "Parent:     "
		if len(ps.Parents) > 1 {
			label = "Merge Of:   "
			if i > 0 {
				label = "            "
			}
		}
		subject := ""
		if i < len(parentSubjects) {
			subject = parentSubjects[i]
		}
		fmt.Fprintf(&b, "%s%s (%s)\n", label, p[:min(len(p), 8)], subject)
	}
	fmt.Fprintf(&b, "Author:     %s <%s>\n", ps.Author.Name, ps.Author.Email)
	fmt.Fprintf(&b, "AuthorDate: %s\n", personDate(ps.Author))
	fmt.Fprintf(&b, "Commit:     %s <%s>\n", ps.Committer.Name, ps.Committer.Email)
	fmt.Fprintf(&b, "CommitDate: %s\n", personDate(ps.Committer))
	b.WriteString("\n")
	b.WriteString(ps.Message)
	return b.String()
}

func personDate(p change.Person) string {
	return p.When.In(time.FixedZone("", p.TZ*60)).Format("2006-01-02 15:04:05 -0700")
}

// countLines counts the lines of a text, a last line without a newline
// included.
func countLines(s string) int {
	if s == "" {
		return 0
	}
	n := strings.Count(s, "\n")
	if !strings.HasSuffix(s, "\n") {
		n++
	}
	return n
}

// parentSubjects returns the subjects of a patch set's parents.
func parentSubjects(pv *projectView, ps *change.PatchSet, subjectOf func(*projectView, string) (string, error)) ([]string, error) {
	out := make([]string, len(ps.Parents))
	for i, p := range ps.Parents {
		s, err := subjectOf(pv, p)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// fileInfos is a patch set's file list against its first parent: the
// stored files plus the magic files.
func (a *API) fileInfos(ctx context.Context, pv *projectView, ps *change.PatchSet, files []change.File, subjectOf func(*projectView, string) (string, error)) (map[string]FileInfo, error) {
	out := map[string]FileInfo{}
	for _, f := range files {
		out[f.Path] = fileInfo(f)
	}
	subjects, err := parentSubjects(pv, ps, subjectOf)
	if err != nil {
		return nil, err
	}
	text := commitMsgText(ps, subjects)
	out[commitMsgPath] = FileInfo{Status: "A", LinesInserted: countLines(text), SizeDelta: int64(len(text)), Size: int64(len(text))}
	if len(ps.Parents) > 1 {
		list, err := a.mergeListText(ctx, pv, ps)
		if err != nil {
			return nil, err
		}
		out[mergeListPath] = FileInfo{Status: "A", LinesInserted: countLines(list), SizeDelta: int64(len(list)), Size: int64(len(list))}
	}
	return out, nil
}

// mergeListText is the content of /MERGE_LIST: the commits a merge brings
// in that its first parent lacks.
func (a *API) mergeListText(ctx context.Context, pv *projectView, ps *change.PatchSet) (string, error) {
	commits, err := a.mergedCommits(ctx, pv.name, ps)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("Merge List:\n\n")
	for _, c := range commits {
		fmt.Fprintf(&b, "* %s %s\n", change.AbbrevCommit(c.OID), c.Subject())
	}
	return b.String(), nil
}

// mergedCommits returns the commits a merge brings in that its first
// parent lacks, newest first and each once (an octopus merge's other
// parents may share history); none for a commit that is no merge.
func (a *API) mergedCommits(ctx context.Context, project string, ps *change.PatchSet) ([]*repo.Commit, error) {
	if len(ps.Parents) < 2 {
		return nil, nil
	}
	r, err := a.projects.Open(ctx, project)
	if err != nil {
		return nil, err
	}
	var out []*repo.Commit
	seen := map[string]bool{}
	for _, p := range ps.Parents[1:] {
		shas, err := r.RevListExcluding(ctx, p, ps.Parents[:1])
		if err != nil {
			return nil, err
		}
		for i := len(shas) - 1; i >= 0; i-- {
			if seen[shas[i]] {
				continue
			}
			seen[shas[i]] = true
			c, err := r.ReadCommit(ctx, shas[i])
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// serveFiles handles …/files/ and …/files/{file}/{diff,content,download},
// and the caller's flag at …/files/{file}/reviewed.
func (a *API) serveFiles(q *request, rc *resolvedChange, ps *change.PatchSet, rest []string) error {
	if len(rest) == 0 || len(rest) == 1 && rest[0] == "" {
		if q.method() != http.MethodGet {
			return methodNotAllowed()
		}
		return a.listFiles(q, rc, ps)
	}
	// The file id should be one escaped segment; tolerate clients that
	// leave its slashes unescaped.
	action := ""
	if n := len(rest); n > 1 {
		switch rest[n-1] {
		case "diff", "content", "download", "blame", "reviewed":
			action, rest = rest[n-1], rest[:n-1]
		}
	}
	file := strings.Join(rest, "/")
	if action == "reviewed" {
		return a.serveReviewed(q, ps, file)
	}
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	switch action {
	case "diff":
		return a.getDiff(q, rc, ps, file)
	case "content":
		return a.getContent(q, rc, ps, file, false)
	case "download":
		return a.getContent(q, rc, ps, file, true)
	}
	return notFound(file)
}

// listFiles answers GET …/files/: the map of files (with ?base= or
// ?parent= against another commit), the paths matching ?q=, or the
// caller's reviewed files with ?reviewed; only one of those four at a
// time, as in Gerrit.
func (a *API) listFiles(q *request, rc *resolvedChange, ps *change.PatchSet) error {
	ctx := q.r.Context()
	given := 0
	for _, opt := range []string{"base", "parent", "reviewed", "q"} {
		if _, ok := q.query[opt]; ok {
			given++
		}
	}
	if given > 1 {
		return badRequest("cannot combine base, parent, reviewed, query")
	}
	if _, ok := q.query["reviewed"]; ok {
		if err := a.requireSignedIn(q); err != nil {
			return err
		}
		paths, err := a.reviewedFiles(q, rc, ps)
		if err != nil {
			return err
		}
		return writeJSON(q, http.StatusOK, paths)
	}
	b := a.builderFor(q, rc, 0)
	pv := b.projects[rc.change.Project]
	base, err := a.diffBase(q, rc, ps)
	if err != nil {
		return err
	}
	var files map[string]FileInfo
	if base.commit == ps.FirstParent() && base.ps == nil {
		stored, err := a.changes.Files(ctx, a.db, ps.Change, ps.Number)
		if err != nil {
			return err
		}
		if files, err = a.fileInfos(ctx, pv, ps, stored, b.subjectOf); err != nil {
			return err
		}
	} else {
		if files, err = a.filesAgainst(q, b, pv, ps, base); err != nil {
			return err
		}
	}
	if pattern, ok := q.query["q"]; ok {
		needle := strings.ToLower(strings.Join(pattern, ""))
		out := []string{}
		for _, p := range slices.Sorted(maps.Keys(files)) {
			if strings.HasPrefix(p, "/") {
				continue
			}
			if strings.Contains(strings.ToLower(p), needle) {
				out = append(out, p)
			}
		}
		return writeJSON(q, http.StatusOK, out)
	}
	return writeJSON(q, http.StatusOK, files)
}

// diffSide is what a revision is compared with: a commit, which is a
// patch set of the change when ?base= names one.
type diffSide struct {
	commit string // "" for the empty tree
	ps     *change.PatchSet
}

// diffBase reads ?base= (a patch set of the change) and ?parent= (a
// 1-based parent of the revision); the default is the first parent.
func (a *API) diffBase(q *request, rc *resolvedChange, ps *change.PatchSet) (diffSide, error) {
	if b := q.query.Get("base"); b != "" {
		pss, err := a.patchSetsOf(q.r.Context(), rc)
		if err != nil {
			return diffSide{}, err
		}
		base := findRevision(pss, rc.change.CurrentPS, b)
		if base == nil {
			return diffSide{}, notFound(b)
		}
		return diffSide{commit: base.Commit, ps: base}, nil
	}
	if p := q.query.Get("parent"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > len(ps.Parents) {
			return diffSide{}, badRequest("invalid parent number: %s", p)
		}
		return diffSide{commit: ps.Parents[n-1]}, nil
	}
	return diffSide{commit: ps.FirstParent()}, nil
}

// filesAgainst lists the files of ps against another commit, with git.
func (a *API) filesAgainst(q *request, b *pageBuilder, pv *projectView, ps *change.PatchSet, base diffSide) (map[string]FileInfo, error) {
	ctx := q.r.Context()
	r, err := b.repoOf(pv)
	if err != nil {
		return nil, err
	}
	changes, err := r.DiffFiles(ctx, base.commit, ps.Commit)
	if err != nil {
		return nil, err
	}
	out := map[string]FileInfo{}
	for _, f := range change.FilesOf(changes) {
		out[f.Path] = fileInfo(f)
	}
	subjects, err := parentSubjects(pv, ps, b.subjectOf)
	if err != nil {
		return nil, err
	}
	text := commitMsgText(ps, subjects)
	if base.ps == nil {
		out[commitMsgPath] = FileInfo{Status: "A", LinesInserted: countLines(text), SizeDelta: int64(len(text)), Size: int64(len(text))}
		return out, nil
	}
	baseSubjects, err := parentSubjects(pv, base.ps, b.subjectOf)
	if err != nil {
		return nil, err
	}
	old := commitMsgText(base.ps, baseSubjects)
	if old != text {
		ins, del := diffStat(splitLines(old), splitLines(text))
		out[commitMsgPath] = FileInfo{LinesInserted: ins, LinesDeleted: del, SizeDelta: int64(len(text) - len(old)), Size: int64(len(text))}
	}
	return out, nil
}

func badRequest(format string, args ...any) error {
	return fail.Errorf(fail.Invalid, format, args...)
}

// magicContent returns the content of /COMMIT_MSG or /MERGE_LIST of a
// patch set; ok is false for other paths.
func (a *API) magicContent(ctx context.Context, b *pageBuilder, pv *projectView, ps *change.PatchSet, file string) (string, bool, error) {
	switch file {
	case commitMsgPath:
		subjects, err := parentSubjects(pv, ps, b.subjectOf)
		if err != nil {
			return "", true, err
		}
		return commitMsgText(ps, subjects), true, nil
	case mergeListPath:
		if len(ps.Parents) < 2 {
			return "", true, notFound(file)
		}
		text, err := a.mergeListText(ctx, pv, ps)
		return text, true, err
	}
	return "", false, nil
}

// getContent answers …/files/{file}/content (base64, as Gerrit does) and
// …/download (the raw bytes as an attachment); ?parent=N reads the file in
// a parent of the revision instead.
func (a *API) getContent(q *request, rc *resolvedChange, ps *change.PatchSet, file string, download bool) error {
	ctx := q.r.Context()
	b := a.builderFor(q, rc, 0)
	pv := b.projects[rc.change.Project]
	var data []byte
	if text, ok, err := a.magicContent(ctx, b, pv, ps, file); ok {
		if err != nil {
			return err
		}
		data = []byte(text)
	} else {
		commit := ps.Commit
		if p := q.query.Get("parent"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > len(ps.Parents) {
				return badRequest("invalid parent number: %s", p)
			}
			commit = ps.Parents[n-1]
		}
		r, err := b.repoOf(pv)
		if err != nil {
			return err
		}
		if data, err = readBlob(ctx, r, commit, file); err != nil {
			return err
		}
	}
	if download {
		h := q.w.Header()
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", path.Base(file)))
		h.Set("X-Content-Type-Options", "nosniff")
		q.w.WriteHeader(http.StatusOK)
		_, err := q.w.Write(data)
		return err
	}
	return writeBase64(q, data, contentType(file, data))
}

// readBlob reads a file of a commit; a missing file is 404.
func readBlob(ctx context.Context, r *repo.Repo, commit, file string) ([]byte, error) {
	data, err := r.ReadFile(ctx, commit, file)
	if errors.Is(err, repo.ErrNotFound) || err != nil && strings.Contains(err.Error(), " is a ") {
		return nil, notFound(file)
	}
	return data, err
}

// writeBase64 answers with data base64-encoded in a text/plain body, as
// Gerrit serves file contents and patches.
func writeBase64(q *request, data []byte, typ string) error {
	h := q.w.Header()
	h.Set("Content-Type", "text/plain; charset=ISO-8859-1")
	h.Set("X-FYI-Content-Encoding", "base64")
	h.Set("X-FYI-Content-Type", typ)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	q.w.WriteHeader(http.StatusOK)
	enc := base64.NewEncoder(base64.StdEncoding, q.w)
	if _, err := enc.Write(data); err != nil {
		return err
	}
	return enc.Close()
}

// contentType guesses a file's MIME type from its name, else from its
// bytes.
func contentType(file string, data []byte) string {
	if file == commitMsgPath || file == mergeListPath {
		return "text/x-gerrit-commit-message"
	}
	if t := mime.TypeByExtension(path.Ext(file)); t != "" {
		t, _, _ = strings.Cut(t, ";")
		return t
	}
	if isBinary(data) {
		return "application/octet-stream"
	}
	return "text/plain"
}

// isBinary reports whether data looks binary, as git decides: a NUL in
// its first 8000 bytes.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}

// getPatch answers …/patch: the revision as an mbox patch, base64-encoded
// by default, raw with ?raw, zipped with ?zip, as an attachment with
// ?download; ?path= restricts it to one file.
func (a *API) getPatch(q *request, rc *resolvedChange, ps *change.PatchSet) error {
	ctx := q.r.Context()
	r, err := a.projects.Open(ctx, rc.change.Project)
	if err != nil {
		return err
	}
	flags := []string{"--stdout", "-1", "--no-signature", "--no-color"}
	if len(ps.Parents) == 0 {
		flags = append(flags, "--root")
	}
	cmd := git.Cmd{Dir: r.Path, Name: "format-patch", Flags: flags, Args: []string{ps.Commit}}
	if p := q.query.Get("path"); p != "" {
		cmd.Paths = []string{p}
	}
	out, err := r.Runner().Output(ctx, cmd)
	if err != nil {
		return fmt.Errorf("format-patch %s: %w", ps.Commit, err)
	}
	short := ps.Commit[:min(len(ps.Commit), 8)]
	_, zipped := q.query["zip"]
	_, raw := q.query["raw"]
	_, download := q.query["download"]
	h := q.w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	switch {
	case zipped:
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		f, err := zw.Create(short + ".diff")
		if err == nil {
			_, err = f.Write(out)
		}
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			return err
		}
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", short+".diff.zip"))
		q.w.WriteHeader(http.StatusOK)
		_, err = q.w.Write(buf.Bytes())
		return err
	case raw:
		h.Set("Content-Type", "text/plain; charset=UTF-8")
		q.w.WriteHeader(http.StatusOK)
		_, err := q.w.Write(out)
		return err
	case download:
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", short+".diff.base64"))
	}
	return writeBase64(q, out, "application/mbox")
}

func (a *API) getMergeable(q *request, rc *resolvedChange, ps *change.PatchSet) error {
	if a.mergeability == nil {
		return methodNotAllowed()
	}
	info, err := a.mergeability.Mergeable(q.r.Context(), rc.change, ps)
	if err != nil {
		return err
	}
	return writeJSON(q, http.StatusOK, info)
}

// getRevisionActions answers …/actions with the patch set's actions.
func (a *API) getRevisionActions(q *request, rc *resolvedChange, ps *change.PatchSet) error {
	if q.caller.Anonymous() {
		return writeJSON(q, http.StatusOK, map[string]ActionInfo{})
	}
	b := a.builderFor(q, rc, optionsOf(optCurrentActions))
	if err := b.load([]*change.Change{rc.change}); err != nil {
		return err
	}
	return writeJSON(q, http.StatusOK, a.revisionActions(q, rc.change, ps, rc.chk, b.evals[rc.change.Number]))
}

// getReview answers GET …/revisions/{rev}/review: the change with
// detailed labels and accounts, describing that revision.
func (a *API) getReview(q *request, rc *resolvedChange, ps *change.PatchSet) error {
	opts := parseChangeOptions(q.query, a.log) | optionsOf(optLabels, optDetailedLabels, optDetailedAccounts,
		optReviewerUpdates, optMessages, optAllCommits)
	infos, err := a.buildChanges(q, []*change.Change{rc.change}, opts, ps)
	if err != nil {
		return err
	}
	return writeJSON(q, http.StatusOK, infos[0])
}

// getRelated answers …/related: the open changes of the branch whose
// current patch sets are ancestors or descendants of the revision,
// descendants first (furthest on top), then the change itself, then its
// ancestors (nearest first). A change with no relatives gets an empty
// list.
func (a *API) getRelated(q *request, rc *resolvedChange, ps *change.PatchSet) error {
	ctx := q.r.Context()
	c := rc.change
	open, err := a.changes.List(ctx, a.db, `project = $1 AND branch = $2 AND status = 'NEW'`, "id", c.Project, c.Branch)
	if err != nil {
		return err
	}
	byNumber := map[int64]*change.Change{c.Number: c}
	var others []*change.Change
	vis := a.newVisibility(q.caller.Subject())
	for _, o := range open {
		if o.Number == c.Number {
			continue
		}
		if rc, err := vis.change(ctx, o); err != nil {
			return err
		} else if rc == nil {
			continue
		}
		byNumber[o.Number] = o
		others = append(others, o)
	}
	pss, err := a.changes.PatchSetsOf(ctx, others)
	if err != nil {
		return err
	}
	entries := relatedChanges(c, ps, byNumber, pss)
	out := RelatedChangesInfo{Changes: []RelatedChangeAndCommitInfo{}}
	if len(entries) > 1 {
		for _, e := range entries {
			out.Changes = append(out.Changes, relatedInfo(e.c, e.ps))
		}
	}
	return writeJSON(q, http.StatusOK, out)
}

type relatedEntry struct {
	c  *change.Change
	ps *change.PatchSet
}

// relatedChanges walks first parents: up from ps through current patch
// sets of other changes (ancestors), and down to the current patch sets
// of other changes built on it (descendants).
func relatedChanges(self *change.Change, ps *change.PatchSet, changes map[int64]*change.Change, others []*change.PatchSet) []relatedEntry {
	current := map[string]*change.PatchSet{}
	children := map[string][]*change.PatchSet{}
	for _, o := range others {
		c := changes[o.Change]
		if c == nil || o.Number != c.CurrentPS {
			continue
		}
		current[o.Commit] = o
		if p := o.FirstParent(); p != "" {
			children[p] = append(children[p], o)
		}
	}
	seen := map[int64]bool{self.Number: true}
	var descendants []relatedEntry
	var walk func(commit string)
	walk = func(commit string) {
		for _, child := range children[commit] {
			if seen[child.Change] {
				continue
			}
			seen[child.Change] = true
			descendants = append(descendants, relatedEntry{changes[child.Change], child})
			walk(child.Commit)
		}
	}
	walk(ps.Commit)
	out := make([]relatedEntry, 0, len(descendants)+1)
	for i := len(descendants) - 1; i >= 0; i-- {
		out = append(out, descendants[i])
	}
	out = append(out, relatedEntry{self, ps})
	for p := ps.FirstParent(); p != ""; {
		anc := current[p]
		if anc == nil || seen[anc.Change] {
			break
		}
		seen[anc.Change] = true
		out = append(out, relatedEntry{changes[anc.Change], anc})
		p = anc.FirstParent()
	}
	return out
}

func relatedInfo(c *change.Change, ps *change.PatchSet) RelatedChangeAndCommitInfo {
	ci := commitInfoOf(ps)
	ci.Commit = ps.Commit
	return RelatedChangeAndCommitInfo{
		Project:               c.Project,
		ChangeID:              c.Key,
		Commit:                *ci,
		ChangeNumber:          c.Number,
		RevisionNumber:        ps.Number,
		CurrentRevisionNumber: c.CurrentPS,
		Status:                string(c.Status),
	}
}

// noRobotComments answers .../robotcomments[/ID]. Robot comments are a
// deprecated Gerrit feature Tandem does not store (analyzers post
// ordinary comments); the list is empty and no single one exists.
func noRobotComments(q *request, rest []string) error {
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	if len(rest) > 0 && rest[0] != "" {
		return notFound(rest[0])
	}
	return writeJSON(q, http.StatusOK, map[string]any{})
}
