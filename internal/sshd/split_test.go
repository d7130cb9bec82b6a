package sshd

import (
	"slices"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		desc string
		line string
		want []string
	}{
		{desc: "empty", line: "", want: nil},
		{desc: "blanks only", line: " \t ", want: nil},
		{desc: "plain words", line: "gerrit ls-groups -v", want: []string{"gerrit", "ls-groups", "-v"}},
		{desc: "runs of whitespace", line: "  a \t b\n c\r\n", want: []string{"a", "b", "c"}},
		{desc: "single quotes", line: "git-upload-pack '/my project.git'", want: []string{"git-upload-pack", "/my project.git"}},
		{desc: "double quotes", line: `review -m "looks good" 1,1`, want: []string{"review", "-m", "looks good", "1,1"}},
		{desc: "double inside single", line: `-m '"quoted"'`, want: []string{"-m", `"quoted"`}},
		{desc: "single inside double", line: `-m "it's"`, want: []string{"-m", "it's"}},
		{desc: "nested quotes for description", line: `--description "'a b'"`, want: []string{"--description", "'a b'"}},
		{desc: "quotes join with neighbours", line: `a"b c"d`, want: []string{"ab cd"}},
		{desc: "backslash escapes space", line: `a\ b c`, want: []string{"a b", "c"}},
		{desc: "backslash escapes quote", line: `\"a`, want: []string{`"a`}},
		{desc: "backslash in double quotes", line: `"a\"b"`, want: []string{`a"b`}},
		{desc: "backslash literal in single quotes", line: `'a\b'`, want: []string{`a\b`}},
		{desc: "trailing backslash", line: `a\`, want: []string{`a\`}},
		{desc: "empty quoted word", line: `a '' b ""`, want: []string{"a", "", "b", ""}},
		{desc: "unterminated double quote (gerritlib)", line: `gerrit query --format json X"`, want: []string{"gerrit", "query", "--format", "json", "X"}},
		{desc: "unterminated quote runs to end", line: `a "b c`, want: []string{"a", "b c"}},
		{desc: "lone open quote dropped", line: `a "`, want: []string{"a"}},
		{desc: "newline inside quotes kept", line: "-m 'l1\nl2'", want: []string{"-m", "l1\nl2"}},
		{desc: "utf-8", line: `-m "héllo wörld"`, want: []string{"-m", "héllo wörld"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := Split(tc.line); !slices.Equal(got, tc.want) {
				t.Errorf("Split(%q) = %q, want %q", tc.line, got, tc.want)
			}
		})
	}
}
