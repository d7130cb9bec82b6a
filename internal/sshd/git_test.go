package sshd

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// gitService runs the real git service named by the command on the
// repository under root, the way the git bridge streams it: the channel is
// git's stdin and stdout.
func gitService(root string) HandlerFunc {
	return func(ctx context.Context, s *Session) error {
		svc := strings.TrimPrefix(s.Command, "git-")
		dir := filepath.Join(root, filepath.Base(s.Args[0]))
		cmd := exec.CommandContext(ctx, "git", svc, "--", dir)
		cmd.Env = append(os.Environ(), "GIT_PROTOCOL="+s.Env["GIT_PROTOCOL"])
		cmd.Stdin, cmd.Stdout, cmd.Stderr = s.Stdin, s.Stdout, s.Stderr
		return cmd.Run()
	}
}

func git(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com",
		"GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.com")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestGitOverSSH(t *testing.T) {
	k := newKeys(t)
	root := t.TempDir()
	mux := NewMux()
	var (
		mu     sync.Mutex
		protos []string
	)
	mux.Handle("git-upload-pack", func(ctx context.Context, s *Session) error {
		mu.Lock()
		protos = append(protos, s.Env["GIT_PROTOCOL"])
		mu.Unlock()
		return gitService(root)(ctx, s)
	})
	mux.Handle("git-receive-pack", gitService(root))
	s := startServer(t, k, mux, nil)

	bare := filepath.Join(root, "p.git")
	git(t, root, nil, "init", "-q", "--bare", "-b", "main", bare)
	work := t.TempDir()
	git(t, work, nil, "init", "-q", "-b", "main", "seed")
	seed := filepath.Join(work, "seed")
	// Enough incompressible data that the pack spans many SSH windows.
	big := make([]byte, 3<<20)
	(&pattern{}).Read(big)
	if err := os.WriteFile(filepath.Join(seed, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, seed, nil, "add", ".")
	git(t, seed, nil, "commit", "-q", "-m", "first")
	want := git(t, seed, nil, "rev-parse", "HEAD")

	sshCmd := "GIT_SSH_COMMAND=ssh " + strings.Join(sshArgs(k.alice), " ")
	url := "ssh://alice@127.0.0.1:" + port(s) + "/p.git"
	git(t, seed, []string{sshCmd}, "push", "-q", url, "main")

	for _, tc := range []struct{ proto, wantEnv string }{{"0", ""}, {"2", "version=2"}} {
		proto := tc.proto
		t.Run("clone protocol v"+proto, func(t *testing.T) {
			mu.Lock()
			protos = nil
			mu.Unlock()
			dst := filepath.Join(t.TempDir(), "c")
			git(t, work, []string{sshCmd}, "-c", "protocol.version="+proto, "clone", "-q", url, dst)
			if got := git(t, dst, nil, "rev-parse", "HEAD"); got != want {
				t.Errorf("cloned HEAD %s, want %s", got, want)
			}
			if got, err := os.ReadFile(filepath.Join(dst, "big.bin")); err != nil || string(got) != string(big) {
				t.Errorf("cloned big.bin differs (%d bytes, %v)", len(got), err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(protos) != 1 || protos[0] != tc.wantEnv {
				t.Errorf("upload-pack saw GIT_PROTOCOL %q, want [%q]", protos, tc.wantEnv)
			}
		})
	}
}
