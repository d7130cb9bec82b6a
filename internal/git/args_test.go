package git

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	r := &Runner{global: []string{"-c", "core.hooksPath=/dev/null"}, env: []string{"PATH=/bin"}}
	hooks := "-c core.hooksPath=/dev/null "
	tests := []struct {
		desc string
		cmd  Cmd
		want string // space-joined argv
	}{
		{
			desc: "no args: no end-of-options",
			cmd:  Cmd{Dir: "/r.git", Name: "for-each-ref", Flags: []string{"--format=%(refname)"}},
			want: "--git-dir=/r.git " + hooks + "for-each-ref --format=%(refname)",
		},
		{
			desc: "args after end-of-options",
			cmd:  Cmd{Dir: "/r.git", Name: "rev-parse", Flags: []string{"--verify"}, Args: []string{"--upload-pack=evil"}},
			want: "--git-dir=/r.git " + hooks + "rev-parse --verify --end-of-options --upload-pack=evil",
		},
		{
			desc: "paths after double dash",
			cmd:  Cmd{Dir: "/r.git", Name: "log", Args: []string{"main"}, Paths: []string{"-x"}},
			want: "--git-dir=/r.git " + hooks + "log --end-of-options main -- -x",
		},
		{
			desc: "paths without args",
			cmd:  Cmd{Dir: "/r.git", Name: "log", Paths: []string{"a"}},
			want: "--git-dir=/r.git " + hooks + "log -- a",
		},
		{
			desc: "config before subcommand",
			cmd:  Cmd{Dir: "/r.git", Name: "upload-pack", Config: []ConfigPair{{"uploadpack.allowFilter", "true"}}, Flags: []string{"--stateless-rpc"}},
			want: "--git-dir=/r.git " + hooks + "-c uploadpack.allowFilter=true upload-pack --stateless-rpc --end-of-options /r.git",
		},
		{
			desc: "upload-archive takes the directory bare",
			cmd:  Cmd{Dir: "/r.git", Name: "upload-archive"},
			want: "--git-dir=/r.git " + hooks + "upload-archive /r.git",
		},
		{
			desc: "repository as argument",
			cmd:  Cmd{Name: "receive-pack", Flags: []string{"--advertise-refs"}, Args: []string{"/r.git"}},
			want: hooks + "receive-pack --advertise-refs --end-of-options /r.git",
		},
		{
			desc: "no dir",
			cmd:  Cmd{Name: "version"},
			want: hooks + "version",
		},
		{
			desc: "command without end-of-options support",
			cmd:  Cmd{Dir: "/r.git", Name: "var", Args: []string{"GIT_AUTHOR_IDENT"}},
			want: "--git-dir=/r.git " + hooks + "var GIT_AUTHOR_IDENT",
		},
		{
			desc: "two-word subcommand",
			cmd:  Cmd{Dir: "/r.git", Name: "commit-graph write", Flags: []string{"--reachable"}},
			want: "--git-dir=/r.git " + hooks + "commit-graph write --reachable",
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			argv, _, err := r.args(tt.cmd)
			if err != nil {
				t.Fatalf("args: %v", err)
			}
			if got := strings.Join(argv, " "); got != tt.want {
				t.Errorf("argv\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestArgsRefused(t *testing.T) {
	r := &Runner{}
	tests := []struct {
		desc string
		cmd  Cmd
	}{
		{"empty name", Cmd{}},
		{"not allowed", Cmd{Name: "daemon"}},
		{"not allowed alias-like", Cmd{Name: "filter-branch"}},
		{"mode not allowed", Cmd{Name: "bundle unbundle"}},
		{"relative dir", Cmd{Dir: "r.git", Name: "log"}},
		{"flag without dash", Cmd{Name: "log", Flags: []string{"main"}}},
		{"double dash flag", Cmd{Name: "log", Flags: []string{"--"}}},
		{"end-of-options flag", Cmd{Name: "log", Flags: []string{"--end-of-options"}}},
		{"NUL in arg", Cmd{Name: "log", Args: []string{"a\x00b"}}},
		{"NUL in path", Cmd{Name: "log", Paths: []string{"a\x00b"}}},
		{"dash arg without end-of-options support", Cmd{Name: "var", Args: []string{"-l"}}},
		{"dir command without dir or args", Cmd{Name: "upload-pack"}},
		{"option-like repository for upload-archive", Cmd{Name: "upload-archive", Args: []string{"--exec=x"}}},
		{"env not allowed", Cmd{Name: "log", Env: []string{"GIT_DIR=/x"}}},
		{"env without value", Cmd{Name: "log", Env: []string{"GIT_PROTOCOL"}}},
		{"env bare prefix", Cmd{Name: "log", Env: []string{"TANDEM_=1"}}},
		{"env LD_PRELOAD", Cmd{Name: "log", Env: []string{"LD_PRELOAD=/x.so"}}},
		{"config key without section", Cmd{Name: "log", Config: []ConfigPair{{"bare", "x"}}}},
		{"config key with equals", Cmd{Name: "log", Config: []ConfigPair{{"core.a=b", "x"}}}},
		{"config key ends with dot", Cmd{Name: "log", Config: []ConfigPair{{"core.", "x"}}}},
		{"config name starts with digit", Cmd{Name: "log", Config: []ConfigPair{{"core.1x", "x"}}}},
		{"config subsection with equals", Cmd{Name: "log", Config: []ConfigPair{{"remote.a=b.url", "x"}}}},
		{"config subsection with newline", Cmd{Name: "log", Config: []ConfigPair{{"remote.a\nb.url", "x"}}}},
		{"config section with space", Cmd{Name: "log", Config: []ConfigPair{{"co re.bare", "x"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, _, err := r.args(tt.cmd)
			if !errors.Is(err, ErrInvalidCmd) {
				t.Fatalf("args(%+v) = %v, want ErrInvalidCmd", tt.cmd, err)
			}
		})
	}
}

func TestArgsEnv(t *testing.T) {
	r := &Runner{env: []string{"PATH=/bin", "LANG=C"}}
	_, env, err := r.args(Cmd{Name: "log", Env: []string{"GIT_PROTOCOL=version=2", "TANDEM_PUSH_ID=7", "GIT_AUTHOR_NAME=A"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PATH=/bin", "LANG=C", "GIT_PROTOCOL=version=2", "TANDEM_PUSH_ID=7", "GIT_AUTHOR_NAME=A"}
	if !slices.Equal(env, want) {
		t.Errorf("env = %q, want %q", env, want)
	}
	if len(r.env) != 2 {
		t.Errorf("runner env modified: %q", r.env)
	}
}

func TestConfigKeys(t *testing.T) {
	for _, k := range []string{"core.bare", "remote.origin.url", "remote.a.b c.url", "http.https://x/.extraHeader", "gc.auto", "a-b.c-d"} {
		t.Run(k, func(t *testing.T) {
			if err := validateConfig(ConfigPair{Key: k}); err != nil {
				t.Errorf("validateConfig(%q) = %v", k, err)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	tests := []struct {
		desc, out, want string
		ok              bool
	}{
		{"plain", "git version 2.39.5\n", "2.39.5", true},
		{"newer", "git version 2.45.0", "2.45.0", true},
		{"vendor suffix", "git version 2.39.3 (Apple Git-146)", "2.39.3", true},
		{"windows", "git version 2.41.0.windows.1", "2.41.0.windows.1", true},
		{"major 3", "git version 3.0.0", "3.0.0", true},
		{"too old", "git version 2.38.1", "2.38.1", false},
		{"old major", "git version 1.99.0", "1.99.0", false},
		{"exact minimum", "git version 2.39", "2.39", true},
		{"rc", "git version 2.39.0-rc1", "2.39.0-rc1", true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			v, err := parseVersion(tt.out)
			if err != nil {
				t.Fatalf("parseVersion: %v", err)
			}
			if v != tt.want {
				t.Errorf("version = %q, want %q", v, tt.want)
			}
			if got := versionAtLeast(v, MinVersion); got != tt.ok {
				t.Errorf("versionAtLeast(%q) = %v, want %v", v, got, tt.ok)
			}
		})
	}
	if _, err := parseVersion("hub version 1"); err == nil {
		t.Error("parseVersion accepted garbage")
	}
}

func TestCapBuffer(t *testing.T) {
	c := &capBuffer{max: 10}
	for range 5 {
		if n, err := c.Write([]byte("abcd")); n != 4 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got := c.String(); got != "abcdabcdab" {
		t.Errorf("kept %q", got)
	}
}
