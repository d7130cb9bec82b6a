package service_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"tandem/internal/git"
	"tandem/internal/git/gittest"
	"tandem/internal/git/pktline"
	"tandem/internal/git/repo"
	"tandem/internal/git/service"
)

// envFakeSSH makes the test binary act as ssh: git runs it through
// GIT_SSH_COMMAND and it serves the command with service.Serve, as the
// SSH server does. envHide lists the ref prefixes it hides.
const (
	envFakeSSH = "SERVICE_TEST_FAKE_SSH"
	envHide    = "SERVICE_TEST_HIDE"
)

func TestMain(m *testing.M) {
	if os.Getenv(envFakeSSH) != "" {
		os.Exit(fakeSSH())
	}
	gittest.Main(m)
}

// fakeSSH serves "git-upload-pack '/path'" (the last argument, as OpenSSH
// passes it) over standard input and output.
func fakeSSH() int {
	cmdline := os.Args[len(os.Args)-1]
	name, path, ok := strings.Cut(cmdline, " ")
	if !ok {
		fmt.Fprintf(os.Stderr, "fake ssh: bad command %q\n", cmdline)
		return 2
	}
	path = strings.Trim(path, "'")
	ctx := context.Background()
	r, err := git.NewRunner(ctx, git.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	store := repo.NewStore(filepath.Dir(path), r)
	defer store.Close()
	rp, err := store.Open(strings.TrimSuffix(filepath.Base(path), ".git"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	err = service.Serve(ctx, r, service.Request{
		Service:  strings.TrimPrefix(name, "git-"),
		Repo:     rp,
		Protocol: os.Getenv("GIT_PROTOCOL"),
		Visible:  hider(strings.Split(os.Getenv(envHide), ",")),
		Stdin:    os.Stdin,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
	})
	if err != nil {
		// The test reads this from git's output: Serve must not fail on
		// a refused want.
		fmt.Fprintf(os.Stderr, "fake ssh: serve failed: %v\n", err)
		return 1
	}
	return 0
}

// hider returns a Visible predicate hiding refs under the prefixes.
func hider(prefixes []string) func(string) bool {
	return func(ref string) bool {
		for _, p := range prefixes {
			if p != "" && (ref == p || strings.HasPrefix(ref, p+"/")) {
				return false
			}
		}
		return true
	}
}

// fixture is a bare repository with:
//
//	refs/heads/main     c0 <- c1 <- c2
//	refs/heads/secret   c2 <- s1 (adds secret.txt)
//	refs/meta/config    m1 (no parent)
//	refs/tags/v1        c1 (lightweight), refs/tags/v1a -> c1 (annotated)
//	refs/tags/s         s1 (lightweight), refs/tags/sa -> s1 (annotated)
type fixture struct {
	runner     *git.Runner
	rp         *repo.Repo
	dir        string
	c0, c1, c2 string
	s1, m1     string
	v1a, sa    string // annotated tag objects
	secretBlob string
	publicBlob string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := gittest.InitBare(t)
	f := &fixture{runner: gittest.Runner(t), dir: dir}
	f.c0 = gittest.WriteCommit(t, dir, "", "zero", map[string]string{"a.txt": "public\n"})
	f.c1 = gittest.WriteCommit(t, dir, "", "one", map[string]string{"a.txt": "public\n", "z.txt": "z\n"}, f.c0)
	f.c2 = gittest.WriteCommit(t, dir, "refs/heads/main", "two", map[string]string{"a.txt": "public\n", "b.txt": "more\n"}, f.c1)
	f.s1 = gittest.WriteCommit(t, dir, "refs/heads/secret", "secret",
		map[string]string{"a.txt": "public\n", "b.txt": "more\n", "secret.txt": "the secret\n"}, f.c2)
	f.m1 = gittest.WriteCommit(t, dir, "refs/meta/config", "config", map[string]string{"project.config": "[project]\n"})
	gittest.Exec(t, dir, "tag", "v1", f.c1)
	gittest.Exec(t, dir, "tag", "-a", "-m", "annotated", "v1a", f.c1)
	gittest.Exec(t, dir, "tag", "s", f.s1)
	gittest.Exec(t, dir, "tag", "-a", "-m", "annotated", "sa", f.s1)
	f.v1a = gittest.Exec(t, dir, "rev-parse", "refs/tags/v1a")
	f.sa = gittest.Exec(t, dir, "rev-parse", "refs/tags/sa")
	f.secretBlob = gittest.Exec(t, dir, "rev-parse", f.s1+":secret.txt")
	f.publicBlob = gittest.Exec(t, dir, "rev-parse", f.c1+":a.txt")
	store := repo.NewStore(filepath.Dir(dir), f.runner)
	t.Cleanup(func() { store.Close() })
	rp, err := store.Open("repo")
	if err != nil {
		t.Fatal(err)
	}
	f.rp = rp
	return f
}

// run runs git with the isolated test environment plus env, returning its
// combined output and error.
func run(t testing.TB, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(gittest.Env(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// sshEnv is the client environment that reaches the fixture through the
// fake ssh, hiding the given prefixes.
func sshEnv(t testing.TB, hide ...string) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{
		"GIT_SSH_COMMAND=" + exe,
		envFakeSSH + "=1",
		envHide + "=" + strings.Join(hide, ","),
		// The binary's name is not "ssh": say which options it takes.
		"GIT_CONFIG_COUNT=3",
		"GIT_CONFIG_KEY_2=ssh.variant",
		"GIT_CONFIG_VALUE_2=ssh",
	}
}

func (f *fixture) sshURL() string { return "ssh://git.example" + f.dir }

// httpURL serves the fixture over smart HTTP the way githttp does, hiding
// refs visible rejects, and records every error Serve returns.
func (f *fixture) httpURL(t *testing.T, visible func(string) bool, hideAlways ...string) (string, func() []error) {
	t.Helper()
	var mu sync.Mutex
	var errs []error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := service.Request{
			Service:    service.UploadPack,
			Repo:       f.rp,
			Protocol:   r.Header.Get("Git-Protocol"),
			Stateless:  true,
			Visible:    visible,
			HideAlways: hideAlways,
			Stdout:     w,
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/info/refs"):
			req.Advertise = true
			w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
			if !service.V2(req.Protocol) {
				pktline.WriteString(w, "# service=git-upload-pack\n")
				pktline.WriteFlush(w)
			}
		case strings.HasSuffix(r.URL.Path, "/git-upload-pack"):
			req.Stdin = r.Body
			w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
		default:
			http.NotFound(w, r)
			return
		}
		if err := service.Serve(r.Context(), f.runner, req); err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/repo.git", func() []error {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(errs)
	}
}

func TestHiddenPrefixes(t *testing.T) {
	tests := []struct {
		desc   string
		refs   []string
		hidden []string // refs the caller may not read
		want   []string
	}{
		{"nothing hidden", []string{"refs/heads/main", "refs/meta/config"}, nil, nil},
		{"everything hidden", []string{"refs/heads/main", "refs/meta/config"},
			[]string{"refs/heads/main", "refs/meta/config"}, []string{"refs"}},
		{"a whole namespace", []string{"refs/heads/main", "refs/meta/config", "refs/meta/version"},
			[]string{"refs/meta/config", "refs/meta/version"}, []string{"refs/meta"}},
		{"part of a namespace", []string{"refs/heads/main", "refs/meta/config", "refs/meta/version"},
			[]string{"refs/meta/config"}, []string{"refs/meta/config"}},
		{"one branch", []string{"refs/heads/main", "refs/heads/secret"},
			[]string{"refs/heads/secret"}, []string{"refs/heads/secret"}},
		{"nested directories", []string{"refs/heads/a/b", "refs/heads/a/c", "refs/heads/d/e"},
			[]string{"refs/heads/a/b", "refs/heads/d/e"}, []string{"refs/heads/a/b", "refs/heads/d"}},
		{"patch sets of one change",
			[]string{"refs/changes/01/1/1", "refs/changes/02/2/1", "refs/changes/02/2/meta", "refs/heads/main"},
			[]string{"refs/changes/02/2/1", "refs/changes/02/2/meta"}, []string{"refs/changes/02"}},
		// hideRefs matches whole components: refs/heads/foo does not hide
		// refs/heads/foobar.
		{"name prefix of a visible ref", []string{"refs/heads/foo", "refs/heads/foobar"},
			[]string{"refs/heads/foo"}, []string{"refs/heads/foo"}},
		{"no refs", nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var refs []repo.Ref
			for _, r := range tc.refs {
				refs = append(refs, repo.Ref{Name: r, OID: strings.Repeat("1", 40)})
			}
			got := service.HiddenPrefixes(refs, func(ref string) bool { return !slices.Contains(tc.hidden, ref) })
			if !slices.Equal(got, tc.want) {
				t.Errorf("HiddenPrefixes = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestV2(t *testing.T) {
	tests := []struct {
		desc     string
		protocol string
		want     bool
	}{
		{"empty", "", false},
		{"version 2", "version=2", true},
		{"version 1", "version=1", false},
		{"version 2 with another key", "version=2:object-format=sha1", true},
		{"version 2 after another key", "object-format=sha1:version=2", true},
		{"not version 2", "version=20", false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := service.V2(tc.protocol); got != tc.want {
				t.Errorf("V2(%q) = %v, want %v", tc.protocol, got, tc.want)
			}
		})
	}
}

func TestServeRefusesBadRequests(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		desc     string
		service  string
		protocol string
		want     error
	}{
		{"newline in protocol", service.UploadPack, "version=2\nx", service.ErrBadProtocol},
		{"space in protocol", service.UploadPack, "version=2 x", service.ErrBadProtocol},
		{"shell character in protocol", service.UploadPack, "version=2;true", service.ErrBadProtocol},
		{"overlong protocol", service.UploadPack, strings.Repeat("a", 129), service.ErrBadProtocol},
		{"unknown service", "upload-archive", "", service.ErrBadService},
		{"empty service", "", "", service.ErrBadService},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var out bytes.Buffer
			err := service.Serve(context.Background(), f.runner, service.Request{
				Service: tc.service, Repo: f.rp, Protocol: tc.protocol, Advertise: true, Stateless: true, Stdout: &out,
			})
			if !errors.Is(err, tc.want) {
				t.Errorf("Serve = %v, want %v", err, tc.want)
			}
			if out.Len() != 0 {
				t.Errorf("Serve wrote %q", out.String())
			}
		})
	}
}

// lsRemote lists the refs a client sees through url.
func lsRemote(t *testing.T, env []string, protocol, url string) []string {
	t.Helper()
	out, err := run(t, "", env, "-c", "protocol.version="+protocol, "ls-remote", url)
	if err != nil {
		t.Fatalf("ls-remote v%s: %v\n%s", protocol, err, out)
	}
	var refs []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if _, ref, ok := strings.Cut(line, "\t"); ok && ref != "HEAD" {
			refs = append(refs, ref)
		}
	}
	return refs
}

func TestAdvertisementHidesRefs(t *testing.T) {
	f := newFixture(t)
	all := []string{"refs/heads/main", "refs/heads/secret", "refs/meta/config",
		"refs/tags/s", "refs/tags/sa", "refs/tags/sa^{}", "refs/tags/v1", "refs/tags/v1a", "refs/tags/v1a^{}"}
	tests := []struct {
		desc string
		hide []string
		want []string
	}{
		{"nothing hidden", nil, all},
		{"branch and config hidden", []string{"refs/heads/secret", "refs/meta"},
			[]string{"refs/heads/main", "refs/tags/s", "refs/tags/sa", "refs/tags/sa^{}", "refs/tags/v1", "refs/tags/v1a", "refs/tags/v1a^{}"}},
		// Gerrit's rule: a tag the caller may not read is visible when a
		// visible branch contains its commit.
		{"tags hidden by the rules", []string{"refs/heads/secret", "refs/meta", "refs/tags"},
			[]string{"refs/heads/main", "refs/tags/v1", "refs/tags/v1a", "refs/tags/v1a^{}"}},
		{"tags of a visible branch", []string{"refs/meta", "refs/tags"},
			[]string{"refs/heads/main", "refs/heads/secret", "refs/tags/s", "refs/tags/sa", "refs/tags/sa^{}",
				"refs/tags/v1", "refs/tags/v1a", "refs/tags/v1a^{}"}},
		{"no visible branch", []string{"refs/heads", "refs/tags"}, []string{"refs/meta/config"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			url, errs := f.httpURL(t, hider(tc.hide))
			for _, proto := range []string{"0", "2"} {
				if got := lsRemote(t, nil, proto, url); !slices.Equal(got, tc.want) {
					t.Errorf("HTTP v%s refs = %q, want %q", proto, got, tc.want)
				}
				if got := lsRemote(t, sshEnv(t, tc.hide...), proto, f.sshURL()); !slices.Equal(got, tc.want) {
					t.Errorf("SSH v%s refs = %q, want %q", proto, got, tc.want)
				}
			}
			if e := errs(); len(e) > 0 {
				t.Errorf("Serve failed: %v", e)
			}
		})
	}
}

func TestFetchWants(t *testing.T) {
	f := newFixture(t)
	hide := []string{"refs/heads/secret", "refs/meta", "refs/tags"}
	tests := []struct {
		desc   string
		want   string // object fetched by id
		refuse bool
		v2only bool // v0 allows only advertised tips (git's default)
	}{
		{"visible tip", f.c2, false, false},
		{"commit of a tag visible through its branch", f.c1, false, false},
		{"visible annotated tag", f.v1a, false, false},
		{"ancestor of a visible tip", f.c0, false, true},
		{"tip of a hidden branch", f.s1, true, false},
		{"hidden annotated tag", f.sa, true, false},
		{"hidden configuration", f.m1, true, false},
		{"nonexistent object", strings.Repeat("e", 40), true, false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			url, errs := f.httpURL(t, hider(hide))
			for _, tr := range []struct {
				name, url string
				env       []string
			}{{"HTTP", url, nil}, {"SSH", f.sshURL(), sshEnv(t, hide...)}} {
				for _, proto := range []string{"0", "2"} {
					if tc.v2only && proto == "0" {
						continue
					}
					client := gittest.InitBare(t)
					out, err := run(t, client, tr.env, "-c", "protocol.version="+proto, "fetch", "-q", tr.url, tc.want)
					// In v0 the client itself refuses to ask for what
					// was not advertised.
					switch {
					case tc.refuse && err == nil:
						t.Errorf("%s v%s: fetch of %s succeeded", tr.name, proto, tc.want)
					case tc.refuse && proto == "2" && !strings.Contains(out, "remote error: upload-pack: not our ref "+tc.want):
						t.Errorf("%s v%s: refusal is not git's: %s", tr.name, proto, out)
					case !tc.refuse && err != nil:
						t.Errorf("%s v%s: fetch: %v\n%s", tr.name, proto, err, out)
					}
					if strings.Contains(out, "serve failed") || strings.Contains(out, "hung up") {
						t.Errorf("%s v%s: output %q", tr.name, proto, out)
					}
				}
			}
			if e := errs(); len(e) > 0 {
				t.Errorf("Serve failed: %v", e)
			}
		})
	}
}

// TestHideAlways hides refs from every caller, even one who may read
// everything.
func TestHideAlways(t *testing.T) {
	f := newFixture(t)
	url, errs := f.httpURL(t, nil, "refs/meta/", "refs/heads/secret")
	for _, proto := range []string{"0", "2"} {
		got := lsRemote(t, nil, proto, url)
		if slices.Contains(got, "refs/meta/config") || slices.Contains(got, "refs/heads/secret") || !slices.Contains(got, "refs/heads/main") {
			t.Errorf("v%s refs = %q", proto, got)
		}
	}
	client := gittest.InitBare(t)
	out, err := run(t, client, nil, "-c", "protocol.version=2", "fetch", url, f.m1)
	if err == nil || !strings.Contains(out, "not our ref "+f.m1) {
		t.Errorf("fetch of a commit only a hidden ref has: err=%v\n%s", err, out)
	}
	if out, err := run(t, client, nil, "-c", "protocol.version=2", "fetch", "-q", url, f.s1); err != nil {
		t.Errorf("fetch of the commit of a visible tag: %v\n%s", err, out)
	}
	if e := errs(); len(e) > 0 {
		t.Errorf("Serve failed: %v", e)
	}
}

// TestFetchSessions runs whole protocol v2 sessions over one stream (as
// SSH does): ls-refs, then several rounds of fetch negotiation, each
// request checked and passed on.
func TestFetchSessions(t *testing.T) {
	f := newFixture(t)
	env := sshEnv(t, "refs/heads/secret", "refs/meta")
	work := gittest.NewWorktree(t)
	// Unrelated local history makes the client negotiate in rounds.
	var stream strings.Builder
	for i := range 40 {
		fmt.Fprintf(&stream, "commit refs/heads/main\ncommitter T <t@example.com> %d +0000\ndata 2\nc\n", 1000+i)
	}
	gittest.ExecInput(t, work.Dir, []byte(stream.String()), nil, "fast-import", "--quiet")
	trace := filepath.Join(t.TempDir(), "trace")
	out, err := run(t, work.Dir, append(env, "GIT_TRACE_PACKET="+trace),
		"-c", "protocol.version=2", "fetch", f.sshURL(), "refs/heads/main:refs/remotes/o/main", "refs/tags/*:refs/tags/*")
	if err != nil {
		t.Fatalf("fetch: %v\n%s", err, out)
	}
	if got := work.Git("rev-parse", "refs/remotes/o/main"); got != f.c2 {
		t.Errorf("fetched main = %s, want %s", got, f.c2)
	}
	tr, _ := os.ReadFile(trace)
	if n := strings.Count(string(tr), "> command=fetch"); n < 2 {
		t.Errorf("the session made %d fetch requests, want several:\n%s", n, tr)
	}
	// A later session wants a hidden commit after its ls-refs request
	// was answered.
	out, err = run(t, work.Dir, env, "-c", "protocol.version=2", "fetch", f.sshURL(), f.m1)
	if err == nil || !strings.Contains(out, "remote error: upload-pack: not our ref "+f.m1) {
		t.Errorf("fetch of a hidden commit: err=%v\n%s", err, out)
	}
	// The refused session changed nothing; the next one works.
	gittest.WriteCommit(t, f.dir, "refs/heads/main", "three", map[string]string{"c.txt": "3\n"}, f.c2)
	if out, err := run(t, work.Dir, env, "-c", "protocol.version=2", "fetch", "-q", f.sshURL(), "refs/heads/main:refs/remotes/o/main"); err != nil {
		t.Errorf("fetch after refusal: %v\n%s", err, out)
	}
}

// TestPushHidesExactRefs checks that receive-pack hides each ref the
// caller cannot read by its name, so creating a new ref next to hidden
// ones is left to the permission checks.
func TestPushHidesExactRefs(t *testing.T) {
	f := newFixture(t)
	env := sshEnv(t, "refs/meta", "refs/tags", "refs/heads/secret")
	work := gittest.Clone(t, f.dir)
	tip := work.Commit("four", nil)
	tests := []struct {
		desc    string
		refspec string
		denied  bool
	}{
		{"new tag among hidden tags", tip + ":refs/tags/new", false},
		{"new branch among visible ones", tip + ":refs/heads/topic", false},
		{"new ref below a hidden namespace", tip + ":refs/meta/other", false},
		{"hidden branch", "+" + tip + ":refs/heads/secret", true},
		{"hidden configuration", "+" + tip + ":refs/meta/config", true},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			out, err := run(t, work.Dir, env, "push", f.sshURL(), tc.refspec)
			denied := strings.Contains(out, "deny updating a hidden ref")
			if denied != tc.denied || (err != nil) != tc.denied {
				t.Errorf("push %s: err=%v denied=%v, want denied=%v\n%s", tc.refspec, err, denied, tc.denied, out)
			}
		})
	}
}

// TestCapabilitiesCache answers a repeated v2 advertisement from the cache
// (a cancelled context would stop git, so a success proves no git ran)
// and asks git again once the repository's configuration changes.
func TestCapabilitiesCache(t *testing.T) {
	f := newFixture(t)
	caps := service.NewCapabilities()
	advertise := func(ctx context.Context) (string, error) {
		var out bytes.Buffer
		err := service.Serve(ctx, f.runner, service.Request{
			Service: service.UploadPack, Repo: f.rp, Protocol: "version=2", Advertise: true, Stateless: true,
			Capabilities: caps, Stdout: &out,
		})
		return out.String(), err
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	first, err := advertise(context.Background())
	if err != nil || !strings.Contains(first, "version 2") || !strings.Contains(first, "ls-refs") {
		t.Fatalf("first advertisement = %q, %v", first, err)
	}
	if again, err := advertise(cancelled); err != nil || again != first {
		t.Errorf("cached advertisement = %q, %v; want %q", again, err, first)
	}
	gittest.Exec(t, f.dir, "config", "uploadpack.allowFilter", "true")
	if _, err := advertise(cancelled); err == nil {
		t.Error("advertisement after a config change did not run git")
	}
	changed, err := advertise(context.Background())
	if err != nil || !strings.Contains(changed, "filter") {
		t.Errorf("advertisement after allowing filters = %q, %v", changed, err)
	}
}

// TestReceiveAdvertisement builds receive-pack's HTTP advertisement from
// the visibility listing and checks it byte for byte against git's own,
// under both protocol versions and several visibilities, first and from
// the cache.
func TestReceiveAdvertisement(t *testing.T) {
	f := newFixture(t)
	gittest.Exec(t, f.dir, "update-ref", "refs/changes/01/1/1", f.s1)
	advertise := func(ctx context.Context, caps *service.Capabilities, protocol string, visible func(string) bool) (string, error) {
		var out bytes.Buffer
		err := service.Serve(ctx, f.runner, service.Request{
			Service: service.ReceivePack, Repo: f.rp, Protocol: protocol, Advertise: true, Stateless: true,
			Visible: visible, HideAlways: []string{"refs/changes/"}, Capabilities: caps, Stdout: &out,
		})
		return out.String(), err
	}
	for _, protocol := range []string{"", "version=1"} {
		for name, visible := range map[string]func(string) bool{
			"everything":    func(string) bool { return true },
			"no secrets":    hider([]string{"refs/heads/secret", "refs/tags/s", "refs/tags/sa", "refs/meta"}),
			"nothing":       func(string) bool { return false },
			"only branches": func(ref string) bool { return strings.HasPrefix(ref, "refs/heads/") },
		} {
			t.Run(protocol+" "+name, func(t *testing.T) {
				want, err := advertise(context.Background(), nil, protocol, visible)
				if err != nil {
					t.Fatal(err)
				}
				caps := service.NewCapabilities()
				for _, round := range []string{"first", "cached"} {
					got, err := advertise(context.Background(), caps, protocol, visible)
					if err != nil || got != want {
						t.Fatalf("%s advertisement\n%q, %v\nwant git's\n%q", round, got, err, want)
					}
				}
			})
		}
	}
}

// TestLsRefsAnswer checks the ls-refs answers Serve gives without git,
// byte for byte against git upload-pack hiding the same refs, for the
// requests clients send, with loose and with packed refs, and an unborn
// HEAD. Requests it does not know go to git.
func TestLsRefsAnswer(t *testing.T) {
	f := newFixture(t)
	gittest.Exec(t, f.dir, "update-ref", "refs/changes/01/1/1", f.s1)
	gittest.Exec(t, f.dir, "symbolic-ref", "refs/heads/alias", "refs/heads/main")
	hidden := []string{"refs/heads/secret", "refs/tags/s", "refs/tags/sa", "refs/meta"}
	request := func(caps []string, args ...string) string {
		var b bytes.Buffer
		pktline.WriteString(&b, "command=ls-refs\n")
		for _, c := range caps {
			pktline.WriteString(&b, c+"\n")
		}
		pktline.WriteDelim(&b)
		for _, a := range args {
			pktline.WriteString(&b, a+"\n")
		}
		pktline.WriteFlush(&b)
		return b.String()
	}
	serve := func(req string) (string, error) {
		var out bytes.Buffer
		err := service.Serve(context.Background(), f.runner, service.Request{
			Service: service.UploadPack, Repo: f.rp, Protocol: "version=2", Stateless: true,
			Visible: hider(hidden), Stdin: strings.NewReader(req), Stdout: &out,
		})
		return out.String(), err
	}
	gitAnswer := func(req string) string {
		args := []string{}
		for _, h := range hidden {
			args = append(args, "-c", "uploadpack.hideRefs="+h)
		}
		cmd := exec.Command("git", append(args, "upload-pack", "--stateless-rpc", f.dir)...)
		cmd.Env = append(gittest.Env(), "GIT_PROTOCOL=version=2")
		cmd.Stdin = strings.NewReader(req)
		out, _ := cmd.Output()
		return string(out)
	}
	agent := []string{"agent=git/2.39.5", "object-format=sha1"}
	requests := map[string]string{
		"clone":           request(agent, "peel", "symrefs", "unborn", "ref-prefix HEAD", "ref-prefix refs/heads/", "ref-prefix refs/tags/"),
		"everything":      request(nil),
		"fetch one":       request(agent, "symrefs", "ref-prefix refs/heads/main"),
		"peel only":       request(nil, "peel", "ref-prefix refs/tags/"),
		"partial prefix":  request(nil, "symrefs", "ref-prefix refs/t", "ref-prefix refs/heads/al"),
		"hidden prefix":   request(nil, "ref-prefix refs/meta/"),
		"unborn no peel":  request(nil, "unborn", "symrefs"),
		"unborn, no syms": request(nil, "unborn", "ref-prefix HEAD"),
	}
	check := func(t *testing.T) {
		for name, req := range requests {
			got, err := serve(req)
			if want := gitAnswer(req); err != nil || got != want {
				t.Errorf("%s: ls-refs answer\n%q, %v\nwant git's\n%q", name, got, err, want)
			}
		}
	}
	t.Run("loose", check)
	gittest.Exec(t, f.dir, "pack-refs", "--all")
	t.Run("packed", check)
	gittest.Exec(t, f.dir, "symbolic-ref", "HEAD", "refs/heads/unborn")
	t.Run("unborn HEAD", check)

	t.Run("hidden HEAD", func(t *testing.T) {
		gittest.Exec(t, f.dir, "symbolic-ref", "HEAD", "refs/heads/secret")
		got, err := serve(request(nil, "symrefs", "unborn"))
		if err != nil || strings.Contains(got, "HEAD") || strings.Contains(got, "secret") || !strings.Contains(got, f.c2+" refs/heads/main") {
			t.Errorf("answer with HEAD on a hidden branch = %q, %v", got, err)
		}
	})
	t.Run("to git", func(t *testing.T) {
		for name, req := range map[string]string{
			"unknown argument": request(nil, "bogus"),
			"other format":     request([]string{"object-format=sha256"}),
			"cut short":        strings.TrimSuffix(request(nil, "peel"), "0000"),
			"empty":            "0000",
		} {
			got, _ := serve(req)
			if want := gitAnswer(req); got != want {
				t.Errorf("%s: answer %q, want git's %q", name, got, want)
			}
		}
	})
}
