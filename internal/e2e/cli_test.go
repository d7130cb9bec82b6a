package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"tandem/internal/db/dbtest"
)

// run runs the tandem binary and returns its combined output and exit code.
func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(tandemBin, args...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func writeConfig(t *testing.T, site, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(site, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(site, "etc", "tandem.config"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		desc   string
		config string // "" = no config file at all
		args   func(site string) []string
		want   string
	}{
		{
			desc: "daemon without a site",
			args: func(site string) []string { return []string{"daemon", "-d", site} },
			want: "run tandem init",
		},
		{
			desc:   "malformed config",
			config: "[gerrit]\n\tbasePath = git\n[httpd\n",
			args:   func(site string) []string { return []string{"init", "-d", site, "--batch"} },
			want:   "line 3",
		},
		{
			desc:   "unknown database type",
			config: "[database]\n\ttype = oracle\n",
			args:   func(site string) []string { return []string{"init", "-d", site, "--batch"} },
			want:   `database.type: "oracle"`,
		},
		{
			desc:   "unreachable database",
			config: "[database]\n\ttype = postgresql\n\turl = postgres://nobody@127.0.0.1:1/none?connect_timeout=2\n",
			args:   func(site string) []string { return []string{"init", "-d", site, "--batch"} },
			want:   "postgres",
		},
		{
			desc: "missing -d",
			args: func(string) []string { return []string{"init", "--batch"} },
			want: "-d SITE is required",
		},
		{
			desc: "unknown command",
			args: func(string) []string { return []string{"frobnicate"} },
			want: `unknown command "frobnicate"`,
		},
	}
	for i, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			site := filepath.Join(dir, "site"+string(rune('a'+i)))
			if tc.config != "" {
				writeConfig(t, site, tc.config)
			}
			out, code := run(t, tc.args(site)...)
			if code == 0 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, output %q; want failure mentioning %q", code, out, tc.want)
			}
		})
	}
}

func TestBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	site := filepath.Join(t.TempDir(), "site")
	writeConfig(t, site, "[httpd]\n\tlistenUrl = http://"+ln.Addr().String()+"/\n[sshd]\n\tlistenAddress = off\n")
	if out, code := run(t, "init", "-d", site, "--batch"); code != 0 {
		t.Fatalf("init: %s", out)
	}
	out, code := run(t, "daemon", "-d", site)
	if code == 0 || !strings.Contains(out, "already in use") {
		t.Fatalf("daemon on a busy port: exit %d, output %q", code, out)
	}
}

// TestBadSSHAlgorithm: a daemon whose sshd.kex names an algorithm Tandem
// does not implement refuses to start and says which value is wrong.
func TestBadSSHAlgorithm(t *testing.T) {
	site := filepath.Join(t.TempDir(), "site")
	writeConfig(t, site, "[httpd]\n\tlistenUrl = http://127.0.0.1:0/\n[sshd]\n\tlistenAddress = 127.0.0.1:0\n\tkex = +curve25519-sha256\n\tkex = -frob\n")
	if out, code := run(t, "init", "-d", site, "--batch"); code != 0 {
		t.Fatalf("init: %s", out)
	}
	out, code := run(t, "daemon", "-d", site)
	if code == 0 || !strings.Contains(out, `sshd.kex: unsupported algorithm "frob"`) {
		t.Fatalf("daemon with sshd.kex = -frob: exit %d, output %q", code, out)
	}
}

func TestVersion(t *testing.T) {
	out, code := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "tandem version ") {
		t.Fatalf("version: exit %d, %q", code, out)
	}
}

// TestInitTwiceAndSecondMaster: a second init on the same site, and an init
// of a second site sharing the first one's database and git directory,
// create nothing new and agree on the server id.
func TestInitTwiceAndSecondMaster(t *testing.T) {
	base := t.TempDir()
	url := dbtest.PostgresURL(t)
	git := filepath.Join(base, "git")
	conf := "[gerrit]\n\tbasePath = " + git + "\n[database]\n\ttype = postgresql\n\turl = " + url + "\n"
	first, second := filepath.Join(base, "m1"), filepath.Join(base, "m2")
	writeConfig(t, first, conf)
	out, code := run(t, "init", "-d", first, "--batch")
	if code != 0 || !strings.Contains(out, "HTTP password") {
		t.Fatalf("first init: exit %d\n%s", code, out)
	}
	out, code = run(t, "init", "-d", first, "--batch")
	if code != 0 || strings.Contains(out, "HTTP password") {
		t.Fatalf("second init on the same site must not make another administrator: exit %d\n%s", code, out)
	}
	writeConfig(t, second, conf)
	if out, code = run(t, "init", "-d", second, "--batch"); code != 0 {
		t.Fatalf("init of the second master: exit %d\n%s", code, out)
	}
	id := func(site string) string {
		data, err := os.ReadFile(filepath.Join(site, "etc", "tandem.config"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.TrimSpace(k) == "serverId" {
				return strings.TrimSpace(v)
			}
		}
		t.Fatalf("no serverId in %s:\n%s", site, data)
		return ""
	}
	if a, b := id(first), id(second); a != b {
		t.Fatalf("server ids differ: %s vs %s", a, b)
	}
	entries, err := os.ReadDir(git)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("git directory has %d entries, want All-Projects and All-Users", len(entries))
	}
}
