package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// result is what one SSH command gave back.
type result struct {
	out, err string
	code     int
}

// run sends line as the exec request, exactly as written (the server splits
// it), with stdin as the command's input.
func (s *server) run(t testing.TB, user, key, stdin, line string) result {
	t.Helper()
	out, errOut, code := s.ssh(t, user, key, stdin, line)
	return result{out, errOut, code}
}

// sshWith runs the OpenSSH client with extra options before the
// destination; command may be empty (a shell request).
func (s *server) sshWith(t testing.TB, user, key string, opts []string, command string) result {
	t.Helper()
	args := []string{"-p", s.sshPort, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-i", key}
	args = append(args, opts...)
	args = append(args, user+"@127.0.0.1")
	if command != "" {
		args = append(args, command)
	}
	cmd := exec.Command("ssh", args...)
	cmd.Stdin = strings.NewReader("")
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

// want fails unless r has exactly the status, stdout and stderr given.
func want(t testing.TB, what string, r result, code int, stdout, stderr string) {
	t.Helper()
	if r.code != code || r.out != stdout || r.err != stderr {
		t.Fatalf("%s:\n got status %d, stdout %q, stderr %q\nwant status %d, stdout %q, stderr %q",
			what, r.code, r.out, r.err, code, stdout, stderr)
	}
}

// ok fails unless r succeeded, and returns its stdout.
func ok(t testing.TB, what string, r result) string {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s: status %d, stderr %q, stdout %q", what, r.code, r.err, r.out)
	}
	return r.out
}

// TestSSHInterface drives Gerrit's SSH interface with the OpenSSH client,
// sending the command lines Gerrit's scripted clients (gerritlib, harness
// scripts) send and checking Gerrit's exact answers.
func TestSSHInterface(t *testing.T) {
	s := startServer(t, "sqlite")
	admin := func(t testing.TB, line string) result {
		t.Helper()
		return s.run(t, "admin", s.adminKey, "", line)
	}
	var bobKey, eveKey string
	// Keys outlive the subtest that makes them.
	keys := t.TempDir()

	t.Run("version", func(t *testing.T) {
		out := ok(t, "gerrit version", admin(t, "gerrit version"))
		if !regexp.MustCompile(`^gerrit version 3\.\d+\.\d+\n$`).MatchString(out) {
			t.Fatalf("gerrit version = %q", out)
		}
		// gerritlib takes the third word.
		version := strings.Fields(out)[2]
		verbose := ok(t, "gerrit version --verbose", admin(t, "gerrit version --verbose"))
		if !strings.HasPrefix(verbose, out) || !strings.Contains(verbose, "\nindex versions\n") {
			t.Fatalf("gerrit version --verbose = %q", verbose)
		}
		var info struct {
			GerritVersion string `json:"gerrit_version"`
		}
		js := ok(t, "gerrit version --json", admin(t, "gerrit version --json"))
		if err := json.Unmarshal([]byte(js), &info); err != nil || info.GerritVersion != version {
			t.Fatalf("gerrit version --json = %q (%v)", js, err)
		}
		want(t, "unknown option", admin(t, "gerrit version --bogus"), 1, "", "fatal: \"--bogus\" is not a valid option\n")
	})

	t.Run("dispatch", func(t *testing.T) {
		r := admin(t, "gerrit")
		if r.code != 1 || r.out != "" || !strings.HasPrefix(r.err, "fatal: Available commands of gerrit are:\n\n") ||
			!strings.Contains(r.err, "\n   create-project\n") || !strings.Contains(r.err, "\n   version\n") ||
			!strings.HasSuffix(r.err, "See 'gerrit COMMAND --help' for more information.\n\n") {
			t.Fatalf("bare gerrit: %+v", r)
		}
		want(t, "unknown gerrit command", admin(t, "gerrit frobnicate --now"), 1, "", "fatal: gerrit: frobnicate: not found\n")
		want(t, "unknown command", admin(t, "frobnicate"), 1, "", "fatal: Gerrit Code Review: frobnicate: not found\n")
		r = admin(t, "gerrit ls-members --help")
		if r.code != 1 || !strings.HasPrefix(r.err, "gerrit ls-members ") || !strings.Contains(r.err, "--recursive") {
			t.Fatalf("--help: %+v", r)
		}
	})

	t.Run("shell", func(t *testing.T) {
		for _, opts := range [][]string{nil, {"-tt"}, {"-T"}} {
			r := s.sshWith(t, "admin", s.adminKey, opts, "")
			if r.code != 127 || !strings.Contains(r.err, "Welcome to") || !strings.Contains(r.err, "Hi admin,") ||
				!strings.Contains(r.err, "interactive shells are disabled") {
				t.Fatalf("shell with %v: %+v", opts, r)
			}
		}
	})

	t.Run("create-account", func(t *testing.T) {
		bobKey = sshKey(t, keys, "bob_key")
		pub, err := os.ReadFile(bobKey + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		// The key comes on standard input, as harness scripts send it.
		want(t, "create bob", s.run(t, "admin", s.adminKey, string(pub),
			`gerrit create-account bob --email bob@example.com --full-name "Bob Builder" --ssh-key - --http-password bob-secret`), 0, "", "")
		want(t, "bob over ssh", s.run(t, "bob", bobKey, "", "gerrit version"), 0, ok(t, "version", admin(t, "gerrit version")), "")

		r := s.call(t, "GET", "/a/accounts/self", "bob", "bob-secret", nil, "")
		expect(t, r, 200, "bob over REST")
		var self map[string]any
		r.json(t, &self)
		if self["username"] != "bob" || self["name"] != "Bob Builder" || self["email"] != "bob@example.com" {
			t.Fatalf("bob's account = %v", self)
		}

		// A key given inline, and groups by name.
		eveKey = sshKey(t, keys, "eve_key")
		evePub, _ := os.ReadFile(eveKey + ".pub")
		want(t, "create eve", admin(t, `gerrit create-account eve --full-name Eve --group "Blocked Users" --ssh-key "`+
			strings.TrimSpace(string(evePub))+`"`), 0, "", "")
		want(t, "eve over ssh", s.run(t, "eve", eveKey, "", "gerrit version"), 0, ok(t, "version", admin(t, "gerrit version")), "")
		want(t, "create carol", admin(t, "gerrit create-account carol --email carol@example.com"), 0, "", "")

		want(t, "non-admin", s.run(t, "bob", bobKey, "", "gerrit create-account mallory"), 1, "", "fatal: not permitted: create account\n")
		want(t, "duplicate", admin(t, "gerrit create-account bob"), 1, "", "fatal: username 'bob' already exists\n")
		want(t, "unknown group", admin(t, "gerrit create-account dave --group Nobody"), 1, "", "fatal: Group \"Nobody\" does not exist\n")
		want(t, "bad key", admin(t, "gerrit create-account dave --ssh-key 'ssh-ed25519 AAAA nope'"), 1, "", "fatal: Invalid SSH Key\n")
		want(t, "no name", admin(t, "gerrit create-account"), 1, "", "fatal: Argument \"USERNAME\" is required\n")
		want(t, "dave was never created", admin(t, "gerrit ls-groups --user dave"), 1, "", "fatal: user \"dave\" not found\n")
	})

	t.Run("groups", func(t *testing.T) {
		want(t, "create devs", admin(t, `gerrit create-group --owner Administrators --member bob --description "Dev team" --visible-to-all devs`), 0, "", "")
		// gerritlib quotes the name; without --owner the creator is a member.
		want(t, "create leads", admin(t, `gerrit create-group --member carol --group devs "leads"`), 0, "", "")
		want(t, "duplicate", admin(t, "gerrit create-group devs"), 1, "", "fatal: group 'devs' already exists\n")
		want(t, "unknown owner", admin(t, "gerrit create-group x --owner Nobody"), 1, "", "fatal: Group \"Nobody\" does not exist\n")
		want(t, "unknown member", admin(t, "gerrit create-group x --member nobody"), 1, "", "fatal: user \"nobody\" not found\n")
		want(t, "non-admin", s.run(t, "bob", bobKey, "", "gerrit create-group bobs"), 1, "", "fatal: not permitted: create group\n")

		want(t, "ls-groups", admin(t, "gerrit ls-groups"), 0,
			"Administrators\nBlocked Users\nService Users\ndevs\nleads\n", "")
		rows := map[string][]string{}
		for _, line := range strings.Split(strings.TrimSuffix(ok(t, "ls-groups -v", admin(t, "gerrit ls-groups -v")), "\n"), "\n") {
			cols := strings.Split(line, "\t")
			if len(cols) != 6 {
				t.Fatalf("ls-groups -v line %q has %d columns", line, len(cols))
			}
			rows[cols[0]] = cols
		}
		adminsUUID, devsUUID := rows["Administrators"][1], rows["devs"][1]
		hex40 := regexp.MustCompile(`^[0-9a-f]{40}$`)
		if !hex40.MatchString(adminsUUID) || !hex40.MatchString(devsUUID) {
			t.Fatalf("group UUIDs: %q %q", adminsUUID, devsUUID)
		}
		if got, w := strings.Join(rows["devs"], "|"), "devs|"+devsUUID+"|Dev team|Administrators|"+adminsUUID+"|true"; got != w {
			t.Fatalf("devs row = %s, want %s", got, w)
		}
		leads := rows["leads"]
		if leads[2] != "" || leads[3] != "leads" || leads[4] != leads[1] || leads[5] != "false" {
			t.Fatalf("leads row = %q (self-owned, no description, not visible to all)", leads)
		}

		want(t, "--visible-to-all", admin(t, "gerrit ls-groups --visible-to-all"), 0, "devs\n", "")
		want(t, "--user", admin(t, "gerrit ls-groups --user bob"), 0, "Anonymous Users\nRegistered Users\ndevs\nleads\n", "")
		want(t, "--owned", admin(t, "gerrit ls-groups --owned --user carol"), 0, "leads\n", "")
		want(t, "--owned by owner", admin(t, "gerrit ls-groups --owned -g leads -g devs"), 0, "devs\nleads\n", "")
		want(t, "--user and --project", admin(t, "gerrit ls-groups --user bob --project All-Projects"), 1, "",
			"fatal: --user and --project options are not compatible.\n")
		want(t, "--project", admin(t, "gerrit ls-groups --project All-Projects"), 0,
			"Administrators\nBlocked Users\nService Users\n", "")
		// bob sees the groups he is in and those visible to all, not
		// Administrators.
		want(t, "bob's view", s.run(t, "bob", bobKey, "", "gerrit ls-groups"), 0, "devs\nleads\n", "")

		want(t, "ls-members", admin(t, `gerrit ls-members "leads"`), 0,
			"id\tusername\tfull name\temail\n"+
				"1000000\tadmin\tAdministrator\tadmin@example.com\n"+
				"1000003\tcarol\tn/a\tcarol@example.com\n", "")
		r := admin(t, "gerrit ls-members leads --recursive")
		if !strings.Contains(r.out, "\tbob\tBob Builder\tbob@example.com\n") || !strings.Contains(r.out, "\tcarol\tn/a\tcarol@example.com\n") {
			t.Fatalf("ls-members --recursive = %+v", r)
		}
		// gerritlib reads this text from standard output.
		want(t, "unknown group", admin(t, `gerrit ls-members "Nobody"`), 0, "Group not found or not visible\n", "")
		want(t, "invisible group", s.run(t, "eve", eveKey, "", "gerrit ls-members leads"), 0, "Group not found or not visible\n", "")

		want(t, "set-members", admin(t, "gerrit set-members --add carol --remove bob --include leads devs"), 0,
			"Members removed from group devs: bob@example.com\nMembers added to group devs: carol@example.com\nGroups included to group devs: leads\n", "")
		want(t, "members after", admin(t, "gerrit ls-members devs"), 0,
			"id\tusername\tfull name\temail\n1000003\tcarol\tn/a\tcarol@example.com\n", "")
		want(t, "exclude", admin(t, "gerrit set-members --exclude leads --add bob devs"), 0,
			"Groups excluded from group devs: leads\nMembers added to group devs: bob@example.com\n", "")
		want(t, "not owner", s.run(t, "bob", bobKey, "", "gerrit set-members --add eve devs"), 1, "", "fatal: Cannot add members to group devs\n")
		want(t, "unknown user", admin(t, "gerrit set-members --add nobody devs"), 1, "", "fatal: user \"nobody\" not found\n")
		want(t, "unknown group", admin(t, "gerrit set-members --add bob nogroup"), 1, "", "fatal: Group \"nogroup\" does not exist\n")
	})

	t.Run("projects", func(t *testing.T) {
		// gerritlib's form: inner quotes escaped inside a double-quoted
		// description, the name quoted and carrying ".git".
		want(t, "create", admin(t, `gerrit create-project --require-change-id --empty-commit --description "It's a \"demo\" project" "demo.git"`), 0, "", "")
		want(t, "duplicate", admin(t, "gerrit create-project demo"), 1, "", "fatal: Project \"demo\" already exists\n")
		want(t, "non-admin", s.run(t, "bob", bobKey, "", "gerrit create-project bobs"), 1, "", "fatal: not permitted: create project\n")
		want(t, "unknown parent", admin(t, "gerrit create-project x --parent nope"), 1, "", "fatal: project nope not found\n")
		want(t, "unknown owner", admin(t, "gerrit create-project x --owner nope"), 1, "", "fatal: Group \"nope\" does not exist\n")
		want(t, "no name", admin(t, "gerrit create-project"), 1, "", "fatal: Project name is required.\n")

		dir := filepath.Join(t.TempDir(), "demo")
		s.mustGit(t, "", "", "clone", "-q", s.httpURL("", "", "demo"), dir)
		if log := s.mustGit(t, dir, "", "log", "--format=%s"); log != "Initial empty repository\n" {
			t.Fatalf("demo log = %q", log)
		}

		// A project owned by devs: its members may push straight to it.
		want(t, "create team", admin(t, "gerrit create-project --owner devs --parent demo --branch main --branch stable --empty-commit team/app"), 0, "", "")
		r := s.call(t, "GET", "/projects/team%2Fapp", "", "", nil, "")
		expect(t, r, 200, "get team/app")
		var info map[string]any
		r.json(t, &info)
		if info["parent"] != "demo" {
			t.Fatalf("team/app = %v, want parent demo", info)
		}
		ls := s.mustGit(t, "", "", "ls-remote", "--heads", s.httpURL("", "", "team/app"))
		if !strings.Contains(ls, "\trefs/heads/main\n") || !strings.Contains(ls, "\trefs/heads/stable\n") {
			t.Fatalf("team/app branches:\n%s", ls)
		}
		work := filepath.Join(t.TempDir(), "app")
		s.mustGit(t, "", bobKey, "clone", "-q", s.sshURL("bob", "team/app"), work)
		s.commit(t, work, "a.txt", "from bob\n")
		s.mustGit(t, work, bobKey, "push", "-q", "origin", "HEAD:refs/heads/main")
		// …and over HTTP with the password create-account set.
		tip := s.commit(t, work, "a.txt", "again\n")
		s.mustGit(t, work, "", "push", "-q", s.httpURL("bob", "bob-secret", "a/team/app"), "HEAD:refs/heads/main")
		// eve, a blocked user, cannot even see the project.
		out, err := s.git(t, work, eveKey, "push", s.sshURL("eve", "team/app"), "HEAD:refs/heads/eve")
		if err == nil || !strings.Contains(out, "project team/app not found") {
			t.Fatalf("eve's push: %v\n%s", err, out)
		}

		// A description with a newline and a backslash stays on one line.
		want(t, "create multi", admin(t, "gerrit create-project multi --description 'one\ntwo \\ three'"), 0, "", "")

		want(t, "ls-projects", admin(t, "gerrit ls-projects"), 0, "All-Projects\nAll-Users\ndemo\nmulti\nteam/app\n", "")
		want(t, "ls-projects -d", admin(t, "gerrit ls-projects --description -p demo"), 0, "demo - It's a \"demo\" project\n", "")
		want(t, "escaped", admin(t, "gerrit ls-projects -d -p multi"), 0, `multi - one\ntwo \\ three`+"\n", "")
		want(t, "-b", admin(t, "gerrit ls-projects -b main"), 0, tipOf(t, s, "demo", "main")+" demo\n"+tip+" team/app\n", "")
		want(t, "-b with a missing branch", admin(t, "gerrit ls-projects -b stable -b main -p team"), 0,
			tipOf(t, s, "team/app", "stable")+" "+tip+" team/app\n", "")
		want(t, "-b of nothing", admin(t, "gerrit ls-projects -b stable -b nowhere"), 0,
			tipOf(t, s, "team/app", "stable")+" "+strings.Repeat("-", 40)+" team/app\n", "")
		var projects map[string]struct {
			ID          string            `json:"id"`
			Description string            `json:"description"`
			State       string            `json:"state"`
			Branches    map[string]string `json:"branches"`
		}
		js := ok(t, "--format json", admin(t, "gerrit ls-projects --format json -d -b main"))
		if err := json.Unmarshal([]byte(js), &projects); err != nil {
			t.Fatalf("ls-projects json %q: %v", js, err)
		}
		if p := projects["team/app"]; len(projects) != 2 || p.ID != "team%2Fapp" || p.State != "ACTIVE" || p.Branches["main"] != tip ||
			projects["demo"].Description != `It's a "demo" project` {
			t.Fatalf("ls-projects json = %s", js)
		}
		compact := ok(t, "json_compact", admin(t, "gerrit ls-projects --format=JSON_COMPACT -p demo"))
		if compact != `{"demo":{"id":"demo","state":"ACTIVE"}}`+"\n" {
			t.Fatalf("json_compact = %q", compact)
		}
		// Hidden projects are not listed.
		want(t, "eve's list", s.run(t, "eve", eveKey, "", "gerrit ls-projects"), 0, "", "")

		want(t, "create-branch", admin(t, "gerrit create-branch team/app feature main"), 0, "", "")
		if got := strings.Fields(s.mustGit(t, "", "", "ls-remote", s.httpURL("", "", "team/app"), "refs/heads/feature"))[0]; got != tip {
			t.Fatalf("feature = %s, want %s", got, tip)
		}
		want(t, "branch exists", admin(t, "gerrit create-branch team/app feature main"), 1, "", "fatal: branch \"refs/heads/feature\" already exists\n")
		want(t, "bad revision", admin(t, "gerrit create-branch team/app f2 nowhere"), 1, "", "fatal: invalid revision \"nowhere\"\n")
		want(t, "not permitted", s.run(t, "bob", bobKey, "", "gerrit create-branch demo f3 main"), 1, "", "fatal: not permitted: create on refs/heads/f3\n")
		want(t, "owner creates", s.run(t, "bob", bobKey, "", "gerrit create-branch team/app f3 main"), 0, "", "")
		want(t, "hidden project", s.run(t, "eve", eveKey, "", "gerrit create-branch demo f3 main"), 1, "", "fatal: project demo not found\n")
		want(t, "tree", admin(t, "gerrit ls-projects --tree"), 0,
			"`-- All-Projects\n    |-- All-Users\n    |-- demo\n        `-- team/app\n    `-- multi\n", "")
	})

	t.Run("server", func(t *testing.T) {
		// show-connections lists the connection that asks, by its
		// address and user.
		conns := ok(t, "show-connections", admin(t, "gerrit show-connections"))
		lines := strings.Split(strings.TrimSuffix(conns, "\n"), "\n")
		row := regexp.MustCompile(`^[0-9a-f]{8} \d\d:\d\d:\d\d \d\d:\d\d:\d\d  admin +127\.0\.0\.1$`)
		if len(lines) < 4 || !strings.HasPrefix(lines[0], "Session     Start     Idle  User") || lines[len(lines)-1] != "--" ||
			!slices.ContainsFunc(lines, row.MatchString) {
			t.Fatalf("show-connections:\n%s", conns)
		}
		want(t, "show-connections by bob", s.run(t, "bob", bobKey, "", "gerrit show-connections"), 1, "", "fatal: not permitted: view connections\n")

		want(t, "flush-caches --list", admin(t, "gerrit flush-caches --list"), 0, "", "http_passwords\nproject_access\nprojects\n")
		caches := ok(t, "show-caches", admin(t, "gerrit show-caches"))
		filled := regexp.MustCompile(`(?m)^  (projects|http_passwords) +\| +[1-9]\d* `).FindAllString(caches, -1)
		if len(filled) != 2 || !strings.Contains(caches, "SSH: ") {
			t.Fatalf("show-caches:\n%s", caches)
		}
		want(t, "flush-caches", admin(t, "gerrit flush-caches"), 0, "", "")
		if caches := ok(t, "show-caches", admin(t, "gerrit show-caches")); !regexp.MustCompile(`(?m)^  http_passwords +\| +0 `).MatchString(caches) {
			t.Fatalf("show-caches after the flush:\n%s", caches)
		}
		want(t, "flush-caches by bob", s.run(t, "bob", bobKey, "", "gerrit flush-caches"), 1, "", "fatal: not permitted: flush caches\n")

		// What python-gerritlib runs: plugin ls, set-project.
		want(t, "plugin ls", admin(t, "gerrit plugin ls --format json"), 0, "{}\n", "")
		want(t, "set-project", admin(t, "gerrit set-project demo --description 'set over ssh' --submit-type REBASE_IF_NECESSARY"), 0, "", "")
		var cfg struct {
			Description string `json:"description"`
			SubmitType  string `json:"submit_type"`
		}
		wantJSON(t, s.admin(t, "GET", "/a/projects/demo/config", nil), 200, &cfg)
		if cfg.Description != "set over ssh" || cfg.SubmitType != "REBASE_IF_NECESSARY" {
			t.Fatalf("demo's config after set-project: %+v", cfg)
		}
	})

	t.Run("git", func(t *testing.T) {
		// The command lines git and other clients send, with and without
		// the leading slash and ".git"; "0000" ends the v0 conversation
		// after the advertisement, as ls-remote does.
		main := tipOf(t, s, "demo", "main")
		for _, line := range []string{
			"git-upload-pack '/demo.git'", "git-upload-pack 'demo.git'", "git-upload-pack '/demo'",
			"git-upload-pack demo", "git upload-pack '/demo.git'", "git upload-pack demo",
		} {
			r := s.run(t, "bob", bobKey, "0000", line)
			if r.code != 0 || !strings.Contains(r.out, main+" refs/heads/main\n") {
				t.Fatalf("%s: %+v", line, r)
			}
		}
		// Protocol v2 is asked for with the GIT_PROTOCOL environment
		// variable.
		r := s.sshWith(t, "bob", bobKey, []string{"-o", "SetEnv=GIT_PROTOCOL=version=2"}, "git-upload-pack '/demo.git'")
		if r.code != 0 || !strings.HasPrefix(r.out, "000eversion 2\n") {
			t.Fatalf("v2 advertisement: %+v", r)
		}
		for _, proto := range []string{"0", "2"} {
			ls := s.mustGit(t, "", bobKey, "-c", "protocol.version="+proto, "ls-remote", s.sshURL("bob", "demo.git"))
			if !strings.Contains(ls, main+"\trefs/heads/main\n") {
				t.Fatalf("ls-remote v%s:\n%s", proto, ls)
			}
		}
		// A project the caller may not see answers like a missing one.
		for _, name := range []string{"demo", "missing"} {
			want(t, "eve reads "+name, s.run(t, "eve", eveKey, "0000", "git-upload-pack '/"+name+".git'"), 1, "",
				"fatal: project "+name+" not found\n")
		}
		out, err := s.git(t, "", eveKey, "ls-remote", s.sshURL("eve", "demo"))
		if err == nil || !strings.Contains(out, "fatal: project demo not found") {
			t.Fatalf("eve's ls-remote: %v\n%s", err, out)
		}
		want(t, "no project", s.run(t, "bob", bobKey, "", "git-upload-pack"), 1, "", "fatal: Argument \"PROJECT.git\" is required\n")
		want(t, "option as project", s.run(t, "bob", bobKey, "", "git-receive-pack --upload-pack=x"), 1, "", "fatal: \"--upload-pack\" is not a valid option\n")
	})

	t.Run("quoting", func(t *testing.T) {
		// gerritlib leaves a stray quote at the end of some command lines.
		want(t, "stray quote", admin(t, `gerrit ls-projects --format json_compact -p demo"`), 0, `{"demo":{"id":"demo","state":"ACTIVE"}}`+"\n", "")
		want(t, "stray quote on a word", admin(t, `gerrit ls-members devs"`), 0, ok(t, "ls-members", admin(t, "gerrit ls-members devs")), "")
		want(t, "double in single", admin(t, `gerrit create-project q1 --description 'say "hi"'`), 0, "", "")
		want(t, "single in double", admin(t, `gerrit create-project "q'2" --description "it's"`), 0, "", "")
		want(t, "descriptions", admin(t, "gerrit ls-projects -d -p q"), 0, "q'2 - it's\nq1 - say \"hi\"\n", "")
	})
}

// tipOf is the tip of a branch of a project, read anonymously.
func tipOf(t testing.TB, s *server, project, branch string) string {
	t.Helper()
	f := strings.Fields(s.mustGit(t, "", "", "ls-remote", s.httpURL("", "", project), "refs/heads/"+branch))
	if len(f) == 0 {
		t.Fatalf("%s has no branch %s", project, branch)
	}
	return f[0]
}
