package query

import (
	"errors"
	"strings"
	"testing"

	"tandem/internal/fail"
)

func TestParse(t *testing.T) {
	tests := []struct {
		desc string
		q    string
		want string // the tree, rendered by Node.String
	}{
		{"one term", "status:open", "status:open"},
		{"bare word", "frob", "frob"},
		{"bare number", "123", "123"},
		{"juxtaposition is AND", "status:open project:P", "status:open AND project:P"},
		{"explicit AND", "status:open AND project:P", "status:open AND project:P"},
		{"lowercase keywords", "a and b or c", "a AND b OR c"},
		{"AND binds tighter than OR", "a OR b c", "a OR b AND c"},
		{"AND binds tighter than OR, left", "a b OR c", "a AND b OR c"},
		{"parentheses", "(a OR b) c", "(a OR b) AND c"},
		{"nested parentheses", "((a))", "a"},
		{"minus", "-is:wip", "-is:wip"},
		{"NOT", "NOT is:wip", "-is:wip"},
		{"not", "not is:wip", "-is:wip"},
		{"double negation", "NOT -is:wip", "is:wip"},
		{"negated group", "-(a OR b)", "-(a OR b)"},
		{"NOT binds tighter than AND", "NOT a b", "-a AND b"},
		{"flattened", "a (b c) (d (e))", "a AND b AND c AND d AND e"},
		{"or flattened", "a OR (b OR c)", "a OR b OR c"},
		{"quoted value", `message:"fix the bug"`, `message:"fix the bug"`},
		{"escaped quote", `message:"say \"hi\""`, `message:"say \"hi\""`},
		{"escaped backslash", `message:"a\\b"`, `message:"a\\b"`},
		{"braces", "message:{fix the bug}", `message:"fix the bug"`},
		{"quoted bare phrase", `"two words"`, `"two words"`},
		{"keyword quoted", `"OR"`, `"OR"`},
		{"label value chars", "label:Code-Review>=+2", "label:Code-Review>=+2"},
		{"label args", "label:Code-Review=MAX,user=non_uploader", "label:Code-Review=MAX,user=non_uploader"},
		{"label with ampersand", "label:Code-Review=MAX&user=non_uploader", "label:Code-Review=MAX&user=non_uploader"},
		{"field case folded", "Status:open", "status:open"},
		{"regex value", `file:^.*\.java`, `file:"^.*\\.java"`},
		{"time quoted", `before:"2024-01-02 10:00:00"`, `before:"2024-01-02 10:00:00"`},
		{"value with slash", "branch:refs/heads/main", "branch:refs/heads/main"},
		{"paren right after term", "(status:open)", "status:open"},
		{"spaces everywhere", "  a   OR\tb  ", "a OR b"},
		{"hyphen inside a word", "foo-bar", "foo-bar"},
		{"minus before a phrase", `-"a b"`, `-"a b"`},
		{"empty phrase value", `topic:""`, `topic:""`},
		{"gertty", "status:open is:mergeable conflicts:5", "status:open AND is:mergeable AND conflicts:5"},
		{"submit requirement", "label:Code-Review=MAX,user=non_uploader AND -label:Code-Review=MIN",
			"label:Code-Review=MAX,user=non_uploader AND -label:Code-Review=MIN"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			n, err := Parse(tc.q)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.q, err)
			}
			if got := n.String(); got != tc.want {
				t.Errorf("Parse(%q) = %s, want %s", tc.q, got, tc.want)
			}
			// The rendering parses back to the same tree.
			again, err := Parse(n.String())
			if err != nil {
				t.Fatalf("Parse(%q) (the rendering): %v", n.String(), err)
			}
			if again.String() != n.String() {
				t.Errorf("round trip of %q: %s, want %s", tc.q, again.String(), n.String())
			}
		})
	}
}

func TestParseTree(t *testing.T) {
	n, err := Parse(`a OR -b c:"x y"`)
	if err != nil {
		t.Fatal(err)
	}
	if n.Op != OpOr || len(n.Kids) != 2 {
		t.Fatalf("root = %+v, want OR of 2", n)
	}
	if k := n.Kids[0]; k.Op != OpTerm || k.Field != "" || k.Value != "a" {
		t.Errorf("first kid = %+v, want bare a", k)
	}
	and := n.Kids[1]
	if and.Op != OpAnd || len(and.Kids) != 2 || and.Kids[0].Op != OpNot || and.Kids[0].Kids[0].Value != "b" {
		t.Errorf("second kid = %s, want -b AND c:\"x y\"", and)
	}
	if c := and.Kids[1]; c.Field != "c" || c.Value != "x y" {
		t.Errorf("term = %+v, want c:x y", c)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		desc string
		q    string
		want string // part of the message
	}{
		{"empty", "", "empty query"},
		{"blank", "   ", "empty query"},
		{"unclosed parenthesis", "(a OR b", "missing closing parenthesis for the \"(\" at column 1"},
		{"extra closing parenthesis", "a)", "unexpected \")\" at column 2"},
		{"empty parentheses", "a ()", "empty parentheses at column 3"},
		{"dangling OR", "a OR", "missing term after \"OR\" at column 3"},
		{"dangling AND", "a AND", "missing term after \"AND\""},
		{"leading OR", "OR a", "unexpected \"OR\" at column 1"},
		{"double OR", "a OR OR b", "missing term after \"OR\""},
		{"dangling NOT", "a NOT", "missing term after \"NOT\""},
		{"lone minus", "a - b", "missing term after \"-\" at column 3"},
		{"unterminated quote", `message:"abc`, "missing closing quote for the quote at column 9"},
		{"backslash at end", `"abc\`, "missing closing quote"},
		{"unterminated brace", "message:{abc", "missing \"}\""},
		{"stray brace", "a}", "unexpected \"}\""},
		{"missing value", "status: open", "missing value for \"status:\""},
		{"bad field name", "1abc:x", "Unsupported operator 1abc:x"},
		{"empty field name", ":x", "Unsupported operator :x"},
		{"phrase glued to a value", `message:a"b"`, "unexpected '\"'"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			n, err := Parse(tc.q)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want an error containing %q", tc.q, n, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) error = %q, want it to contain %q", tc.q, err, tc.want)
			}
			var qe *Error
			if !errors.As(err, &qe) || fail.KindOf(err) != fail.Invalid {
				t.Errorf("Parse(%q) error %T kind %v, want *Error of kind Invalid", tc.q, err, fail.KindOf(err))
			}
		})
	}
}

func TestParseLabel(t *testing.T) {
	tests := []struct {
		desc  string
		v     string
		want  labelSpec
		count *countSpec
	}{
		{"equals", "Code-Review=2", labelSpec{name: "Code-Review", kind: voteNumber, op: "=", value: 2}, nil},
		{"equals plus", "Code-Review=+2", labelSpec{name: "Code-Review", kind: voteNumber, op: "=", value: 2}, nil},
		{"plus", "Code-Review+2", labelSpec{name: "Code-Review", kind: voteNumber, op: "=", value: 2}, nil},
		{"minus", "Code-Review-2", labelSpec{name: "Code-Review", kind: voteNumber, op: "=", value: -2}, nil},
		{"equals minus", "Code-Review=-1", labelSpec{name: "Code-Review", kind: voteNumber, op: "=", value: -1}, nil},
		{"at least", "Code-Review>=1", labelSpec{name: "Code-Review", kind: voteNumber, op: ">=", value: 1}, nil},
		{"at most", "Code-Review<=-1", labelSpec{name: "Code-Review", kind: voteNumber, op: "<=", value: -1}, nil},
		{"greater", "Verified>0", labelSpec{name: "Verified", kind: voteNumber, op: ">", value: 0}, nil},
		{"max", "Code-Review=MAX", labelSpec{name: "Code-Review", kind: voteMax, op: "="}, nil},
		{"min lower case", "Code-Review=min", labelSpec{name: "Code-Review", kind: voteMin, op: "="}, nil},
		{"any", "Code-Review=ANY", labelSpec{name: "Code-Review", kind: voteAny, op: "="}, nil},
		{"bare name", "Verified", labelSpec{name: "Verified", kind: voteAny}, nil},
		{"ok", "Code-Review=ok", labelSpec{name: "Code-Review", kind: voteStatus, op: "=", status: "OK"}, nil},
		{"need", "Verified=NEED", labelSpec{name: "Verified", kind: voteStatus, op: "=", status: "NEED"}, nil},
		{"user", "Code-Review=2,user=jsmith", labelSpec{name: "Code-Review", kind: voteNumber, op: "=", value: 2, who: whoAccounts, whoArg: "jsmith"}, nil},
		{"user with ampersand", "Code-Review=2&user=jsmith", labelSpec{name: "Code-Review", kind: voteNumber, op: "=", value: 2, who: whoAccounts, whoArg: "jsmith"}, nil},
		{"group", "Code-Review=1,group=Devs", labelSpec{name: "Code-Review", kind: voteNumber, op: "=", value: 1, who: whoGroup, whoArg: "Devs"}, nil},
		{"bare user or group", "Code-Review=+2,aname", labelSpec{name: "Code-Review", kind: voteNumber, op: "=", value: 2, who: whoUserOrGroup, whoArg: "aname"}, nil},
		{"owner", "Code-Review=+2,owner", labelSpec{name: "Code-Review", kind: voteNumber, op: "=", value: 2, who: whoOwner}, nil},
		{"user=owner", "Code-Review=ok,user=owner", labelSpec{name: "Code-Review", kind: voteStatus, op: "=", status: "OK", who: whoOwner}, nil},
		{"non_uploader", "Code-Review=MAX&non_uploader", labelSpec{name: "Code-Review", kind: voteMax, op: "=", who: whoNonUploader}, nil},
		{"user=non_uploader", "Code-Review=MAX,user=non_uploader", labelSpec{name: "Code-Review", kind: voteMax, op: "=", who: whoNonUploader}, nil},
		{"non_contributor", "Code-Review=MAX,user=non_contributor", labelSpec{name: "Code-Review", kind: voteMax, op: "=", who: whoNonContributor}, nil},
		{"count", "Code-Review=1,count=2", labelSpec{name: "Code-Review", kind: voteNumber, op: "=", value: 1}, &countSpec{"=", 2}},
		{"count relation", "Code-Review=MAX&count>=2", labelSpec{name: "Code-Review", kind: voteMax, op: "="}, &countSpec{">=", 2}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			s, err := parseLabel(tc.v)
			if err != nil {
				t.Fatalf("parseLabel(%q): %v", tc.v, err)
			}
			got := *s
			got.count = nil
			if got != tc.want {
				t.Errorf("parseLabel(%q) = %+v, want %+v", tc.v, got, tc.want)
			}
			if (s.count == nil) != (tc.count == nil) || s.count != nil && *s.count != *tc.count {
				t.Errorf("parseLabel(%q) count = %v, want %v", tc.v, s.count, tc.count)
			}
		})
	}
}

func TestParseLabelErrors(t *testing.T) {
	for _, v := range []string{
		"", "=2", "Code-Review=x", "Code-Review>=MAX", "Code-Review<ok", "Code Review=1",
		"Code-Review=2,user=a,user=b", "Code-Review=2,user=non_uploader,count=2", "Code-Review=ok,count=1",
		"Code-Review=2,colour=red", "Code-Review=2,user=",
	} {
		t.Run(v, func(t *testing.T) {
			if s, err := parseLabel(v); err == nil {
				t.Errorf("parseLabel(%q) = %+v, want an error", v, s)
			} else if !strings.HasPrefix(err.Error(), "Invalid label") {
				t.Errorf("parseLabel(%q) error = %q, want \"Invalid label…\"", v, err)
			}
		})
	}
}

func TestParseAge(t *testing.T) {
	tests := []struct {
		v    string
		want string
	}{
		{"2d", "48h0m0s"}, {"3h", "3h0m0s"}, {"1w", "168h0m0s"}, {"1mon", "720h0m0s"}, {"1y", "8760h0m0s"},
		{"90s", "1m30s"}, {"5 minutes", "5m0s"}, {"1d12h", "36h0m0s"}, {"2weeks", "336h0m0s"},
	}
	for _, tc := range tests {
		d, err := parseAge(tc.v)
		if err != nil || d.String() != tc.want {
			t.Errorf("parseAge(%q) = %v, %v; want %s", tc.v, d, err, tc.want)
		}
	}
	for _, v := range []string{"", "2", "d", "2 fortnights", "-2d"} {
		if d, err := parseAge(v); err == nil {
			t.Errorf("parseAge(%q) = %v, want an error", v, d)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		v    string
		want string
	}{
		{"2024-01-02", "2024-01-02T00:00:00Z"},
		{"2024-01-02 15:04:05", "2024-01-02T15:04:05Z"},
		{"2024-01-02 15:04:05.890", "2024-01-02T15:04:05.89Z"},
		{"2024-01-02 15:04:05 -0700", "2024-01-02T22:04:05Z"},
		{"2024-01-02 15:04:05.5 +0100", "2024-01-02T14:04:05.5Z"},
	}
	for _, tc := range tests {
		got, err := parseTime("before", tc.v)
		if err != nil || got.Format("2006-01-02T15:04:05.999999999Z07:00") != tc.want {
			t.Errorf("parseTime(%q) = %v, %v; want %s", tc.v, got, err, tc.want)
		}
	}
	if _, err := parseTime("before", "yesterday"); err == nil || !strings.Contains(err.Error(), "Invalid date/time for before: yesterday") {
		t.Errorf("parseTime(yesterday) error = %v", err)
	}
}
