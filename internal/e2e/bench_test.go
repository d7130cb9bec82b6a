package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The benchmarks compare Tandem with the physical limit, plain git on the
// same repository through file://, measured in the same run. Each iteration
// times both, interleaved, so machine noise hits both sides alike; the
// reported figures are medians and their ratio.

const (
	benchCommits = 3000
	benchFiles   = 3000
)

// benchRepo generates a repository of benchCommits commits touching
// benchFiles files with git fast-import, pushes it into Tandem as project
// name and as each of the also projects, and returns the bare repository
// of name on disk.
func benchRepo(b *testing.B, s *server, name string, also ...string) string {
	b.Helper()
	src := filepath.Join(b.TempDir(), "src.git")
	s.mustGit(b, "", "", "init", "-q", "--bare", "-b", "main", src)
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = src
	cmd.Env = s.gitEnv("")
	in, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(in)
	for i := 1; i <= benchCommits; i++ {
		msg := fmt.Sprintf("commit %d", i)
		fmt.Fprintf(w, "commit refs/heads/main\ncommitter Bench <bench@example.com> %d +0000\ndata %d\n%s\n", 1700000000+i, len(msg), msg)
		if i == 1 {
			for f := 0; f < benchFiles; f++ {
				content := fmt.Sprintf("file %d\n%s", f, strings.Repeat("line of text for the benchmark repository\n", 20))
				fmt.Fprintf(w, "M 100644 inline dir%d/file%d.txt\ndata %d\n%s\n", f%50, f, len(content), content)
			}
			continue
		}
		f := (i * 7919) % benchFiles
		content := fmt.Sprintf("file %d revision %d\n%s", f, i, strings.Repeat("changed line of text\n", 20))
		fmt.Fprintf(w, "M 100644 inline dir%d/file%d.txt\ndata %d\n%s\n", f%50, f, len(content), content)
	}
	w.Flush()
	in.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatal(err)
	}
	s.mustGit(b, src, "", "repack", "-adq")
	for _, p := range append([]string{name}, also...) {
		expect(b, s.admin(b, "PUT", "/a/projects/"+p, map[string]any{}), 201, "create bench project")
		s.mustGit(b, src, s.adminKey, "push", "-q", s.sshURL("admin", p), "main:refs/heads/main")
	}
	return filepath.Join(s.site, "git", name+".git")
}

// diskCopy makes the physical limit's side of a push benchmark: a bare
// copy of project's repository with identical history, and a work tree
// cloned from it.
func diskCopy(b *testing.B, s *server, project string) (disk, work string) {
	b.Helper()
	disk = filepath.Join(b.TempDir(), "disk.git")
	s.mustGit(b, "", "", "clone", "-q", "--bare", "--no-local", "file://"+filepath.Join(s.site, "git", project+".git"), disk)
	work = filepath.Join(b.TempDir(), "work")
	s.mustGit(b, "", "", "clone", "-q", "--no-local", "file://"+disk, work)
	return disk, work
}

// httpBackend serves the repositories under root with git's own smart
// HTTP server, git http-backend run as CGI, anonymous reads and pushes
// allowed: the peer the HTTP figures are compared with. It returns the
// base URL.
func httpBackend(b *testing.B, root string) string {
	b.Helper()
	srv := httptest.NewServer(&cgi.Handler{
		Path: "/usr/lib/git-core/git-http-backend",
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true"},
		InheritEnv: []string{"PATH", "HOME"},
	})
	b.Cleanup(srv.Close)
	return srv.URL
}

// openSSH serves the repositories under root with stock OpenSSH: sshd
// runs git-upload-pack or git-receive-pack through the account's shell, as
// plain git hosting over SSH does, and lets in the administrator's key.
// It is the peer the SSH figures are compared with. It returns the URL
// prefix that a repository's absolute path completes.
func openSSH(b *testing.B, s *server) string {
	b.Helper()
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		sshd = "/usr/sbin/sshd"
	}
	if _, err := os.Stat(sshd); err != nil {
		b.Fatalf("the SSH peer needs OpenSSH's server (Debian package openssh-server): %v", err)
	}
	me, err := user.Current()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	hostKey := sshKey(b, dir, "host_key")
	pub, err := os.ReadFile(s.adminKey + ".pub")
	if err != nil {
		b.Fatal(err)
	}
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, pub, 0o600); err != nil {
		b.Fatal(err)
	}
	port := freePort(b)
	config := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(config, []byte(strings.Join([]string{
		"ListenAddress 127.0.0.1:" + port,
		"HostKey " + hostKey,
		"AuthorizedKeysFile " + authorized,
		"AllowUsers " + me.Username,
		"PermitRootLogin prohibit-password",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"PidFile none",
		// The key exchange Tandem's defaults agree on with this client,
		// so that the two servers differ in themselves alone.
		"KexAlgorithms ecdh-sha2-nistp256",
		// A git host's account runs no ~/.bashrc; bash skips it for a
		// nested shell.
		"SetEnv SHLVL=1",
		"",
	}, "\n")), 0o600); err != nil {
		b.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// sshd's privilege separation needs its empty directory.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			b.Fatal(err)
		}
	}
	cmd := exec.Command(sshd, "-D", "-e", "-f", config)
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		conn, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("sshd did not listen on %s: %v\n%s", port, err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Sprintf("ssh://%s@127.0.0.1:%s", me.Username, port)
}

// timeGit runs git and returns how long it took.
func timeGit(b *testing.B, s *server, dir, key string, args ...string) time.Duration {
	b.Helper()
	start := time.Now()
	s.mustGit(b, dir, key, args...)
	return time.Since(start)
}

// report prints medians, the ratio of each side to "disk", and of a
// transport to its floor, where measured.
func report(b *testing.B, samples map[string][]time.Duration) {
	med := map[string]float64{}
	for side, ds := range samples {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		med[side] = float64(ds[len(ds)/2].Microseconds()) / 1000
		b.ReportMetric(med[side], side+"-ms")
	}
	for side, m := range med {
		if side != "disk" && med["disk"] > 0 {
			b.ReportMetric(m/med["disk"], side+"/disk")
		}
		if f := med[side+"-floor"]; f > 0 {
			b.ReportMetric(m/f, side+"/floor")
		}
	}
}

// BenchmarkClone clones over each transport, and over each transport's
// floor (see floor_test.go).
func BenchmarkClone(b *testing.B) {
	s := startServer(b, "sqlite")
	disk := benchRepo(b, s, "clone")
	httpFloor, sshFloor := newHTTPFloor(b, s.web), newSSHFloor(b, s)
	floors := map[string]floor{"http-floor": httpFloor, "ssh-floor": sshFloor}
	urls := map[string]string{
		"disk":       "file://" + disk,
		"http":       s.httpURL("admin", adminPassword, "a/clone"),
		"ssh":        s.sshURL("admin", "clone"),
		"http-floor": httpFloor.gitURL("admin", adminPassword, "a/clone"),
		"ssh-floor":  sshFloor.gitURL("clone"),
	}
	tmp := b.TempDir()
	clone := func(url, dst string) time.Duration {
		defer os.RemoveAll(dst)
		return timeGit(b, s, "", s.adminKey, "clone", "-q", "--bare", "--no-local", url, dst)
	}
	samples := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for side, f := range floors {
			f.record()
			clone(urls[side], filepath.Join(tmp, "rehearsal"))
			f.replay()
		}
		b.StartTimer()
		for side, url := range urls {
			samples[side] = append(samples[side], clone(url, filepath.Join(tmp, fmt.Sprintf("%s-%d", side, i))))
		}
	}
	b.StopTimer()
	report(b, samples)
}

// BenchmarkFetchOneCommit fetches one new commit over each transport and
// each transport's floor, and through git http-backend and OpenSSH as the
// peer HTTP and SSH servers. It also times the start-up of each
// transport's client program, which every fetch over it pays.
func BenchmarkFetchOneCommit(b *testing.B) {
	s := startServer(b, "sqlite")
	disk := benchRepo(b, s, "fetch")
	httpFloor, sshFloor := newHTTPFloor(b, s.web), newSSHFloor(b, s)
	floors := map[string]floor{"http-floor": httpFloor, "ssh-floor": sshFloor}
	urls := map[string]string{
		"disk":       "file://" + disk,
		"http":       s.httpURL("admin", adminPassword, "a/fetch"),
		"ssh":        s.sshURL("admin", "fetch"),
		"http-floor": httpFloor.gitURL("admin", adminPassword, "a/fetch"),
		"ssh-floor":  sshFloor.gitURL("fetch"),
		"backend":    httpBackend(b, filepath.Dir(disk)) + "/fetch.git",
		"openssh":    openSSH(b, s) + disk,
	}
	httpFloor.record()
	sshFloor.record()
	clients := map[string]string{}
	for side, url := range urls {
		clients[side] = filepath.Join(b.TempDir(), side)
		s.mustGit(b, "", s.adminKey, "clone", "-q", "--bare", "--no-local", url, clients[side])
	}
	work := filepath.Join(b.TempDir(), "work")
	s.mustGit(b, "", "", "clone", "-q", "--no-local", "file://"+disk, work)
	fetch := func(side, dir string) time.Duration {
		return timeGit(b, s, dir, s.adminKey, "fetch", "-q", urls[side], "+refs/heads/main:refs/heads/main")
	}
	// The client programs of the transports start before a byte is sent:
	// git's HTTP helper, with libcurl and its libraries, and ssh. Their
	// start-up alone is part of every fetch over them, from any server.
	execPath := strings.TrimSpace(s.mustGit(b, "", "", "--exec-path"))
	starts := map[string][]string{
		"http-client-start": {filepath.Join(execPath, "git-remote-http"), "origin", "http://127.0.0.1:1/"},
		"ssh-client-start":  {"ssh", "-V"},
	}
	start := func(argv []string) time.Duration {
		t0 := time.Now()
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = s.gitEnv("")
		cmd.Stdin = strings.NewReader("\n") // a remote helper's end of commands
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", argv[0], err, out)
		}
		return time.Since(t0)
	}
	rehearsal := filepath.Join(b.TempDir(), "rehearsal")
	samples := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s.commit(b, work, "bench.txt", fmt.Sprintf("fetch %d\n", i))
		s.mustGit(b, work, s.adminKey, "push", "-q", s.sshURL("admin", "fetch"), "HEAD:refs/heads/main")
		for side, f := range floors {
			// The same fetch into a copy of the client sends the same
			// requests.
			f.record()
			if out, err := exec.Command("cp", "-a", clients[side], rehearsal).CombinedOutput(); err != nil {
				b.Fatalf("copy the client: %v\n%s", err, out)
			}
			fetch(side, rehearsal)
			os.RemoveAll(rehearsal)
			f.replay()
		}
		b.StartTimer()
		for side := range urls {
			samples[side] = append(samples[side], fetch(side, clients[side]))
		}
		b.StopTimer()
		for side, argv := range starts {
			samples[side] = append(samples[side], start(argv))
		}
	}
	b.StopTimer()
	report(b, samples)
}

// BenchmarkPushOneCommit pushes one new commit over each transport, and
// through git http-backend and OpenSSH (each to a copy of its own) as the
// peer HTTP and SSH servers.
func BenchmarkPushOneCommit(b *testing.B) {
	s := startServer(b, "sqlite")
	// One project per transport: each push must carry the new commit.
	benchRepo(b, s, "push-http", "push-ssh")
	disk, work := diskCopy(b, s, "push-http")
	peer, _ := diskCopy(b, s, "push-http")
	sshPeer, _ := diskCopy(b, s, "push-http")
	urls := map[string]string{
		"disk":    "file://" + disk,
		"http":    s.httpURL("admin", adminPassword, "a/push-http"),
		"ssh":     s.sshURL("admin", "push-ssh"),
		"backend": httpBackend(b, filepath.Dir(peer)) + "/" + filepath.Base(peer),
		"openssh": openSSH(b, s) + sshPeer,
	}
	samples := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s.commit(b, work, "bench.txt", fmt.Sprintf("push %d\n", i))
		b.StartTimer()
		for side, url := range urls {
			samples[side] = append(samples[side], timeGit(b, s, work, s.adminKey, "push", "-q", url, "HEAD:refs/heads/main"))
		}
	}
	b.StopTimer()
	report(b, samples)
}

// BenchmarkIdleMemory reports the daemon's resident memory when idle after
// start-up and after serving the other scenarios' kind of traffic once.
func BenchmarkIdleMemory(b *testing.B) {
	s := startServer(b, "sqlite")
	time.Sleep(500 * time.Millisecond)
	b.ReportMetric(rssMiB(b, s.cmd.Process.Pid), "idle-MiB")
	benchRepo(b, s, "mem")
	dst := filepath.Join(b.TempDir(), "c")
	for i := 0; i < b.N; i++ {
		os.RemoveAll(dst)
		s.mustGit(b, "", "", "clone", "-q", "--bare", s.httpURL("admin", adminPassword, "a/mem"), dst)
	}
	time.Sleep(500 * time.Millisecond)
	b.ReportMetric(rssMiB(b, s.cmd.Process.Pid), "after-clones-MiB")
}

func rssMiB(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// BenchmarkPushForReview compares a push for review of one new commit with
// a raw push of the same commit to a bare repository on disk.
func BenchmarkPushForReview(b *testing.B) {
	s := startServer(b, "sqlite")
	benchRepo(b, s, "review")
	disk, work := diskCopy(b, s, "review")
	samples := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s.mustGit(b, work, "", "reset", "-q", "--hard", "origin/main")
		commitWithID(b, s, work, "review.txt", fmt.Sprintf("Review %d", i), fmt.Sprintf("I%040x", 0xbe000+i))
		b.StartTimer()
		samples["disk"] = append(samples["disk"], timeGit(b, s, work, "", "push", "-q", "file://"+disk, "HEAD:refs/heads/review"+strconv.Itoa(i)))
		samples["http"] = append(samples["http"], timeGit(b, s, work, "", "push", "-q", s.httpURL("admin", adminPassword, "a/review"), "HEAD:refs/for/main"))
		b.StopTimer()
		// The same commit cannot be uploaded twice: amend for the SSH side.
		commitWithID(b, s, work, "review.txt", fmt.Sprintf("Review %d over SSH", i), fmt.Sprintf("I%040x", 0xcf000+i))
		b.StartTimer()
		samples["ssh"] = append(samples["ssh"], timeGit(b, s, work, s.adminKey, "push", "-q", s.sshURL("admin", "review"), "HEAD:refs/for/main"))
	}
	b.StopTimer()
	report(b, samples)
}

// BenchmarkChangePage fetches pages of 50 of 1,000 open changes with
// o=LABELS&o=DETAILED_ACCOUNTS as one authenticated client, reporting
// requests per second and the p50/p99 latency: compact JSON as pygerrit2
// asks for it (Accept: application/json), and the pretty-printed JSON
// clients that send no Accept header get.
func BenchmarkChangePage(b *testing.B) {
	s := startServer(b, "sqlite")
	expect(b, s.admin(b, "PUT", "/a/projects/page", map[string]any{"create_empty_commit": true}), 201, "create project")
	work := filepath.Join(b.TempDir(), "work")
	s.mustGit(b, "", "", "clone", "-q", s.httpURL("", "", "page"), work)
	for batch := 0; batch < 2; batch++ {
		for i := 0; i < 500; i++ {
			n := batch*500 + i
			s.mustGit(b, work, "", "commit", "-q", "--allow-empty", "-m", fmt.Sprintf("Change %d\n\nChange-Id: I%040x", n, 0xa0000+n))
		}
		s.mustGit(b, work, "", "push", "-q", s.httpURL("admin", adminPassword, "a/page"), "HEAD:refs/for/main")
	}
	url := s.web + "a/changes/?q=status:open+project:page&n=50&o=LABELS&o=DETAILED_ACCOUNTS"
	for _, tc := range []struct{ name, accept string }{{"compact", "application/json"}, {"pretty", ""}} {
		b.Run(tc.name, func(b *testing.B) {
			get := func() {
				req, _ := http.NewRequest("GET", url, nil)
				req.SetBasicAuth("admin", adminPassword)
				if tc.accept != "" {
					req.Header.Set("Accept", tc.accept)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			get()
			var lat []time.Duration
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				get()
				lat = append(lat, time.Since(t0))
			}
			elapsed := time.Since(start)
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkSubmitFastForward times a REST submit of an approved change
// that fast-forwards its branch against the raw git steps such a submit
// needs on a bare repository: a merge-tree of the change onto the tip and
// a compare-and-swap update-ref.
func BenchmarkSubmitFastForward(b *testing.B) {
	s := startServer(b, "sqlite")
	benchRepo(b, s, "sub")
	disk, work := diskCopy(b, s, "sub")
	samples := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tip := strings.TrimSpace(s.mustGit(b, work, "", "rev-parse", "HEAD"))
		commit := commitWithID(b, s, work, "submit.txt", fmt.Sprintf("Submit %d", i), fmt.Sprintf("I%040x", 0x5b000+i))
		out := s.mustGit(b, work, "", "push", s.httpURL("admin", adminPassword, "a/sub"), "HEAD:refs/for/main")
		n := pushedChange(b, "sub", out)
		expect(b, s.admin(b, "POST", "/a/changes/"+n+"/revisions/current/review", map[string]any{"labels": map[string]int{"Code-Review": 2}}), 200, "approve")
		s.mustGit(b, work, "", "push", "-q", "file://"+disk, "HEAD:refs/heads/staging")
		b.StartTimer()

		t0 := time.Now()
		s.mustGit(b, disk, "", "merge-tree", "--write-tree", tip, commit)
		s.mustGit(b, disk, "", "update-ref", "refs/heads/main", commit, tip)
		samples["disk"] = append(samples["disk"], time.Since(t0))

		t0 = time.Now()
		r := s.admin(b, "POST", "/a/changes/"+n+"/submit", nil)
		samples["rest"] = append(samples["rest"], time.Since(t0))
		if r.status != 200 {
			b.Fatalf("submit: %d %s", r.status, r.body)
		}
	}
	b.StopTimer()
	report(b, samples)
}
