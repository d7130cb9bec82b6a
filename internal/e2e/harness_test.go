// Package e2e drives the built tandem binary with real clients: git over
// HTTP and SSH, OpenSSH, and plain HTTP requests, against SQLite and a
// throwaway PostgreSQL.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tandem/internal/db/dbtest"
)

var tandemBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tandem-e2e-bin")
	if err != nil {
		panic(err)
	}
	tandemBin = filepath.Join(dir, "tandem")
	// Built the way the Makefile builds it: static, without cgo.
	build := exec.Command("go", "build", "-o", tandemBin, "tandem/cmd/tandem")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build tandem:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	dbtest.Main(m)
}

// server is one running tandem daemon.
type server struct {
	t        testing.TB
	site     string
	web      string // http://127.0.0.1:PORT/
	sshPort  string
	adminKey string // private key file of the administrator
	home     string // HOME for client commands
	cmd      *exec.Cmd
	log      *bytes.Buffer
}

const adminPassword = "secret-admin-pw"

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// sshKey makes an ed25519 key pair and returns the private key's path.
func sshKey(t testing.TB, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	return path
}

// startServer initializes a site with the given database settings and runs
// the daemon until the test ends.
func startServer(t testing.TB, dbType string) *server {
	t.Helper()
	base := t.TempDir()
	s := &server{t: t, site: filepath.Join(base, "site"), home: filepath.Join(base, "home"), log: &bytes.Buffer{}}
	os.MkdirAll(s.home, 0o755)
	httpPort := freePort(t)
	s.sshPort = freePort(t)
	s.web = "http://127.0.0.1:" + httpPort + "/"
	dbConf := "[database]\n\ttype = sqlite\n"
	if dbType == "postgresql" {
		dbConf = fmt.Sprintf("[database]\n\ttype = postgresql\n\turl = %s\n", dbtest.PostgresURL(t))
	}
	conf := fmt.Sprintf("[gerrit]\n\tbasePath = git\n\tcanonicalWebUrl = %s\n[httpd]\n\tlistenUrl = http://127.0.0.1:%s/\n[sshd]\n\tlistenAddress = 127.0.0.1:%s\n%s",
		s.web, httpPort, s.sshPort, dbConf)
	os.MkdirAll(filepath.Join(s.site, "etc"), 0o755)
	if err := os.WriteFile(filepath.Join(s.site, "etc", "tandem.config"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s.adminKey = sshKey(t, base, "admin_key")
	out, err := exec.Command(tandemBin, "init", "-d", s.site, "--batch", "--admin-user", "admin",
		"--admin-password", adminPassword, "--admin-ssh-key", s.adminKey+".pub").CombinedOutput()
	if err != nil {
		t.Fatalf("tandem init: %v\n%s", err, out)
	}
	t.Cleanup(s.stop)
	s.start(t)
	return s
}

// start runs the daemon on the site and waits until it is healthy.
func (s *server) start(t testing.TB) {
	t.Helper()
	s.cmd = exec.Command(tandemBin, "daemon", "-d", s.site)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.web + "config/server/healthcheck~status")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon did not become healthy: %v\n%s", err, s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil || s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-done
		s.t.Errorf("daemon did not stop on SIGTERM")
	}
	if s.t.Failed() {
		s.t.Logf("daemon log:\n%s", s.log.String())
	}
}

// response is a REST answer.
type response struct {
	status int
	header http.Header
	body   string
}

// json decodes a Gerrit JSON body after checking the XSSI prefix.
func (r response) json(t testing.TB, v any) {
	t.Helper()
	if !strings.HasPrefix(r.body, ")]}'\n") {
		t.Fatalf("body lacks the )]}' prefix: %q", r.body)
	}
	if err := json.Unmarshal([]byte(r.body[5:]), v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// call sends a REST request; user "" means anonymous. A string body is sent
// as JSON unless contentType says otherwise.
func (s *server) call(t testing.TB, method, path, user, password string, body any, contentType string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
		if contentType == "" {
			contentType = "application/json"
		}
	}
	req, err := http.NewRequest(method, s.web+strings.TrimPrefix(path, "/"), rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

func (s *server) admin(t testing.TB, method, path string, body any) response {
	t.Helper()
	return s.call(t, method, path, "admin", adminPassword, body, "")
}

// expect fails unless the response has the wanted status.
func expect(t testing.TB, r response, status int, what string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %q", what, r.status, status, r.body)
	}
}

// gitEnv is an isolated environment for client git and ssh.
func (s *server) gitEnv(key string) []string {
	sshCmd := "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o BatchMode=yes -o LogLevel=ERROR"
	if key != "" {
		sshCmd += " -i " + key
	}
	return []string{
		"HOME=" + s.home, "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_SSH_COMMAND=" + sshCmd, "LANG=C",
		"GIT_AUTHOR_NAME=Administrator", "GIT_AUTHOR_EMAIL=admin@example.com",
		"GIT_COMMITTER_NAME=Administrator", "GIT_COMMITTER_EMAIL=admin@example.com",
	}
}

// git runs git in dir and returns combined output and the error.
func (s *server) git(t testing.TB, dir, key string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = s.gitEnv(key)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustGit runs git and fails the test on error.
func (s *server) mustGit(t testing.TB, dir, key string, args ...string) string {
	t.Helper()
	out, err := s.git(t, dir, key, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// ssh runs a command over SSH as user with key and returns stdout, stderr
// and the exit status.
func (s *server) ssh(t testing.TB, user, key, stdin string, args ...string) (string, string, int) {
	t.Helper()
	full := append([]string{"-p", s.sshPort, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-i", key, user + "@127.0.0.1"}, args...)
	cmd := exec.Command("ssh", full...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

// httpURL is the git URL of a project with credentials embedded.
func (s *server) httpURL(user, password, project string) string {
	if user == "" {
		return s.web + project
	}
	return strings.Replace(s.web, "http://", "http://"+user+":"+password+"@", 1) + project
}

func (s *server) sshURL(user, project string) string {
	return "ssh://" + user + "@127.0.0.1:" + s.sshPort + "/" + project
}

// commit adds a commit changing file in dir.
func (s *server) commit(t testing.TB, dir, file, content string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	s.mustGit(t, dir, "", "add", ".")
	s.mustGit(t, dir, "", "commit", "-q", "-m", "change "+file)
	return strings.TrimSpace(s.mustGit(t, dir, "", "rev-parse", "HEAD"))
}

// createUser makes a user with an HTTP password and an SSH key, returning
// the private key path.
func (s *server) createUser(t testing.TB, name string) string {
	t.Helper()
	key := sshKey(t, t.TempDir(), name+"_key")
	pub, _ := os.ReadFile(key + ".pub")
	r := s.admin(t, "PUT", "/a/accounts/"+name, map[string]any{
		"name": strings.ToUpper(name[:1]) + name[1:], "email": name + "@example.com",
		"http_password": name + "-pw", "ssh_key": strings.TrimSpace(string(pub)),
	})
	expect(t, r, 201, "create account "+name)
	return key
}
