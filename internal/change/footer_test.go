package change

import (
	"reflect"
	"testing"
)

func TestParseMessage(t *testing.T) {
	tests := []struct {
		desc    string
		msg     string
		subject string
		body    string
		block   string
		footers []Footer
	}{
		{desc: "empty", msg: ""},
		{desc: "subject only", msg: "Fix the frobnicator\n", subject: "Fix the frobnicator"},
		{
			desc: "subject that looks like a footer", msg: "Change-Id: I1234567\n",
			subject: "Change-Id: I1234567",
		},
		{
			desc:    "subject, body, footers",
			msg:     "Fix it\n\nLonger text\nover two lines.\n\nBug: 42\nChange-Id: Iabc\nSigned-off-by: A <a@example.com>\n",
			subject: "Fix it", body: "Longer text\nover two lines.",
			block:   "Bug: 42\nChange-Id: Iabc\nSigned-off-by: A <a@example.com>",
			footers: []Footer{{"Bug", "42"}, {"Change-Id", "Iabc"}, {"Signed-off-by", "A <a@example.com>"}},
		},
		{
			desc: "last paragraph without footers is body", msg: "Fix\n\nJust words here.\n",
			subject: "Fix", body: "Just words here.",
		},
		{
			desc:    "footers only in an earlier paragraph do not count",
			msg:     "Fix\n\nChange-Id: Iabc\n\nMore words.\n",
			subject: "Fix", body: "Change-Id: Iabc\n\nMore words.",
		},
		{
			desc:    "multi-line subject is joined",
			msg:     "Fix the\nfrobnicator\n\nChange-Id: Iabc\n",
			subject: "Fix the frobnicator", block: "Change-Id: Iabc", footers: []Footer{{"Change-Id", "Iabc"}},
		},
		{
			desc: "footer right under the subject counts (JGit)", msg: "Fix\nChange-Id: Iabc\n",
			subject: "Fix Change-Id: Iabc", block: "Change-Id: Iabc", footers: []Footer{{"Change-Id", "Iabc"}},
		},
		{
			desc:    "non-footer lines in the block are skipped",
			msg:     "Fix\n\nSome words\nChange-Id: Iabc\nKey with space: x\n",
			subject: "Fix", block: "Some words\nChange-Id: Iabc\nKey with space: x",
			footers: []Footer{{"Change-Id", "Iabc"}},
		},
		{
			desc:    "continuation lines join the footer above",
			msg:     "Fix\n\nBug: 1\n  and 2\n\tand 3\nChange-Id: Iabc\n",
			subject: "Fix", block: "Bug: 1\n  and 2\n\tand 3\nChange-Id: Iabc",
			footers: []Footer{{"Bug", "1 and 2 and 3"}, {"Change-Id", "Iabc"}},
		},
		{
			desc:    "spaces around the value are trimmed, no space needed",
			msg:     "Fix\n\nChange-Id:Iabc  \nX-Y:   z\n",
			subject: "Fix", block: "Change-Id:Iabc  \nX-Y:   z",
			footers: []Footer{{"Change-Id", "Iabc"}, {"X-Y", "z"}},
		},
		{
			desc: "trailing blank lines and CRLF", msg: "Fix\r\n\r\nChange-Id: Iabc\r\n\n\n",
			subject: "Fix", block: "Change-Id: Iabc\r", footers: []Footer{{"Change-Id", "Iabc"}},
		},
		{
			desc: "leading blank lines before the subject", msg: "\n\nFix\n\nBody\n",
			subject: "Fix", body: "Body",
		},
		{
			desc: "whitespace-only line separates paragraphs", msg: "Fix\n\nBody\n  \nChange-Id: Iabc\n",
			subject: "Fix", body: "Body", block: "Change-Id: Iabc", footers: []Footer{{"Change-Id", "Iabc"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			m := ParseCommitMessage(tc.msg)
			if m.Subject != tc.subject || m.Body != tc.body || m.FooterBlock != tc.block || !reflect.DeepEqual(m.Footers, tc.footers) {
				t.Errorf("ParseCommitMessage(%q):\n got subject %q body %q block %q footers %q\nwant subject %q body %q block %q footers %q",
					tc.msg, m.Subject, m.Body, m.FooterBlock, m.Footers, tc.subject, tc.body, tc.block, tc.footers)
			}
		})
	}
}

func TestMessageValues(t *testing.T) {
	m := ParseCommitMessage("Fix\n\nchange-id: I1\nCHANGE-ID: I2\nSigned-off-by: A <a@x>\n")
	if got, want := m.Values("Change-Id"), []string{"I1", "I2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Values = %q, want %q", got, want)
	}
	if !m.Has("signed-off-by", "A <a@x>") || m.Has("Signed-off-by", "B <b@x>") {
		t.Errorf("Has answers wrongly on %q", m.Footers)
	}
}

func TestAddFooters(t *testing.T) {
	tests := []struct {
		desc string
		msg  string
		add  []Footer
		want string
	}{
		{
			desc: "new paragraph when there are no footers", msg: "Fix\n\nBody.\n",
			add:  []Footer{{"Reviewed-on", "http://r/c/p/+/1"}},
			want: "Fix\n\nBody.\n\nReviewed-on: http://r/c/p/+/1\n",
		},
		{
			desc: "appended after existing footers, sign-offs included",
			msg:  "Fix\n\nChange-Id: Iabc\nSigned-off-by: A <a@x>\n",
			add:  []Footer{{"Reviewed-on", "u"}, {"Reviewed-by", "B <b@x>"}},
			want: "Fix\n\nChange-Id: Iabc\nSigned-off-by: A <a@x>\nReviewed-on: u\nReviewed-by: B <b@x>\n",
		},
		{
			desc: "present with the same value is not repeated",
			msg:  "Fix\n\nReviewed-on: u\n", add: []Footer{{"reviewed-on", "u"}, {"Tested-by", "C"}, {"Tested-by", "C"}},
			want: "Fix\n\nReviewed-on: u\nTested-by: C\n",
		},
		{
			desc: "same key, other value is added", msg: "Fix\n\nReviewed-on: u\n", add: []Footer{{"Reviewed-on", "v"}},
			want: "Fix\n\nReviewed-on: u\nReviewed-on: v\n",
		},
		{desc: "missing final newline", msg: "Fix", add: []Footer{{"A", "b"}}, want: "Fix\n\nA: b\n"},
		{desc: "nothing to add normalises the end", msg: "Fix\n\n\n", want: "Fix\n"},
		{desc: "empty message", msg: "", add: []Footer{{"A", "b"}}, want: "A: b\n"},
		{
			desc: "footer block under the subject is extended", msg: "Fix\nBug: 1\n", add: []Footer{{"A", "b"}},
			want: "Fix\nBug: 1\nA: b\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := AddFooters(tc.msg, tc.add...); got != tc.want {
				t.Errorf("AddFooters(%q, %q) =\n%q\nwant\n%q", tc.msg, tc.add, got, tc.want)
			}
		})
	}
}

func TestSetFooter(t *testing.T) {
	tests := []struct {
		desc string
		msg  string
		f    Footer
		want string
	}{
		{
			desc: "replaced in place", msg: "Fix\n\nBug: 1\nChange-Id: Iold\nSigned-off-by: A\n",
			f: Footer{"Change-Id", "Inew"}, want: "Fix\n\nBug: 1\nChange-Id: Inew\nSigned-off-by: A\n",
		},
		{
			desc: "others and continuation lines removed", msg: "Fix\n\nchange-id: I1\n  more\nBug: 1\nChange-Id: I2\n",
			f: Footer{"Change-Id", "I3"}, want: "Fix\n\nChange-Id: I3\nBug: 1\n",
		},
		{
			desc: "added when missing", msg: "Fix\n\nBody\n",
			f: Footer{"Change-Id", "I3"}, want: "Fix\n\nBody\n\nChange-Id: I3\n",
		},
		{
			desc: "a Change-Id above the footer is left alone", msg: "Fix\n\nChange-Id: I1\n\nBug: 2\n",
			f: Footer{"Change-Id", "I3"}, want: "Fix\n\nChange-Id: I1\n\nBug: 2\nChange-Id: I3\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := SetFooter(tc.msg, tc.f); got != tc.want {
				t.Errorf("SetFooter(%q, %q) =\n%q\nwant\n%q", tc.msg, tc.f, got, tc.want)
			}
		})
	}
}

func TestInsertFooterBeforeSignOff(t *testing.T) {
	id := Footer{"Change-Id", "I0123"}
	tests := []struct {
		desc string
		msg  string
		want string
	}{
		{desc: "new paragraph", msg: "Fix\n\nBody\n", want: "Fix\n\nBody\n\nChange-Id: I0123\n"},
		{desc: "subject only", msg: "Fix", want: "Fix\n\nChange-Id: I0123\n"},
		{desc: "end of block without sign-off", msg: "Fix\n\nBug: 1\n", want: "Fix\n\nBug: 1\nChange-Id: I0123\n"},
		{
			desc: "before the first sign-off", msg: "Fix\n\nBug: 1\nSigned-off-by: A\nAcked-by: C\nsigned-off-by: B\n",
			want: "Fix\n\nBug: 1\nChange-Id: I0123\nSigned-off-by: A\nAcked-by: C\nsigned-off-by: B\n",
		},
		{desc: "empty message", msg: "\n", want: "Change-Id: I0123\n"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := InsertFooterBeforeSignOff(tc.msg, id); got != tc.want {
				t.Errorf("InsertFooterBeforeSignOff(%q) =\n%q\nwant\n%q", tc.msg, got, tc.want)
			}
		})
	}
}

func TestAddSubmitFooters(t *testing.T) {
	const (
		id  = "I1111111111111111111111111111111111111111"
		url = "https://review.example.com/c/p/+/7"
	)
	votes := []SubmitVote{
		{Label: "Code-Review", Name: "Rita Reviewer", Email: "rita@example.com"},
		{Label: "Verified", Name: "CI Bot", Email: "ci@example.com"},
		{Label: "QA-Review", Email: "qa@example.com"},
		{Label: "Code-Review", Name: "Nameless"},
		{Label: "Code-Review"},
	}
	tests := []struct {
		desc string
		msg  string
		s    SubmitFooters
		want string
	}{
		{
			desc: "all footers in a new paragraph", msg: "Fix\n\nBody\n",
			s: SubmitFooters{ChangeID: id, ReviewedOn: url, Votes: votes},
			want: "Fix\n\nBody\n\nChange-Id: " + id + "\nReviewed-on: " + url +
				"\nReviewed-by: Rita Reviewer <rita@example.com>\nTested-by: CI Bot <ci@example.com>\nQA-Review: <qa@example.com>\nReviewed-by: Nameless\n",
		},
		{
			desc: "existing Change-Id kept, footers appended after sign-off",
			msg:  "Fix\n\nChange-Id: " + id + "\nSigned-off-by: Rita Reviewer <rita@example.com>\n",
			s:    SubmitFooters{ChangeID: id, ReviewedOn: url, Votes: votes[:2]},
			want: "Fix\n\nChange-Id: " + id + "\nSigned-off-by: Rita Reviewer <rita@example.com>\nReviewed-on: " + url +
				"\nTested-by: CI Bot <ci@example.com>\n",
		},
		{
			desc: "a Link footer is a Change-Id",
			msg:  "Fix\n\nLink: https://review.example.com/id/" + id + "\n",
			s:    SubmitFooters{ChangeID: id, WebURL: "https://review.example.com/"},
			want: "Fix\n\nLink: https://review.example.com/id/" + id + "\n",
		},
		{
			desc: "second submit (cherry-pick of a cherry-pick) adds nothing twice",
			msg:  "Fix\n\nChange-Id: " + id + "\nReviewed-on: " + url + "\nReviewed-by: Rita Reviewer <rita@example.com>\n",
			s:    SubmitFooters{ChangeID: id, ReviewedOn: url, Votes: votes[:1]},
			want: "Fix\n\nChange-Id: " + id + "\nReviewed-on: " + url + "\nReviewed-by: Rita Reviewer <rita@example.com>\n",
		},
		{
			desc: "another change's Change-Id does not count",
			msg:  "Fix\n\nChange-Id: I2222222222222222222222222222222222222222\n",
			s:    SubmitFooters{ChangeID: id},
			want: "Fix\n\nChange-Id: I2222222222222222222222222222222222222222\nChange-Id: " + id + "\n",
		},
		{
			desc: "empty message", msg: "",
			s:    SubmitFooters{ChangeID: id},
			want: "<no commit message provided>\n\nChange-Id: " + id + "\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := AddSubmitFooters(tc.msg, tc.s); got != tc.want {
				t.Errorf("AddSubmitFooters(%q) =\n%s\nwant\n%s", tc.msg, got, tc.want)
			}
		})
	}
}

func TestSubmitVoteFooterKey(t *testing.T) {
	tests := []struct{ desc, label, want string }{
		{"code review", "Code-Review", "Reviewed-by"},
		{"verified", "Verified", "Tested-by"},
		{"other label", "Library-Compliance", "Library-Compliance"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := (SubmitVote{Label: tc.label}).FooterKey(); got != tc.want {
				t.Errorf("FooterKey(%q) = %q, want %q", tc.label, got, tc.want)
			}
		})
	}
}
