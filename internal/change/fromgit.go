package change

import (
	"strconv"

	"tandem/internal/git/repo"
)

// PersonOf is a git signature as a patch set records it.
func PersonOf(s repo.Signature) Person {
	return Person{Name: s.Name, Email: s.Email, When: s.When, TZ: s.TZ}
}

// FilesOf is a commit's diff as a patch set's files. A change of file
// type counts as a modification, as in Gerrit.
func FilesOf(fs []repo.FileChange) []File {
	out := make([]File, 0, len(fs))
	for _, f := range fs {
		status := f.Status
		if status == "T" {
			status = "M"
		}
		file := File{Path: f.Path, OldPath: f.OldPath, Status: status, Binary: f.Binary,
			Insertions: f.Insertions, Deletions: f.Deletions, Size: f.NewSize, SizeDelta: f.NewSize - f.OldSize}
		file.OldMode, file.OldSHA = side(f.OldMode, f.OldBlob)
		file.NewMode, file.NewSHA = side(f.NewMode, f.NewBlob)
		out = append(out, file)
	}
	return out
}

// side is one side of a raw diff record as a File records it: nothing
// when the file is absent there.
func side(mode, blob string) (int, string) {
	m, err := strconv.ParseInt(mode, 8, 32)
	if err != nil || m == 0 {
		return 0, ""
	}
	return int(m), blob
}

// PatchSetOf describes commit c, whose files against its first parent
// are files, as a patch set: its commit, identities, message and line
// counts. The caller fills in the change, number, uploader, time and
// kind.
func PatchSetOf(c *repo.Commit, files []File) *PatchSet {
	ps := &PatchSet{Commit: c.OID, Parents: c.Parents, Author: PersonOf(c.Author), Committer: PersonOf(c.Committer),
		Message: c.Message}
	for _, f := range files {
		ps.Insertions += f.Insertions
		ps.Deletions += f.Deletions
	}
	return ps
}
