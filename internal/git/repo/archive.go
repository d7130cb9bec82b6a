package repo

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os/exec"

	"tandem/internal/git"
)

// Archive formats, by Gerrit's names. git writes tar itself; Tandem
// compresses tgz; tbz2 and txz go through git's tar filters, so they need
// bzip2 and xz installed.
const (
	ArchiveTar  = "tar"
	ArchiveTgz  = "tgz"
	ArchiveTbz2 = "tbz2"
	ArchiveTxz  = "txz"
)

// archiveFilters are the compressors git runs for the formats it has no
// built-in support for.
var archiveFilters = map[string]string{ArchiveTbz2: "bzip2", ArchiveTxz: "xz"}

// ArchiveFormats returns the formats this machine can write, in Gerrit's
// order of preference.
func ArchiveFormats() []string {
	out := []string{ArchiveTgz, ArchiveTar}
	for _, f := range []string{ArchiveTbz2, ArchiveTxz} {
		if _, err := exec.LookPath(archiveFilters[f]); err == nil {
			out = append(out, f)
		}
	}
	return out
}

// Archive writes the tree of commit to w as an archive in format, one of
// ArchiveFormats.
func (r *Repo) Archive(ctx context.Context, commit, format string, w io.Writer) error {
	if !git.IsOID(commit) {
		return fmt.Errorf("archive in %q: %q is not an object id", r.Name, commit)
	}
	cmd := git.Cmd{Dir: r.Path, Name: "archive", Flags: []string{"--format=" + ArchiveTar}, Args: []string{commit}, Stdout: w}
	switch format {
	case ArchiveTar:
		return r.runner.Run(ctx, cmd)
	case ArchiveTgz:
		zw := gzip.NewWriter(w)
		cmd.Stdout = zw
		if err := r.runner.Run(ctx, cmd); err != nil {
			return err
		}
		return zw.Close()
	}
	// ArchiveFormats found the filter at start; if it went since, git
	// fails before anything is written.
	filter, ok := archiveFilters[format]
	if !ok {
		return fmt.Errorf("archive in %q: format %q is not available", r.Name, format)
	}
	cmd.Config = []git.ConfigPair{{Key: "tar." + format + ".command", Value: filter + " -c"}}
	cmd.Flags = []string{"--format=" + format}
	return r.runner.Run(ctx, cmd)
}
