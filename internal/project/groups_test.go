package project

import (
	"reflect"
	"testing"
)

func TestParseGroups(t *testing.T) {
	tests := []struct {
		desc, in string
		want     []GroupRef
		wantErrs []string
	}{
		{desc: "empty", in: ""},
		{desc: "comments and blanks", in: "# UUID\tGroup Name\n#\n\n  \n", want: nil},
		{desc: "padded columns", in: "# UUID  \tGroup Name\n#\nabc     \tDevelopers\nglobal:Anonymous-Users\tAnonymous Users\r\n",
			want: []GroupRef{{"abc", "Developers"}, {"global:Anonymous-Users", "Anonymous Users"}}},
		{desc: "name with tab kept after first tab", in: "abc\tA\tB\n", want: []GroupRef{{"abc", "A\tB"}}},
		{desc: "identical duplicate tolerated", in: "abc\tDevs\nabc\tDevs\n", want: []GroupRef{{"abc", "Devs"}}},
		{desc: "missing tab", in: "abc Developers\n", wantErrs: []string{"groups line 1: missing tab between group UUID and name"}},
		{desc: "missing uuid", in: "#\n\tDevelopers\n", wantErrs: []string{"groups line 2: missing group UUID"}},
		{desc: "missing name", in: "abc\t\n", wantErrs: []string{`groups line 1: missing group name for "abc"`}},
		{desc: "uuid twice", in: "abc\tDevs\nabc\tOthers\n", want: []GroupRef{{"abc", "Devs"}},
			wantErrs: []string{`groups line 2: group UUID "abc" listed twice`}},
		{desc: "name twice", in: "abc\tDevs\ndef\tDevs\n", want: []GroupRef{{"abc", "Devs"}},
			wantErrs: []string{`groups line 2: group name "Devs" used by both "abc" and "def"`}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, errs := parseGroups([]byte(tc.in))
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("groups = %+v, want %+v", got, tc.want)
			}
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if !reflect.DeepEqual(msgs, tc.wantErrs) {
				t.Fatalf("errors = %q, want %q", msgs, tc.wantErrs)
			}
		})
	}
}

func TestFormatGroups(t *testing.T) {
	tests := []struct {
		desc string
		in   []GroupRef
		want string
	}{
		{desc: "none", in: nil, want: ""},
		{desc: "short uuids", in: []GroupRef{{"ab", "X"}}, want: "# UUID\tGroup Name\n#\nab    \tX\n"},
		{desc: "aligned", in: []GroupRef{{"global:Project-Owners", "Project Owners"}, {"f00", "Devs"}},
			want: "# UUID                 \tGroup Name\n#\nglobal:Project-Owners  \tProject Owners\nf00                    \tDevs\n"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got := string(formatGroups(tc.in))
			if got != tc.want {
				t.Fatalf("formatGroups =\n%q\nwant\n%q", got, tc.want)
			}
			back, errs := parseGroups([]byte(got))
			if len(errs) > 0 || !reflect.DeepEqual(back, tc.in) {
				t.Fatalf("parse back = %+v, %v", back, errs)
			}
		})
	}
}

func TestSystemGroups(t *testing.T) {
	for _, g := range SystemGroups() {
		if !IsSystemGroup(g.UUID) {
			t.Fatalf("IsSystemGroup(%q) = false", g.UUID)
		}
		if got, ok := systemGroupByName(g.Name); !ok || got != g {
			t.Fatalf("systemGroupByName(%q) = %+v, %v", g.Name, got, ok)
		}
	}
	if IsSystemGroup("0123abcd") {
		t.Fatalf("a created group's UUID counted as a system group")
	}
	// A rule may name a system group the groups file does not list.
	c := mustParse(t, "[access \"refs/*\"]\n\tread = group Anonymous Users\n", "")
	if got := c.Access[0].Permissions[0].Rules[0].Group; got != AnonymousUsers {
		t.Fatalf("group = %+v, want %+v", got, AnonymousUsers)
	}
	if _, groups := c.Files(); string(groups) != string(formatGroups([]GroupRef{AnonymousUsers})) {
		t.Fatalf("Files groups = %q, want the system group listed", groups)
	}
}
