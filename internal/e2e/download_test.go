package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRevisionDownloads fetches a revision as an archive in each format,
// as CI scripts do, and a merge's merged commits (mergelist).
func TestRevisionDownloads(t *testing.T) {
	s := startServer(t, "sqlite")
	s.createUser(t, "alice")
	expect(t, s.admin(t, "PUT", "/a/projects/dl", map[string]any{"create_empty_commit": true}), 201, "create project")

	var info struct {
		Download struct {
			Archives []string `json:"archives"`
		} `json:"download"`
	}
	wantJSON(t, s.call(t, "GET", "/config/server/info", "", "", nil, ""), 200, &info)
	if !slices.Equal(info.Download.Archives, []string{"tgz", "tar", "tbz2", "txz"}) {
		t.Fatalf("archive formats: %v (bzip2 and xz are installed by .ci/run)", info.Download.Archives)
	}

	n := pushChange(t, s, "dl", "main.c", "Add main", 981)
	var commit struct {
		Commit string `json:"commit"`
	}
	wantJSON(t, s.call(t, "GET", "/a/changes/"+n+"/revisions/current/commit", "alice", "alice-pw", nil, ""), 200, &commit)
	if len(commit.Commit) != 40 {
		t.Fatalf("commit of the revision: %q", commit.Commit)
	}
	archive := func(format string) response {
		t.Helper()
		return s.call(t, "GET", "/a/changes/"+n+"/revisions/current/archive?format="+format, "alice", "alice-pw", nil, "")
	}
	files := func(tarball []byte) []string {
		t.Helper()
		var names []string
		tr := tar.NewReader(bytes.NewReader(tarball))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return names
			}
			if err != nil {
				t.Fatalf("read the archive: %v", err)
			}
			names = append(names, h.Name)
		}
	}
	r := archive("tgz")
	if r.status != 200 || r.header.Get("Content-Type") != "application/x-gzip" ||
		r.header.Get("Content-Disposition") != `attachment; filename="`+commit.Commit[:7]+`.tar.gz"` {
		t.Fatalf("tgz: %d %v", r.status, r.header)
	}
	zr, err := gzip.NewReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if got := files(unzipped); !slices.Contains(got, "main.c") {
		t.Fatalf("files of the tgz: %v", got)
	}
	if r := archive("tar"); r.status != 200 || !slices.Contains(files([]byte(r.body)), "main.c") {
		t.Fatalf("tar: %d", r.status)
	}
	for format, magic := range map[string]string{"tbz2": "BZh", "txz": "\xfd7zXZ", "tar.xz": "\xfd7zXZ"} {
		if r := archive(format); r.status != 200 || !strings.HasPrefix(r.body, magic) {
			t.Errorf("%s: %d %q", format, r.status, r.body[:min(len(r.body), 8)])
		}
	}
	wantText(t, archive(""), 400, "format is not specified")
	wantText(t, archive("rar"), 400, "unknown archive format")
	wantText(t, archive("zip"), 405, "zip format is disabled")

	// mergelist: nothing for an ordinary commit, the side branch's
	// commits for a merge.
	var merged []struct {
		Commit  string `json:"commit"`
		Subject string `json:"subject"`
	}
	wantJSON(t, s.call(t, "GET", "/a/changes/"+n+"/revisions/current/mergelist", "alice", "alice-pw", nil, ""), 200, &merged)
	if len(merged) != 0 {
		t.Fatalf("mergelist of a plain commit: %+v", merged)
	}
	work := filepath.Join(t.TempDir(), "work")
	url := s.httpURL("admin", adminPassword, "a/dl")
	s.mustGit(t, "", "", "clone", "-q", url, work)
	s.mustGit(t, work, "", "checkout", "-q", "-b", "side")
	side := s.commit(t, work, "side.txt", "side\n")
	s.mustGit(t, work, "", "push", "-q", url, "side:refs/heads/side")
	s.mustGit(t, work, "", "checkout", "-q", "main")
	s.commit(t, work, "main.txt", "main\n")
	s.mustGit(t, work, "", "push", "-q", url, "main:refs/heads/main")
	s.mustGit(t, work, "", "merge", "-q", "--no-ff", "side", "-m", "Merge side\n\nChange-Id: "+changeID(982))
	out := s.mustGit(t, work, "", "push", url, "HEAD:refs/for/main")
	merge := pushedChange(t, "dl", out)
	wantJSON(t, s.admin(t, "GET", "/a/changes/"+merge+"/revisions/current/mergelist", nil), 200, &merged)
	if len(merged) != 1 || merged[0].Commit != side || merged[0].Subject != "change side.txt" {
		t.Fatalf("mergelist of the merge: %+v", merged)
	}
}

// TestFileModes checks the modes and blob ids FileInfo reports for an
// added file, a deleted one and one made executable.
func TestFileModes(t *testing.T) {
	s := startServer(t, "sqlite")
	s.createUser(t, "alice")
	expect(t, s.admin(t, "PUT", "/a/projects/modes", map[string]any{"create_empty_commit": true}), 201, "create project")
	url := s.httpURL("admin", adminPassword, "a/modes")
	work := filepath.Join(t.TempDir(), "work")
	s.mustGit(t, "", "", "clone", "-q", url, work)
	s.commit(t, work, "run.sh", "echo hi\n")
	s.commit(t, work, "old.txt", "old\n")
	s.mustGit(t, work, "", "push", "-q", url, "HEAD:refs/heads/main")
	oldRun := strings.TrimSpace(s.mustGit(t, work, "", "rev-parse", "HEAD:run.sh"))
	oldOld := strings.TrimSpace(s.mustGit(t, work, "", "rev-parse", "HEAD:old.txt"))
	if err := os.Chmod(filepath.Join(work, "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.mustGit(t, work, "", "rm", "-q", "old.txt")
	sha := withChangeIDAs(t, s, work, "new.txt", "new\n", "Modes", changeID(983))
	newNew := strings.TrimSpace(s.mustGit(t, work, "", "rev-parse", sha+":new.txt"))
	n := pushedChange(t, "modes", s.mustGit(t, work, "", "push", url, "HEAD:refs/for/main"))
	var files map[string]struct {
		Status  string `json:"status"`
		OldMode int    `json:"old_mode"`
		NewMode int    `json:"new_mode"`
		OldSHA  string `json:"old_sha"`
		NewSHA  string `json:"new_sha"`
	}
	wantJSON(t, s.admin(t, "GET", "/a/changes/"+n+"/revisions/current/files/", nil), 200, &files)
	if f := files["run.sh"]; f.OldMode != 0o100644 || f.NewMode != 0o100755 || f.OldSHA != oldRun || f.NewSHA != oldRun {
		t.Errorf("run.sh: %+v", f)
	}
	if f := files["old.txt"]; f.Status != "D" || f.OldMode != 0o100644 || f.NewMode != 0 || f.OldSHA != oldOld || f.NewSHA != "" {
		t.Errorf("old.txt: %+v", f)
	}
	if f := files["new.txt"]; f.Status != "A" || f.OldMode != 0 || f.NewMode != 0o100644 || f.OldSHA != "" || f.NewSHA != newNew {
		t.Errorf("new.txt: %+v", f)
	}
}
