package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"tandem/internal/change"
	"tandem/internal/change/hook"
)

// TestCommitMsgHook downloads the commit-msg hook the ways clients do —
// curl from /tools/hooks/commit-msg (as Gerrit's hint says and git-review
// does over HTTP) and `scp -O` (git-review -s over SSH) — and commits with
// each copy: the commit must carry a Change-Id the server accepts.
func TestCommitMsgHook(t *testing.T) {
	s := startServer(t, "sqlite")
	dir := t.TempDir()

	curl := func(t *testing.T, path, dst string) string {
		t.Helper()
		headers := dst + ".headers"
		out, err := exec.Command("curl", "-sS", "-f", "-D", headers, "-o", dst, s.web+path).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %s: %v\n%s", path, err, out)
		}
		h, _ := os.ReadFile(headers)
		return strings.ToLower(string(h))
	}
	scp := func(t *testing.T, dst string, flags ...string) result {
		t.Helper()
		args := append(append([]string{}, flags...), "-P", s.sshPort, "-o", "StrictHostKeyChecking=no",
			"-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
			"-o", "LogLevel=ERROR", "-i", s.adminKey, "admin@127.0.0.1:hooks/commit-msg", dst)
		cmd := exec.Command("scp", args...)
		cmd.Env = s.gitEnv("")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return result{stdout.String(), stderr.String(), code}
	}

	tests := []struct {
		desc  string
		fetch func(t *testing.T, dst string)
		mode  os.FileMode // exact mode wanted, 0 for "executable by its owner"
	}{
		{desc: "curl /tools/hooks/commit-msg", fetch: func(t *testing.T, dst string) {
			h := curl(t, "tools/hooks/commit-msg", dst)
			for _, want := range []string{"content-type: application/octet-stream", "cache-control: no-cache", "pragma: no-cache"} {
				if !strings.Contains(h, want) {
					t.Errorf("headers lack %q:\n%s", want, h)
				}
			}
			os.Chmod(dst, 0o755)
		}},
		{desc: "curl /a/tools/hooks/commit-msg without credentials", fetch: func(t *testing.T, dst string) {
			curl(t, "a/tools/hooks/commit-msg", dst)
			os.Chmod(dst, 0o755)
		}},
		{desc: "scp -O", fetch: func(t *testing.T, dst string) {
			ok(t, "scp -O", scp(t, dst, "-O"))
		}},
		{desc: "scp -O -p keeps the mode", mode: 0o755, fetch: func(t *testing.T, dst string) {
			ok(t, "scp -O -p", scp(t, dst, "-O", "-p"))
		}},
	}
	for i, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			repo := filepath.Join(dir, "repo"+string(rune('a'+i)))
			s.mustGit(t, dir, "", "init", "-q", "-b", "main", repo)
			dst := filepath.Join(repo, ".git", "hooks", "commit-msg")
			tc.fetch(t, dst)
			data, err := os.ReadFile(dst)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, hook.CommitMsg()) {
				t.Fatalf("downloaded %d bytes that differ from the hook (%d bytes)", len(data), len(hook.CommitMsg()))
			}
			fi, err := os.Stat(dst)
			if err != nil {
				t.Fatal(err)
			}
			if tc.mode != 0 && fi.Mode().Perm() != tc.mode || fi.Mode().Perm()&0o100 == 0 {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), tc.mode)
			}

			s.commit(t, repo, "a.txt", "hello\n")
			msg := s.mustGit(t, repo, "", "log", "-1", "--format=%B")
			id, err := change.CheckChangeID(msg, change.ChangeIDRules{Required: true, WebURL: s.web})
			if err != nil || !change.ValidChangeID(id) {
				t.Fatalf("message %q: Change-Id %q, %v; want a valid one", msg, id, err)
			}
			s.mustGit(t, repo, "", "commit", "-q", "--amend", "--no-edit")
			msg = s.mustGit(t, repo, "", "log", "-1", "--format=%B")
			if again, err := change.CheckChangeID(msg, change.ChangeIDRules{Required: true}); err != nil || again != id {
				t.Errorf("after amend: Change-Id %q, %v; want %q", again, err, id)
			}
		})
	}

	t.Run("scp of another file", func(t *testing.T) {
		// The sink's "ready" byte first, as scp sends it.
		r := s.run(t, "admin", s.adminKey, "\x00", "scp -f hooks/pre-commit")
		if r.code != 1 || r.out != "\x02scp: hooks/pre-commit: No such file or directory\n" {
			t.Errorf("scp -f hooks/pre-commit: status %d, stdout %q, stderr %q", r.code, r.out, r.err)
		}
	})
}
