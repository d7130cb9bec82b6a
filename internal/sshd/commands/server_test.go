package commands

import (
	"context"
	"strings"
	"testing"

	"tandem/internal/project"
)

// TestFlushCaches lists and flushes caches that ls-projects filled, one by
// name and then all, and checks Gerrit's option errors and the capability.
func TestFlushCaches(t *testing.T) {
	e := newEnv(t)
	bob := e.user("bob")
	e.must("gerrit create-project app")
	fill := func() {
		e.must("gerrit ls-projects")
		if e.projects.Cache().Len() == 0 || e.access.Len() == 0 {
			t.Fatalf("caches after ls-projects: %d projects, %d access", e.projects.Cache().Len(), e.access.Len())
		}
	}
	tests := []struct {
		desc string
		line string
		want out
	}{
		{desc: "list goes to stderr", line: "gerrit flush-caches --list", want: out{0, "", "project_access\nprojects\n"}},
		{desc: "list and all", line: "gerrit flush-caches --list --all",
			want: out{1, "", "fatal: cannot use --list with --all or --cache\n"}},
		{desc: "all and a cache", line: "gerrit flush-caches --all --cache projects",
			want: out{1, "", "fatal: cannot combine --all and --cache\n"}},
		{desc: "unknown cache", line: "gerrit flush-caches --cache projects --cache nope",
			want: out{1, "", "fatal: cache nope not found\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := e.run(e.admin, tc.line); got != tc.want {
				t.Fatalf("%s:\n got %+v\nwant %+v", tc.line, got, tc.want)
			}
		})
	}
	if got := e.run(bob, "gerrit flush-caches"); got.code != 1 || got.stderr != "fatal: not permitted: flush caches\n" {
		t.Fatalf("bob flushes: %+v", got)
	}

	fill()
	e.must("gerrit flush-caches --cache projects")
	if e.projects.Cache().Len() != 0 || e.access.Len() == 0 {
		t.Fatalf("after flushing projects: %d projects, %d access", e.projects.Cache().Len(), e.access.Len())
	}
	fill()
	for _, line := range []string{"gerrit flush-caches", "gerrit flush-caches --cache all"} {
		e.must(line)
		if e.projects.Cache().Len() != 0 || e.access.Len() != 0 {
			t.Fatalf("after %s: %d projects, %d access", line, e.projects.Cache().Len(), e.access.Len())
		}
		fill()
	}
}

// TestShowCaches reads the caches' rows and figures after a listing.
func TestShowCaches(t *testing.T) {
	e := newEnv(t)
	e.must("gerrit ls-projects")
	e.must("gerrit ls-projects")
	got := e.must("gerrit show-caches")
	for _, want := range []string{
		"Gerrit Code Review        3.9.0",
		"  Name                          |Entries              |  AvgGet |Hit Ratio|\n",
		"  project_access                |     1               |         |",
		"SSH:      0  users",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("show-caches lacks %q:\n%s", want, got)
		}
	}
	wide := e.must("gerrit show-caches --width 100")
	if !strings.Contains(wide, "  Name"+strings.Repeat(" ", 51)+"|Entries") {
		t.Errorf("show-caches --width 100 keeps the names' column at 30:\n%s", wide)
	}
	if got := e.run(e.user("bob"), "gerrit show-caches"); got.code != 1 || got.stderr != "fatal: not permitted: view caches\n" {
		t.Fatalf("bob shows caches: %+v", got)
	}
}

// TestShowConnectionsNeedsCapability: a session outside a server has no
// connections to show; the table's frame is there all the same.
func TestShowConnectionsNeedsCapability(t *testing.T) {
	e := newEnv(t)
	want := "Session     Start     Idle  User            Remote Host\n" + strings.Repeat("-", 62) + "\n--\n"
	if got := e.must("gerrit show-connections -n"); got != want {
		t.Fatalf("show-connections:\n%s\nwant:\n%s", got, want)
	}
	bob := e.user("bob")
	if got := e.run(bob, "gerrit show-connections"); got.code != 1 || got.stderr != "fatal: not permitted: view connections\n" {
		t.Fatalf("bob shows connections: %+v", got)
	}
	// maintainServer lets its holders in, as in Gerrit.
	e.must("gerrit create-group --member bob maintainers")
	ctx := context.Background()
	g, err := e.accounts.ResolveGroup(ctx, "maintainers")
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.projects.Load(ctx, project.AllProjects)
	if err != nil {
		t.Fatal(err)
	}
	pc, groups := st.Config.Files()
	cfg, err := project.Parse(append(pc, "[capability]\n\tmaintainServer = group maintainers\n"...),
		append(groups, g.UUID+"\tmaintainers\n"...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.projects.Save(ctx, project.AllProjects, st.Revision, cfg, "maintainers\n", project.Ident{Name: "Admin", Email: "admin@example.com"}); err != nil {
		t.Fatal(err)
	}
	if got := e.run(bob, "gerrit show-connections"); got != (out{0, want, ""}) {
		t.Fatalf("a maintainer shows connections: %+v", got)
	}
}

// TestPluginLs: no plugins, in each format, and the changing subcommands
// refused.
func TestPluginLs(t *testing.T) {
	e := newEnv(t)
	if got := e.must("gerrit plugin ls --format json"); got != "{}\n" {
		t.Fatalf("plugin ls --format json = %q", got)
	}
	if got := e.must("gerrit plugin ls"); !strings.HasPrefix(got, "Name ") || strings.Count(got, "\n") != 2 {
		t.Fatalf("plugin ls = %q", got)
	}
	for line, want := range map[string]out{
		"gerrit plugin install x.jar": {1, "", "fatal: remote plugin administration is disabled\n"},
		"gerrit plugin frob":          {1, "", "fatal: gerrit plugin: frob: not found\n"},
	} {
		if got := e.run(e.admin, line); got != want {
			t.Errorf("%s: %+v, want %+v", line, got, want)
		}
	}
	if got := e.run(e.user("bob"), "gerrit plugin ls"); got.code != 1 || got.stderr != "fatal: not permitted: view plugin list\n" {
		t.Fatalf("bob lists plugins: %+v", got)
	}
}

// TestApropos: no bundled documentation, Gerrit's answer for that.
func TestApropos(t *testing.T) {
	e := newEnv(t)
	for line, want := range map[string]out{
		"gerrit apropos submit": {1, "", "fatal: Documentation search not available\n"},
		"gerrit apropos":        {1, "", "fatal: Argument \"QUERY\" is required\n"},
	} {
		if got := e.run(e.admin, line); got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", line, got, want)
		}
	}
}
