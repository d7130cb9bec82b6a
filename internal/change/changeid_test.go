package change

import (
	"errors"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

const (
	goodID = "I8473b95934b5732ac55d26311a706c9c2bde9940"
	zeroID = "I0000000000000000000000000000000000000000"
	webURL = "https://review.example.com/"
)

func TestCheckChangeID(t *testing.T) {
	tests := []struct {
		desc    string
		msg     string
		rules   ChangeIDRules
		want    string
		wantErr error
	}{
		{desc: "footer", msg: "Fix\n\nChange-Id: " + goodID + "\n", rules: ChangeIDRules{Required: true}, want: goodID},
		{
			desc: "among other footers, lower-case key", msg: "Fix\n\nBody\n\nBug: 1\nchange-id: " + goodID + "\nSigned-off-by: A <a@x>\n",
			rules: ChangeIDRules{Required: true}, want: goodID,
		},
		{desc: "footer right under the subject", msg: "Fix\nChange-Id: " + goodID + "\n", want: goodID},
		{desc: "no footer", msg: "Fix\n\nBody\n", rules: ChangeIDRules{Required: true}, wantErr: ErrMissingChangeID},
		{desc: "no footer, not required", msg: "Fix\n\nBody\n", want: ""},
		{desc: "only a Change-Id line", msg: "Change-Id: " + goodID + "\n", rules: ChangeIDRules{Required: true}, wantErr: ErrMissingSubject},
		{desc: "only a Change-Id line, not required", msg: "Change-Id: " + goodID + "\n", wantErr: ErrMissingSubject},
		{
			desc: "only a malformed Change-Id line is just missing", msg: "Change-Id: nonsense\n",
			rules: ChangeIDRules{Required: true}, wantErr: ErrMissingChangeID,
		},
		{
			desc: "Change-Id above the footer", msg: "Fix\n\nChange-Id: " + goodID + "\n\nSigned-off-by: A <a@x>\n",
			rules: ChangeIDRules{Required: true}, wantErr: ErrChangeIDNotInFooter,
		},
		{
			desc: "Change-Id in the last paragraph with no footers", msg: "Fix\n\nSome words\nChange-Id: I12\n\nclosing words\n",
			wantErr: ErrChangeIDNotInFooter,
		},
		{
			desc: "two Change-Ids", msg: "Fix\n\nChange-Id: " + goodID + "\nChange-Id: I" + strings.Repeat("1", 40) + "\n",
			rules: ChangeIDRules{Required: true}, wantErr: ErrMultipleChangeIDs,
		},
		{
			desc: "Change-Id and a Link to another", msg: "Fix\n\nChange-Id: " + goodID + "\nLink: " + webURL + "id/I" + strings.Repeat("1", 40) + "\n",
			rules: ChangeIDRules{Required: true, WebURL: webURL}, wantErr: ErrMultipleChangeIDs,
		},
		{desc: "malformed", msg: "Fix\n\nChange-Id: xyz\n", rules: ChangeIDRules{Required: true}, wantErr: ErrInvalidChangeIDLine},
		{desc: "too short", msg: "Fix\n\nChange-Id: I12\n", wantErr: ErrInvalidChangeIDLine},
		{desc: "upper-case hex is malformed for the footer rule", msg: "Fix\n\nChange-Id: IABCDEF\n", wantErr: ErrInvalidChangeIDLine},
		{desc: "all zeros", msg: "Fix\n\nChange-Id: " + zeroID + "\n", rules: ChangeIDRules{Required: true}, wantErr: ErrInvalidChangeIDLine},
		{desc: "lenient: short id passes the footer rule", msg: "Fix\n\nChange-Id: I1234abcd\n", want: "I1234abcd"},
		{desc: "lenient: lower-case i", msg: "Fix\n\nChange-Id: i" + goodID[1:] + "\n", want: "i" + goodID[1:]},
		{
			desc: "Link footer", msg: "Fix\n\nLink: " + webURL + "id/" + goodID + "\n",
			rules: ChangeIDRules{Required: true, WebURL: webURL}, want: goodID,
		},
		{
			desc: "Link footer, web URL without slash", msg: "Fix\n\nLink: " + webURL + "id/" + goodID + "\n",
			rules: ChangeIDRules{Required: true, WebURL: strings.TrimSuffix(webURL, "/")}, want: goodID,
		},
		{
			desc: "Link footer to another server", msg: "Fix\n\nLink: https://other.example.com/id/" + goodID + "\n",
			rules: ChangeIDRules{Required: true, WebURL: webURL}, wantErr: ErrMissingChangeID,
		},
		{
			desc: "Link footer without a web URL", msg: "Fix\n\nLink: " + webURL + "id/" + goodID + "\n",
			rules: ChangeIDRules{Required: true}, wantErr: ErrMissingChangeID,
		},
		{
			desc: "Link footer with a short id", msg: "Fix\n\nLink: " + webURL + "id/I1234\n",
			rules: ChangeIDRules{Required: true, WebURL: webURL}, wantErr: ErrMissingChangeID,
		},
		{
			desc: "matches the target change", msg: "Fix\n\nChange-Id: " + goodID + "\n",
			rules: ChangeIDRules{Required: true, Target: goodID}, want: goodID,
		},
		{
			desc: "another target change", msg: "Fix\n\nChange-Id: " + goodID + "\n",
			rules: ChangeIDRules{Required: true, Target: "I" + strings.Repeat("2", 40)}, wantErr: ErrChangeIDMismatch,
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := CheckChangeID(tc.msg, tc.rules)
			if got != tc.want || !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Errorf("CheckChangeID(%q) = %q, %v; want %q, %v", tc.msg, got, err, tc.want, tc.wantErr)
			}
			var ce ChangeIDError
			if err != nil && !errors.As(err, &ce) {
				t.Errorf("error %v is not a ChangeIDError", err)
			}
		})
	}
}

// TestChangeIDErrorTexts pins Gerrit's texts: clients and users read them
// in git's "[remote rejected] (…)" line.
func TestChangeIDErrorTexts(t *testing.T) {
	const commit = "abc1234def5678abc1234def5678abc1234def56"
	tests := []struct {
		desc string
		err  ChangeIDError
		want string
	}{
		{"missing", ErrMissingChangeID, "commit abc1234: missing Change-Id in message footer"},
		{"only a Change-Id line", ErrMissingSubject, "commit abc1234: missing subject; Change-Id must be in message footer"},
		{"not in footer", ErrChangeIDNotInFooter, "commit abc1234: Change-Id must be in message footer"},
		{"multiple", ErrMultipleChangeIDs, "commit abc1234: multiple Change-Id lines in message footer"},
		{"malformed", ErrInvalidChangeIDLine, "commit abc1234: invalid Change-Id line format in message footer"},
		{"mismatch", ErrChangeIDMismatch, "commit abc1234: Change-Id in message footer does not match Change-Id of target change"},
		{"invalid for a new change", ErrInvalidChangeID, "invalid Change-Id"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := tc.err.Reason(commit); got != tc.want {
				t.Errorf("Reason = %q, want %q", got, tc.want)
			}
			if got := tc.err.Reason(""); got != tc.err.Error() {
				t.Errorf("Reason without a commit = %q, want %q", got, tc.err.Error())
			}
		})
	}
}

func TestChangeIDErrorHint(t *testing.T) {
	install := HookCommandHTTP("https://review.example.com")
	tests := []struct {
		desc string
		err  ChangeIDError
		want []string // substrings; none means no hint
	}{
		{"missing", ErrMissingChangeID, []string{install, "git commit --amend --no-edit"}},
		{"malformed", ErrInvalidChangeIDLine, []string{install, "git commit --amend --no-edit"}},
		{"not in footer", ErrChangeIDNotInFooter, []string{"git commit --amend\n", "last paragraph"}},
		{"multiple", ErrMultipleChangeIDs, nil},
		{"invalid", ErrInvalidChangeID, nil},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got := tc.err.Hint(install)
			if len(tc.want) == 0 && got != "" {
				t.Errorf("Hint = %q, want none", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("Hint = %q, want it to contain %q", got, w)
				}
			}
		})
	}
}

func TestHookCommands(t *testing.T) {
	tests := []struct{ desc, got, want string }{
		{
			"http", HookCommandHTTP("https://r.example.com/gerrit"),
			`f="$(git rev-parse --git-dir)/hooks/commit-msg"; curl -o "$f" https://r.example.com/gerrit/tools/hooks/commit-msg ; chmod +x "$f"`,
		},
		{
			"ssh", HookCommandSSH("jane", "r.example.com", 29418),
			`gitdir=$(git rev-parse --git-dir); scp -O -p -P 29418 jane@r.example.com:hooks/commit-msg "${gitdir}/hooks/"`,
		},
		{
			"ssh without a user", HookCommandSSH("", "h", 22),
			`gitdir=$(git rev-parse --git-dir); scp -O -p -P 22 <USERNAME>@h:hooks/commit-msg "${gitdir}/hooks/"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestValidChangeID(t *testing.T) {
	tests := []struct {
		desc string
		id   string
		want bool
	}{
		{"good", goodID, true},
		{"upper-case hex", "I8473B95934B5732AC55D26311A706C9C2BDE9940", true},
		{"lower-case i", "i" + goodID[1:], false},
		{"short", goodID[:40], false},
		{"long", goodID + "0", false},
		{"all zeros", zeroID, false},
		{"not hex", "I" + strings.Repeat("g", 40), false},
		{"trailing text", goodID + " x", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := ValidChangeID(tc.id); got != tc.want {
				t.Errorf("ValidChangeID(%q) = %v, want %v", tc.id, got, tc.want)
			}
			err := CheckNewChangeID(tc.id)
			if (err == nil) != tc.want || err != nil && !errors.Is(err, ErrInvalidChangeID) {
				t.Errorf("CheckNewChangeID(%q) = %v", tc.id, err)
			}
		})
	}
}

func TestChangeIDs(t *testing.T) {
	msg := "Fix\n\nChange-Id: I1111\nLink: " + webURL + "id/" + goodID + "\nLink: https://docs.example.com/page\nLink: " + webURL + "id/" + goodID + "x\n"
	m := ParseCommitMessage(msg)
	if got, want := m.ChangeIDs(webURL), []string{"I1111", goodID}; !reflect.DeepEqual(got, want) {
		t.Errorf("ChangeIDs(%q) = %q, want %q", webURL, got, want)
	}
	if got, want := m.ChangeIDs(""), []string{"I1111"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ChangeIDs(\"\") = %q, want %q", got, want)
	}
	if got, want := LinkFooterValue("https://r.example.com", goodID), "https://r.example.com/id/"+goodID; got != want {
		t.Errorf("LinkFooterValue = %q, want %q", got, want)
	}
}

func TestGenerateChangeID(t *testing.T) {
	base := IDSource{
		Tree:      "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
		Parent:    "8473b95934b5732ac55d26311a706c9c2bde9940",
		Author:    "A U Thor <author@example.com> 1700000000 +0100",
		Committer: "C O Mitter <committer@example.com> 1700000001 +0100",
		Message:   "Fix the frobnicator\n\nIt was broken.\n",
	}
	want := GenerateChangeID(base)
	if !ValidChangeID(want) {
		t.Fatalf("GenerateChangeID = %q, not a valid Change-Id", want)
	}

	// The id is git's blob id of the headers and the cleaned message.
	content := "tree " + base.Tree + "\nparent " + base.Parent + "\nauthor " + base.Author +
		"\ncommitter " + base.Committer + "\n\nFix the frobnicator\n\nIt was broken."
	cmd := exec.Command("git", "hash-object", "--stdin")
	cmd.Stdin = strings.NewReader(content)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git hash-object: %v", err)
	}
	if got := "I" + strings.TrimSpace(string(out)); got != want {
		t.Errorf("GenerateChangeID = %q, git hash-object gives %q", want, got)
	}

	with := func(f func(*IDSource)) IDSource {
		s := base
		f(&s)
		return s
	}
	tests := []struct {
		desc string
		in   IDSource
		same bool
	}{
		{"same input", base, true},
		{"comments, sign-off, extra blank lines and a diff ignored", with(func(s *IDSource) {
			s.Message = "\n# comment\nFix the frobnicator\n\n\n\nIt was broken.\nSigned-off-by: A <a@x>\n\ndiff --git a/x b/x\n+x\n"
		}), true},
		{"other message", with(func(s *IDSource) { s.Message = "Fix the other thing\n" }), false},
		{"other tree", with(func(s *IDSource) { s.Tree = strings.Repeat("1", 40) }), false},
		{"root commit", with(func(s *IDSource) { s.Parent = "" }), false},
		{"other committer time", with(func(s *IDSource) { s.Committer = "C O Mitter <committer@example.com> 1700000002 +0100" }), false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got := GenerateChangeID(tc.in)
			if (got == want) != tc.same {
				t.Errorf("GenerateChangeID = %q, base %q; same = %v, want %v", got, want, got == want, tc.same)
			}
		})
	}
}

func TestChangeRefs(t *testing.T) {
	tests := []struct {
		desc         string
		change, ps   int
		wantPS, meta string
	}{
		{"first change", 1, 1, "refs/changes/01/1/1", "refs/changes/01/1/meta"},
		{"two digits", 42, 3, "refs/changes/42/42/3", "refs/changes/42/42/meta"},
		{"hundred", 100, 2, "refs/changes/00/100/2", "refs/changes/00/100/meta"},
		{"large", 884120, 1, "refs/changes/20/884120/1", "refs/changes/20/884120/meta"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := PatchSetRef(tc.change, tc.ps); got != tc.wantPS {
				t.Errorf("PatchSetRef = %q, want %q", got, tc.wantPS)
			}
			if got := ChangeMetaRef(tc.change); got != tc.meta {
				t.Errorf("ChangeMetaRef = %q, want %q", got, tc.meta)
			}
			c, ps, ok := ParsePatchSetRef(tc.wantPS)
			if !ok || c != tc.change || ps != tc.ps {
				t.Errorf("ParsePatchSetRef(%q) = %d, %d, %v", tc.wantPS, c, ps, ok)
			}
			c, rest, ok := ParseChangeRef(tc.meta)
			if !ok || c != tc.change || rest != "meta" {
				t.Errorf("ParseChangeRef(%q) = %d, %q, %v", tc.meta, c, rest, ok)
			}
		})
	}
}

func TestParsePatchSetRefRejects(t *testing.T) {
	for _, ref := range []string{
		"refs/changes/1/1/1",           // shard not two digits
		"refs/changes/02/1/1",          // wrong shard
		"refs/changes/01/01/1",         // leading zero
		"refs/changes/01/1/01",         // leading zero in the patch set
		"refs/changes/01/1/0",          // patch set zero
		"refs/changes/00/0/1",          // change zero
		"refs/changes/01/1",            // no patch set
		"refs/changes/01/1/",           // empty patch set
		"refs/changes/01/1/meta",       // not a patch set
		"refs/changes/01/1/1/x",        // too deep
		"refs/heads/changes/01/1/1",    // other namespace
		"refs/changes/47/9999999999/1", // beyond 32 bits
		"refs/changes/01/+1/1",
	} {
		t.Run(ref, func(t *testing.T) {
			if c, ps, ok := ParsePatchSetRef(ref); ok {
				t.Errorf("ParsePatchSetRef(%q) = %d, %d, true; want false", ref, c, ps)
			}
		})
	}
}

func TestParseChangePushRef(t *testing.T) {
	tests := []struct {
		ref  string
		want int
		ok   bool
	}{
		{"refs/changes/123", 123, true},
		{"refs/changes/23/123", 123, true},
		{"refs/changes/23/123/4", 123, true},
		{"refs/changes/0", 0, false},
		{"refs/changes/01", 0, false},
		{"refs/changes/23/123/meta", 0, false},
		{"refs/changes/123/", 0, false},
		{"refs/for/main", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			got, ok := ParseChangePushRef(tc.ref)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseChangePushRef(%q) = %d, %v; want %d, %v", tc.ref, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestEditRef(t *testing.T) {
	ref := EditRefPrefix(1000007, 42) + "3"
	if ref != "refs/users/07/1000007/edit-42/3" {
		t.Fatalf("EditRefPrefix: %s", ref)
	}
	if a, c, ps, ok := ParseEditRef(ref); !ok || a != 1000007 || c != 42 || ps != 3 {
		t.Fatalf("ParseEditRef(%s) = %d %d %d %v", ref, a, c, ps, ok)
	}
	for _, bad := range []string{"refs/users/7/1000007/edit-42/3", "refs/users/08/1000007/edit-42/3", "refs/users/07/1000007/edit-42/x",
		"refs/users/07/1000007/edit-42/03", "refs/users/07/1000007/edit-42/3/x", "refs/users/07/1000007", "refs/heads/main"} {
		if _, _, _, ok := ParseEditRef(bad); ok {
			t.Errorf("ParseEditRef(%s) accepted", bad)
		}
	}
}
