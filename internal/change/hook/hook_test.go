package hook

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"tandem/internal/change"
)

// shells run the hook: Debian's /bin/sh, and bash in POSIX mode for the
// systems whose sh is bash.
var shells = []struct {
	name string
	argv []string
}{
	{"dash", []string{"dash"}},
	{"bash --posix", []string{"bash", "--posix"}},
}

// repo is a scratch git repository with the hook installed.
type repo struct {
	t      testing.TB
	dir    string
	env    []string
	script string   // the hook as served
	shell  []string // the shell that runs it
}

func newRepo(t testing.TB, shell []string) *repo {
	t.Helper()
	base := t.TempDir()
	r := &repo{t: t, dir: filepath.Join(base, "work"), shell: shell, script: filepath.Join(base, "commit-msg")}
	r.env = []string{
		"HOME=" + base, "PATH=" + os.Getenv("PATH"), "LANG=C", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=A U Thor", "GIT_AUTHOR_EMAIL=author@example.com",
		"GIT_COMMITTER_NAME=C O Mitter", "GIT_COMMITTER_EMAIL=committer@example.com",
		"GIT_AUTHOR_DATE=1700000000 +0000", "GIT_COMMITTER_DATE=1700000000 +0000",
	}
	if err := os.WriteFile(r.script, CommitMsg(), Mode); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("git", "init", "-q", "-b", "main", r.dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	// A wrapper, so that git runs the served script with this shell.
	wrapper := "#!/bin/sh\nexec " + strings.Join(shell, " ") + " '" + r.script + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(r.dir, ".git", "hooks", "commit-msg"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	return r
}

// run runs git and returns its combined output and error.
func (r *repo) run(stdin string, args ...string) (string, error) {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir, cmd.Env = r.dir, r.env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	out, err := r.run("", args...)
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// message is HEAD's commit message.
func (r *repo) message() string {
	r.t.Helper()
	return r.git("log", "-1", "--format=%B")
}

// hook runs the hook directly with args; it returns stdout and stderr
// together and the exit status.
func (r *repo) hook(args ...string) (string, int) {
	r.t.Helper()
	cmd := exec.Command(r.shell[0], append(append(r.shell[1:], r.script), args...)...)
	cmd.Dir, cmd.Env = r.dir, r.env
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		r.t.Fatal(err)
	}
	return string(out), 0
}

func (r *repo) write(name, content string) string {
	r.t.Helper()
	path := filepath.Join(r.dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
	return path
}

var idPattern = regexp.MustCompile(`I[0-9a-f]{40}`)

// TestCommits makes commits with the hook installed and checks the
// messages git stores. In want, {id} stands for the first Change-Id found.
func TestCommits(t *testing.T) {
	tests := []struct {
		desc   string
		config map[string]string
		steps  [][]string // git commands, run in order
		want   string
	}{
		{
			desc:  "adds a Change-Id as a new paragraph",
			steps: [][]string{{"commit", "-q", "--allow-empty", "-m", "Fix the frobnicator"}},
			want:  "Fix the frobnicator\n\nChange-Id: {id}\n\n",
		},
		{
			desc:  "joins an existing footer block",
			steps: [][]string{{"commit", "-q", "--allow-empty", "-m", "Fix\n\nBody text.\n\nBug: 42"}},
			want:  "Fix\n\nBody text.\n\nBug: 42\nChange-Id: {id}\n\n",
		},
		{
			desc:  "goes before Signed-off-by",
			steps: [][]string{{"commit", "-q", "-s", "--allow-empty", "-m", "Fix\n\nBug: 42\nSigned-off-by: Other <other@example.com>"}},
			want:  "Fix\n\nBug: 42\nChange-Id: {id}\nSigned-off-by: Other <other@example.com>\nSigned-off-by: C O Mitter <committer@example.com>\n\n",
		},
		{
			desc:  "goes before a sign-off made by -s",
			steps: [][]string{{"commit", "-q", "-s", "--allow-empty", "-m", "Fix"}},
			want:  "Fix\n\nChange-Id: {id}\nSigned-off-by: C O Mitter <committer@example.com>\n\n",
		},
		{
			desc:  "an existing Change-Id is kept",
			steps: [][]string{{"commit", "-q", "--allow-empty", "-m", "Fix\n\nChange-Id: I1234567890123456789012345678901234567890"}},
			want:  "Fix\n\nChange-Id: I1234567890123456789012345678901234567890\n\n",
		},
		{
			desc:  "an existing Change-Id in another case is kept",
			steps: [][]string{{"commit", "-q", "--allow-empty", "-m", "Fix\n\nchange-id: I1234567890123456789012345678901234567890"}},
			want:  "Fix\n\nchange-id: I1234567890123456789012345678901234567890\n\n",
		},
		{
			desc:  "a Change-Id above the footer block is not the footer",
			steps: [][]string{{"commit", "-q", "--allow-empty", "-m", "Fix\n\nChange-Id: I1234567890123456789012345678901234567890\n\nMore words."}},
			want:  "Fix\n\nChange-Id: I1234567890123456789012345678901234567890\n\nMore words.\n\nChange-Id: {id2}\n\n",
		},
		{
			desc: "fixup! and squash! commits get none",
			steps: [][]string{
				{"commit", "-q", "--allow-empty", "-m", "Base"},
				{"commit", "-q", "--allow-empty", "--fixup", "HEAD"},
			},
			want: "fixup! Base\n\n",
		},
		{
			desc:  "squash! by hand",
			steps: [][]string{{"commit", "-q", "--allow-empty", "-m", "squash! Base\n\nmore"}},
			want:  "squash! Base\n\nmore\n\n",
		},
		{
			desc:  "a capitalised word with ! is an ordinary subject",
			steps: [][]string{{"commit", "-q", "--allow-empty", "-m", "Wow! It works"}},
			want:  "Wow! It works\n\nChange-Id: {id}\n\n",
		},
		{
			desc:   "createChangeId always: fixup! gets one too",
			config: map[string]string{"gerrit.createChangeId": "always"},
			steps:  [][]string{{"commit", "-q", "--allow-empty", "-m", "fixup! Base"}},
			want:   "fixup! Base\n\nChange-Id: {id}\n\n",
		},
		{
			desc:   "createChangeId false: none",
			config: map[string]string{"gerrit.createChangeId": "false"},
			steps:  [][]string{{"commit", "-q", "--allow-empty", "-m", "Fix"}},
			want:   "Fix\n\n",
		},
		{
			desc:   "createChangeId no: none",
			config: map[string]string{"gerrit.createChangeId": "no"},
			steps:  [][]string{{"commit", "-q", "--allow-empty", "-m", "Fix"}},
			want:   "Fix\n\n",
		},
		{
			desc:   "createChangeId true: as usual",
			config: map[string]string{"gerrit.createChangeId": "true"},
			steps:  [][]string{{"commit", "-q", "--allow-empty", "-m", "Fix"}},
			want:   "Fix\n\nChange-Id: {id}\n\n",
		},
		{
			desc:   "reviewUrl: a Link trailer",
			config: map[string]string{"gerrit.reviewUrl": "https://review.example.com/"},
			steps:  [][]string{{"commit", "-q", "-s", "--allow-empty", "-m", "Fix"}},
			want:   "Fix\n\nLink: https://review.example.com/id/{id}\nSigned-off-by: C O Mitter <committer@example.com>\n\n",
		},
		{
			desc:   "reviewUrl: an existing Link is kept",
			config: map[string]string{"gerrit.reviewUrl": "https://review.example.com"},
			steps:  [][]string{{"commit", "-q", "--allow-empty", "-m", "Fix\n\nLink: https://review.example.com/id/I1234567890123456789012345678901234567890"}},
			want:   "Fix\n\nLink: https://review.example.com/id/I1234567890123456789012345678901234567890\n\n",
		},
		{
			desc:   "reviewUrl: an existing Change-Id is kept",
			config: map[string]string{"gerrit.reviewUrl": "https://review.example.com"},
			steps:  [][]string{{"commit", "-q", "--allow-empty", "-m", "Fix\n\nChange-Id: I1234567890123456789012345678901234567890"}},
			want:   "Fix\n\nChange-Id: I1234567890123456789012345678901234567890\n\n",
		},
		{
			desc:  "a Link to something else is no Change-Id",
			steps: [][]string{{"commit", "-q", "--allow-empty", "-m", "Fix\n\nLink: https://docs.example.com/page"}},
			want:  "Fix\n\nLink: https://docs.example.com/page\nChange-Id: {id}\n\n",
		},
	}
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.desc, func(t *testing.T) {
					r := newRepo(t, sh.argv)
					for k, v := range tc.config {
						r.git("config", k, v)
					}
					for _, step := range tc.steps {
						r.git(step...)
					}
					got := r.message()
					want := tc.want
					ids := idPattern.FindAllString(got, -1)
					if strings.Contains(want, "{id}") && len(ids) > 0 {
						want = strings.ReplaceAll(want, "{id}", ids[0])
					}
					if strings.Contains(want, "{id2}") && len(ids) > 1 {
						want = strings.ReplaceAll(want, "{id2}", ids[1])
					}
					if got != want {
						t.Errorf("message:\n%q\nwant\n%q", got, want)
					}
					if strings.Contains(tc.want, "{id") {
						if _, err := change.CheckChangeID(got, change.ChangeIDRules{Required: true, WebURL: "https://review.example.com/"}); err != nil {
							t.Errorf("the server refuses the message: %v", err)
						}
					}
				})
			}
		})
	}
}

// TestAmendKeepsChangeID: amending, with or without new content, keeps the
// change's id; a new commit on top gets another.
func TestAmendKeepsChangeID(t *testing.T) {
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			r := newRepo(t, sh.argv)
			r.write("a.txt", "one\n")
			r.git("add", "a.txt")
			r.git("commit", "-q", "-m", "Add a")
			first := idPattern.FindString(r.message())
			if first == "" {
				t.Fatalf("no Change-Id in %q", r.message())
			}
			r.write("a.txt", "two\n")
			r.git("commit", "-q", "-a", "--amend", "--no-edit")
			if got := idPattern.FindAllString(r.message(), -1); len(got) != 1 || got[0] != first {
				t.Errorf("after amend: ids %q, want [%s]", got, first)
			}
			r.git("commit", "-q", "--amend", "-m", "Add a, reworded\n\nChange-Id: "+first)
			if got := idPattern.FindAllString(r.message(), -1); len(got) != 1 || got[0] != first {
				t.Errorf("after reword: ids %q, want [%s]", got, first)
			}
			r.git("commit", "-q", "--allow-empty", "-m", "Add a")
			if second := idPattern.FindString(r.message()); second == "" || second == first {
				t.Errorf("new commit with the same message got %q, want a new id (first %s)", second, first)
			}
		})
	}
}

// TestEditorSession commits through an editor with `git commit -v`: the
// template's comments and the diff below the scissors line stay out of the
// message, and the trailer lands in it.
func TestEditorSession(t *testing.T) {
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			r := newRepo(t, sh.argv)
			editor := r.write("editor.sh", "#!/bin/sh\n{ printf 'Edited subject\\n\\nSigned-off-by: Ed <ed@example.com>\\n'; cat \"$1\"; } >\"$1.new\" && mv \"$1.new\" \"$1\"\n")
			if err := os.Chmod(editor, 0o755); err != nil {
				t.Fatal(err)
			}
			r.env = append(r.env, "GIT_EDITOR="+editor)
			r.write("b.txt", "content\n")
			r.git("add", "b.txt")
			r.git("commit", "-q", "-v")
			got := r.message()
			id := idPattern.FindString(got)
			want := "Edited subject\n\nChange-Id: " + id + "\nSigned-off-by: Ed <ed@example.com>\n\n"
			if id == "" || got != want {
				t.Errorf("message:\n%q\nwant\n%q", got, want)
			}
		})
	}
}

// TestChangeIDFormula checks the id: "I" and git's blob id of the
// committer ident, the commit the new one goes on (the empty tree on an
// unborn branch) and the message file as written.
func TestChangeIDFormula(t *testing.T) {
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			r := newRepo(t, sh.argv)
			const msg = "Fix\n\nBody\n"
			check := func(base string) {
				t.Helper()
				file := r.write("msg", msg)
				if out, code := r.hook(file); code != 0 {
					t.Fatalf("hook: status %d: %s", code, out)
				}
				data, _ := os.ReadFile(file)
				ident := r.git("var", "GIT_COMMITTER_IDENT")
				sum, err := r.run(ident+base+"\n"+msg, "hash-object", "--stdin")
				if err != nil {
					t.Fatal(err)
				}
				want := msg + "\nChange-Id: I" + strings.TrimSpace(sum) + "\n"
				if string(data) != want {
					t.Errorf("on %s: message %q, want %q", base, data, want)
				}
			}
			check(strings.TrimSpace(r.git("hash-object", "-t", "tree", "/dev/null")))
			r.git("commit", "-q", "--allow-empty", "-m", "Base")
			check(strings.TrimSpace(r.git("rev-parse", "HEAD")))
		})
	}
}

// TestRefusals runs the hook the wrong way: it must fail and leave the
// message alone.
func TestRefusals(t *testing.T) {
	tests := []struct {
		desc    string
		content string // message file; "" means no file argument at all
		args    func(file string) []string
	}{
		{desc: "no argument", args: func(string) []string { return nil }},
		{desc: "two arguments", content: "Fix\n", args: func(f string) []string { return []string{f, f} }},
		{desc: "missing file", args: func(f string) []string { return []string{f + ".missing"} }},
		{desc: "empty message", content: "\n\n", args: func(f string) []string { return []string{f} }},
		{
			desc:    "only comments and a scissors part",
			content: "# Please enter the commit message\n#\n# ------------------------ >8 ------------------------\nSubject-looking line\n",
			args:    func(f string) []string { return []string{f} },
		},
	}
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.desc, func(t *testing.T) {
					r := newRepo(t, sh.argv)
					file := filepath.Join(r.dir, "msg")
					if tc.content != "" {
						r.write("msg", tc.content)
					}
					out, code := r.hook(tc.args(file)...)
					if code == 0 {
						t.Errorf("hook succeeded, output %q", out)
					}
					if !strings.Contains(out, "commit-msg hook: ") {
						t.Errorf("output %q does not explain", out)
					}
					if data, _ := os.ReadFile(file); string(data) != tc.content {
						t.Errorf("message file now %q, want %q", data, tc.content)
					}
				})
			}
		})
	}
}

// TestEmptyMessageStopsCommit: git runs the hook before its own empty
// message check, so the hook's refusal is what stops the commit.
func TestEmptyMessageStopsCommit(t *testing.T) {
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			r := newRepo(t, sh.argv)
			out, err := r.run("", "commit", "--allow-empty", "--allow-empty-message", "-m", "")
			if err == nil {
				t.Fatalf("commit with an empty message succeeded: %s", out)
			}
			if !strings.Contains(out, "empty") {
				t.Errorf("output %q does not say the message is empty", out)
			}
			if _, err := r.run("", "rev-parse", "--verify", "-q", "HEAD"); err == nil {
				t.Errorf("a commit was made")
			}
		})
	}
}

func TestFile(t *testing.T) {
	tests := []struct {
		desc string
		path string
		ok   bool
	}{
		{"the hook", "hooks/commit-msg", true},
		{"leading slash", "/hooks/commit-msg", true},
		{"directory", "hooks", false},
		{"other hook", "hooks/pre-commit", false},
		{"bare name", "commit-msg", false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			data, mode, err := File(tc.path)
			switch {
			case tc.ok && (err != nil || !bytes.Equal(data, CommitMsg()) || mode != 0o755):
				t.Errorf("File(%q) = %d bytes, %v, %v; want the hook, 0755", tc.path, len(data), mode, err)
			case !tc.ok && !errors.Is(err, fs.ErrNotExist):
				t.Errorf("File(%q) error = %v, want fs.ErrNotExist", tc.path, err)
			}
		})
	}
	if !bytes.HasPrefix(CommitMsg(), []byte("#!/bin/sh\n")) {
		t.Errorf("the hook does not start with #!/bin/sh")
	}
}
