package restapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"tandem/internal/change"
	"tandem/internal/fail"
	"tandem/internal/git/repo"
)

// archiveTypes are the suffix and media type of each archive format.
var archiveTypes = map[string]struct{ suffix, mediaType string }{
	repo.ArchiveTgz:  {".tar.gz", "application/x-gzip"},
	repo.ArchiveTar:  {".tar", "application/x-tar"},
	repo.ArchiveTbz2: {".tar.bz2", "application/x-bzip2"},
	repo.ArchiveTxz:  {".tar.xz", "application/x-xz"},
}

// archiveAliases are the other names Gerrit accepts for each format.
var archiveAliases = map[string]string{"tar.gz": repo.ArchiveTgz, "tar.bz2": repo.ArchiveTbz2, "tar.xz": repo.ArchiveTxz}

// getArchive answers GET …/revisions/{rev}/archive?format=F: the files of
// the revision as an archive named after its abbreviated commit, in one of
// the download.archive formats.
func (a *API) getArchive(q *request, rc *resolvedChange, ps *change.PatchSet) error {
	format := strings.ToLower(strings.TrimPrefix(q.query.Get("format"), "."))
	if f, ok := archiveAliases[format]; ok {
		format = f
	}
	switch {
	case format == "":
		return fail.Errorf(fail.Invalid, "format is not specified")
	case format == "zip":
		return fail.Errorf(fail.NotAllowed, "zip format is disabled")
	case !slices.Contains(a.info.Archives, format):
		return fail.Errorf(fail.Invalid, "unknown archive format")
	}
	r, err := a.projects.Open(q.r.Context(), rc.change.Project)
	if err != nil {
		return err
	}
	t := archiveTypes[format]
	// The headers go out with the first bytes: a failure before then is
	// answered as an error; after them the connection is cut, so that the
	// client sees a broken download rather than a tarball with an error
	// message appended to it.
	w := &attachment{w: q.w, mediaType: t.mediaType, name: change.AbbrevCommit(ps.Commit) + t.suffix}
	err = r.Archive(q.r.Context(), ps.Commit, format, w)
	if err != nil && w.started {
		a.log.Warn("archive download cut short", "change", rc.change.Number, "format", format, "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// attachment writes a download, setting its headers at the first write.
type attachment struct {
	w               http.ResponseWriter
	mediaType, name string
	started         bool
}

func (a *attachment) Write(p []byte) (int, error) {
	if !a.started {
		a.started = true
		a.w.Header().Set("Content-Type", a.mediaType)
		a.w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"%s\"", a.name))
	}
	return a.w.Write(p)
}

// getMergeList answers GET …/revisions/{rev}/mergelist: the commits a
// merge brings in that its first parent lacks, newest first, as
// CommitInfos; nothing for a commit that is no merge.
func (a *API) getMergeList(q *request, rc *resolvedChange, ps *change.PatchSet) error {
	commits, err := a.mergedCommits(q.r.Context(), rc.change.Project, ps)
	if err != nil {
		return err
	}
	out := []CommitInfo{}
	for _, c := range commits {
		out = append(out, commitInfoOfGit(c))
	}
	return writeJSON(q, http.StatusOK, out)
}
