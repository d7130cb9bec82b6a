package restapi

import (
	"strconv"

	"tandem/internal/change"
	"tandem/internal/fail"
	"tandem/internal/git/repo"
)

// Comment lists take Gerrit's enable-context and context-padding options:
// each comment on lines then carries those lines of the file it is on
// (context_lines), padding lines around them, and the file's media type.

// maxContextPadding bounds context-padding, as Gerrit does.
const maxContextPadding = 50

// ContextLineInfo is Gerrit's ContextLineInfo.
type ContextLineInfo struct {
	LineNumber  int    `json:"line_number"`
	ContextLine string `json:"context_line"`
}

// commentContext fills the context of the comments of one change; a nil
// one (context not asked for) fills nothing.
type commentContext struct {
	rc      *resolvedChange
	b       *pageBuilder // the change's project and repository, opened when needed
	padding int
	files   map[[2]string][]string // commit, path → lines; nil: none
}

// newCommentContext reads the options of q; it returns nil when context
// was not asked for.
func (a *API) newCommentContext(q *request, rc *resolvedChange) (*commentContext, error) {
	if v, ok := q.query["enable-context"]; !ok || len(v) > 0 && v[0] != "" && v[0] != "true" && v[0] != "1" {
		return nil, nil
	}
	padding := 0
	if s := q.query.Get("context-padding"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > maxContextPadding {
			return nil, badRequest("context-padding must be a number from 0 to %d", maxContextPadding)
		}
		padding = n
	}
	return &commentContext{rc: rc, b: a.builderFor(q, rc, 0), padding: padding, files: map[[2]string][]string{}}, nil
}

// fill adds the context of c to ci.
func (cc *commentContext) fill(ci *CommentInfo, c change.Comment) error {
	if cc == nil || c.Line == 0 && c.Range == nil {
		return nil // no context asked for, or a comment on the whole file
	}
	lines, found, err := cc.lines(c)
	if err != nil || !found {
		return err
	}
	ci.SourceContentType = contentType(c.Path, nil)
	// A range ending at character 0 of its last line does not include it.
	start, end := c.Line, c.Line
	if c.Range != nil {
		start, end = c.Range.StartLine, c.Range.EndLine
		if c.Range.EndCharacter == 0 && end > start {
			end--
		}
	}
	start, end = max(start-cc.padding, 1), min(end+cc.padding, len(lines))
	for n := start; n <= end; n++ {
		ci.ContextLines = append(ci.ContextLines, ContextLineInfo{LineNumber: n, ContextLine: lines[n-1]})
	}
	return nil
}

// lines returns the lines of the file c is on, on its side of its patch
// set; found is false when the file is not there.
func (cc *commentContext) lines(c change.Comment) ([]string, bool, error) {
	b := cc.b
	pss, err := b.a.patchSetsOf(b.ctx, cc.rc)
	if err != nil {
		return nil, false, err
	}
	ps := patchSetNumbered(pss, c.PatchSet)
	if ps == nil {
		return nil, false, nil
	}
	commit := ps.Commit
	if c.Side > 0 {
		if c.Side > len(ps.Parents) || c.Path == commitMsgPath || c.Path == mergeListPath {
			return nil, false, nil
		}
		commit = ps.Parents[c.Side-1]
	}
	// Magic files are only on side 0, where commit is the patch set's.
	key := [2]string{commit, c.Path}
	if lines, ok := cc.files[key]; ok {
		return lines, lines != nil, nil
	}
	pv := b.projects[cc.rc.change.Project]
	text, magic, err := b.a.magicContent(b.ctx, b, pv, ps, c.Path)
	if !magic {
		var r *repo.Repo
		if r, err = b.repoOf(pv); err != nil {
			return nil, false, err
		}
		var data []byte
		data, err = readBlob(b.ctx, r, commit, c.Path)
		if fail.Is(err, fail.NotFound) {
			cc.files[key] = nil
			return nil, false, nil
		}
		text = string(data)
	}
	if err != nil {
		return nil, false, err
	}
	lines := splitLines(text)
	if lines == nil {
		lines = []string{}
	}
	cc.files[key] = lines
	return lines, true, nil
}
