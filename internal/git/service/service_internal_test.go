package service

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"tandem/internal/git/gittest"
	"tandem/internal/git/pktline"
	"tandem/internal/git/repo"
)

// pkts encodes lines as a pkt-line stream; "0000", "0001" and "0002" stand
// for the special packets.
func pkts(lines ...string) string {
	var b []byte
	for _, l := range lines {
		switch l {
		case "0000", "0001", "0002":
			b = append(b, l...)
		default:
			b, _ = pktline.Append(b, []byte(l))
		}
	}
	return string(b)
}

func TestWantFilter(t *testing.T) {
	const good, bad = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	lsRefs := pkts("command=ls-refs\n", "agent=git/2\n", "0001", "peel\n", "ref-prefix refs/heads/\n", "0000")
	fetch := func(oids ...string) string {
		lines := []string{"command=fetch\n", "0001"}
		for _, o := range oids {
			lines = append(lines, "want "+o+"\n")
		}
		return pkts(append(lines, "have 3333333333333333333333333333333333333333\n", "done\n", "0000")...)
	}
	tests := []struct {
		desc    string
		in      string
		want    string // what git reads
		refused string
		checked [][]string
	}{
		{"requests pass whole and unchanged", lsRefs + fetch(good) + fetch(good, good),
			lsRefs + fetch(good) + fetch(good, good), "", [][]string{{good}, {good, good}}},
		{"a refused request ends the input", lsRefs + fetch(good, bad) + fetch(good),
			lsRefs, bad, [][]string{{good, bad}}},
		{"object-info asks about objects too", pkts("command=object-info\n", "0001", "size\n", "oid "+bad+"\n", "0000"),
			"", bad, [][]string{{bad}}},
		{"want lines of other commands are not wants", pkts("command=ls-refs\n", "0001", "want "+bad+"\n", "0000"),
			pkts("command=ls-refs\n", "0001", "want "+bad+"\n", "0000"), "", nil},
		{"a request cut short is dropped", lsRefs + fetch(good)[:20], lsRefs, "", nil},
		{"flush alone", pkts("0000"), pkts("0000"), "", nil},
		{"empty input", "", "", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var checked [][]string
			f := &wantFilter{
				src: pktline.NewReader(strings.NewReader(tc.in)),
				check: func(oids []string) (string, error) {
					checked = append(checked, slices.Clone(oids))
					for _, o := range oids {
						if o == bad {
							return o, nil
						}
					}
					return "", nil
				},
			}
			got, err := io.ReadAll(f)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if string(got) != tc.want {
				t.Errorf("git reads %q, want %q", got, tc.want)
			}
			if f.refused() != tc.refused {
				t.Errorf("refused = %q, want %q", f.refused(), tc.refused)
			}
			if !slices.EqualFunc(checked, tc.checked, slices.Equal) {
				t.Errorf("checked %q, want %q", checked, tc.checked)
			}
		})
	}
}

func TestWantFilterCheckError(t *testing.T) {
	boom := errors.New("boom")
	f := &wantFilter{
		src:   pktline.NewReader(strings.NewReader(pkts("command=fetch\n", "0001", "want 1111111111111111111111111111111111111111\n", "0000"))),
		check: func([]string) (string, error) { return "", boom },
	}
	if _, err := io.ReadAll(f); !errors.Is(err, boom) {
		t.Errorf("read = %v, want the check's error", err)
	}
	if f.refused() != "" {
		t.Errorf("refused = %q after an error", f.refused())
	}
}

// TestRefuse checks reachability of wanted objects of every type.
func TestRefuse(t *testing.T) {
	ctx := context.Background()
	dir := gittest.InitBare(t)
	c1 := gittest.WriteCommit(t, dir, "", "one", map[string]string{"a.txt": "old\n"})
	c2 := gittest.WriteCommit(t, dir, "refs/heads/main", "two", map[string]string{"a.txt": "new\n"}, c1)
	s1 := gittest.WriteCommit(t, dir, "refs/heads/secret", "secret", map[string]string{"a.txt": "new\n", "s.txt": "secret\n"}, c2)
	gittest.Exec(t, dir, "tag", "-a", "-m", "hidden", "t1", s1)
	gittest.Exec(t, dir, "tag", "-a", "-m", "nested", "t2", "refs/tags/t1")
	loose := gittest.ExecInput(t, dir, []byte("dangling\n"), nil, "hash-object", "-w", "--stdin")
	oldBlob := gittest.Exec(t, dir, "rev-parse", c1+":a.txt")
	oldTree := gittest.Exec(t, dir, "rev-parse", c1+"^{tree}")
	secretBlob := gittest.Exec(t, dir, "rev-parse", s1+":s.txt")
	t1 := gittest.Exec(t, dir, "rev-parse", "refs/tags/t1")

	r := gittest.Runner(t)
	store := repo.NewStore(filepath.Dir(dir), r)
	t.Cleanup(func() { store.Close() })
	rp, err := store.Open("repo")
	if err != nil {
		t.Fatal(err)
	}
	v, err := newView(ctx, r, rp, func(ref string) bool { return ref == "refs/heads/main" })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc string
		oids []string
		want string
	}{
		{"visible tip", []string{c2}, ""},
		{"ancestor", []string{c1}, ""},
		{"blob of an old commit", []string{oldBlob}, ""},
		{"tree of an old commit", []string{oldTree}, ""},
		{"everything visible at once", []string{c2, c1, oldBlob, oldTree}, ""},
		{"hidden commit", []string{s1}, s1},
		{"hidden among visible", []string{c1, s1, c2}, s1},
		{"blob only a hidden commit has", []string{oldBlob, secretBlob}, secretBlob},
		{"hidden tag object", []string{t1}, t1},
		{"object no ref reaches", []string{loose}, loose},
		{"missing object", []string{strings.Repeat("d", 40)}, strings.Repeat("d", 40)},
		{"not an object id", []string{"HEAD"}, "HEAD"},
		{"abbreviated id", []string{c1[:12]}, c1[:12]},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := v.refuse(ctx, tc.oids)
			if err != nil || got != tc.want {
				t.Errorf("refuse(%q) = %q, %v; want %q", tc.oids, got, err, tc.want)
			}
		})
	}
}

func TestHiddenRefs(t *testing.T) {
	oid := strings.Repeat("1", 40)
	v := &view{}
	for _, r := range []struct {
		name    string
		visible bool
	}{
		{"refs/changes/01/1/1", false},
		{"refs/heads/main", true},
		{"refs/heads/team/a", false},
		{"refs/heads/team/b", false},
		{"refs/meta/config", false},
		{"refs/tags/v1", false},
	} {
		v.refs = append(v.refs, repo.Ref{Name: r.name, OID: oid})
		v.visible = append(v.visible, r.visible)
	}
	got := v.hiddenRefs([]string{"refs/changes/", "refs/cache-automerge/"})
	want := []string{"refs/heads/team/a", "refs/heads/team/b", "refs/meta/config", "refs/tags/v1"}
	if !slices.Equal(got, want) {
		t.Errorf("hiddenRefs = %q, want %q", got, want)
	}
	if got, want := v.hiddenPrefixes(), []string{"refs/changes", "refs/heads/team", "refs/meta", "refs/tags"}; !slices.Equal(got, want) {
		t.Errorf("hiddenPrefixes = %q, want %q", got, want)
	}
}
