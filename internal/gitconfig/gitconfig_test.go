package gitconfig

import (
	"errors"
	"math/rand"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func mustParse(t testing.TB, text string) *Config {
	t.Helper()
	c, err := Parse([]byte(text))
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return c
}

// stripLines drops line numbers, which a round trip legitimately changes.
func stripLines(es []Entry) []Entry {
	out := make([]Entry, len(es))
	for i, e := range es {
		e.Line = 0
		out[i] = e
	}
	return out
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		desc, text          string
		section, sub, key   string
		want                string
		wantOK, wantNoValue bool
	}{
		{desc: "plain", text: "[core]\n\tbare = true\n", section: "core", key: "bare", want: "true", wantOK: true},
		{desc: "section and key case-insensitive", text: "[Core]\n\tBare = x\n", section: "CORE", key: "bARE", want: "x", wantOK: true},
		{desc: "subsection", text: "[remote \"origin\"]\nurl = u\n", section: "remote", sub: "origin", key: "url", want: "u", wantOK: true},
		{desc: "subsection is case-sensitive", text: "[remote \"Origin\"]\nurl = u\n", section: "remote", sub: "origin", key: "url"},
		{desc: "subsection escapes", text: "[a \"x\\\"y\\\\z\"]\nk = v\n", section: "a", sub: `x"y\z`, key: "k", want: "v", wantOK: true},
		{desc: "legacy subsection lower-cased", text: "[Branch.Main]\nk = v\n", section: "branch", sub: "main", key: "k", want: "v", wantOK: true},
		{desc: "last value wins", text: "[a]\nk = 1\nk = 2\n[a]\nk = 3\n", section: "a", key: "k", want: "3", wantOK: true},
		{desc: "key without value", text: "[a]\n\tflag\n", section: "a", key: "flag", want: "", wantOK: true, wantNoValue: true},
		{desc: "empty value", text: "[a]\n\tk =\n", section: "a", key: "k", want: "", wantOK: true},
		{desc: "trailing comment", text: "[a]\nk = v # note\n", section: "a", key: "k", want: "v", wantOK: true},
		{desc: "semicolon comment", text: "[a]\nk = v ; note\n", section: "a", key: "k", want: "v", wantOK: true},
		{desc: "quoted comment chars", text: "[a]\nk = \"v # ; x\"\n", section: "a", key: "k", want: "v # ; x", wantOK: true},
		{desc: "quoted spaces kept", text: "[a]\nk = \"  v  \"\n", section: "a", key: "k", want: "  v  ", wantOK: true},
		{desc: "inner spaces kept", text: "[a]\nk =   a  b \t\n", section: "a", key: "k", want: "a  b", wantOK: true},
		{desc: "inner tab becomes space", text: "[a]\nk = a\tb\n", section: "a", key: "k", want: "a b", wantOK: true},
		{desc: "escapes", text: "[a]\nk = x\\ty\\nz\\b\\\"\\\\\n", section: "a", key: "k", want: "x\ty\nz\b\"\\", wantOK: true},
		{desc: "continuation", text: "[a]\nk = one \\\n two\n", section: "a", key: "k", want: "one  two", wantOK: true},
		{desc: "partly quoted", text: "[a]\nk = a\"b c\"d\n", section: "a", key: "k", want: "ab cd", wantOK: true},
		{desc: "key on header line", text: "[a] k = v\n", section: "a", key: "k", want: "v", wantOK: true},
		{desc: "crlf", text: "[a]\r\nk = v\r\n", section: "a", key: "k", want: "v", wantOK: true},
		{desc: "no final newline", text: "[a]\nk = v", section: "a", key: "k", want: "v", wantOK: true},
		{desc: "bom", text: "\xef\xbb\xbf[a]\nk = v\n", section: "a", key: "k", want: "v", wantOK: true},
		{desc: "comment lines", text: "# top\n; also\n[a]\n  # inside\nk = v\n", section: "a", key: "k", want: "v", wantOK: true},
		{desc: "missing", text: "[a]\nk = v\n", section: "a", key: "other"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			c := mustParse(t, tc.text)
			got, ok := c.Get(tc.section, tc.sub, tc.key)
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("Get = %q, %v; want %q, %v", got, ok, tc.want, tc.wantOK)
			}
			if tc.wantNoValue {
				es := c.Entries()
				if len(es) != 1 || !es[0].NoValue {
					t.Fatalf("entries = %+v, want one NoValue entry", es)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		desc, text string
		wantLine   int
		wantMsg    string
	}{
		{desc: "unterminated header", text: "[a\nk = v\n", wantLine: 1, wantMsg: "unterminated section header"},
		{desc: "bad section char", text: "\n[a_b]\n", wantLine: 2, wantMsg: `invalid character '_' in section name`},
		{desc: "unquoted subsection", text: "[a b]\n", wantLine: 1, wantMsg: "subsection name must be quoted"},
		{desc: "junk after subsection", text: "[a \"b\" ]\n", wantLine: 1, wantMsg: "expected ']' after subsection name"},
		{desc: "empty section", text: "[]\n", wantLine: 1, wantMsg: "empty section name"},
		{desc: "key before section", text: "k = v\n", wantLine: 1, wantMsg: "key outside of any section"},
		{desc: "key starts with digit", text: "[a]\n\n1k = v\n", wantLine: 3, wantMsg: `invalid key starting with '1'`},
		{desc: "bad key char", text: "[a]\nk_x = v\n", wantLine: 2, wantMsg: `invalid character '_' after key "k"`},
		{desc: "unterminated quote", text: "[a]\nk = \"v\nj = w\n", wantLine: 2, wantMsg: "unterminated quoted value"},
		{desc: "bad escape", text: "[a]\nx = 1\nk = a\\qb\n", wantLine: 3, wantMsg: `bad escape sequence \q`},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := Parse([]byte(tc.text))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error = %v, want *ParseError", err)
			}
			if pe.Line != tc.wantLine || pe.Msg != tc.wantMsg {
				t.Fatalf("error = line %d %q, want line %d %q", pe.Line, pe.Msg, tc.wantLine, tc.wantMsg)
			}
			if want := "line " + strconv.Itoa(tc.wantLine) + ": " + tc.wantMsg; err.Error() != want {
				t.Fatalf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestBool(t *testing.T) {
	tests := []struct {
		desc, text string
		def, want  bool
		wantErr    string
	}{
		{desc: "absent uses default", text: "[a]\n", def: true, want: true},
		{desc: "no value is true", text: "[a]\nk\n", want: true},
		{desc: "empty is false", text: "[a]\nk =\n", def: true, want: false},
		{desc: "yes", text: "[a]\nk = Yes\n", want: true},
		{desc: "on", text: "[a]\nk = on\n", want: true},
		{desc: "true", text: "[a]\nk = TRUE\n", want: true},
		{desc: "one", text: "[a]\nk = 1\n", want: true},
		{desc: "other integer", text: "[a]\nk = 42\n", want: true},
		{desc: "no", text: "[a]\nk = no\n", def: true, want: false},
		{desc: "off", text: "[a]\nk = off\n", def: true, want: false},
		{desc: "zero", text: "[a]\nk = 0\n", def: true, want: false},
		{desc: "bad", text: "[a]\n\nk = maybe\n", wantErr: `line 3: bad boolean value "maybe" for a.k`},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := mustParse(t, tc.text).Bool("a", "", "k", tc.def)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Bool = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		desc, text string
		want       int64
		wantErr    string
	}{
		{desc: "absent uses default", text: "[a]\n", want: 7},
		{desc: "plain", text: "[a]\nk = 12\n", want: 12},
		{desc: "negative", text: "[a]\nk = -3\n", want: -3},
		{desc: "k", text: "[a]\nk = 2k\n", want: 2048},
		{desc: "m", text: "[a]\nk = 10m\n", want: 10 << 20},
		{desc: "G", text: "[a]\nk = 1G\n", want: 1 << 30},
		{desc: "bad", text: "[a]\nk = ten\n", wantErr: `line 2: bad numeric value "ten" for a.k`},
		{desc: "no value", text: "[a]\nk\n", wantErr: `line 2: bad numeric value "" for a.k`},
		{desc: "overflow", text: "[a]\nk = 9223372036854775807g\n", wantErr: `line 2: bad numeric value "9223372036854775807g" for a.k`},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := mustParse(t, tc.text).Int("a", "", "k", 7)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Int = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestEditing(t *testing.T) {
	const base = "[a]\n\tx = 1\n\tk = old1\n\ty = 2\n\tk = old2\n[b \"s\"]\n\tk = v\n"
	tests := []struct {
		desc string
		edit func(c *Config)
		want string
	}{
		{desc: "set keeps first position", edit: func(c *Config) { c.Set("a", "", "K", "new") },
			want: "[a]\n\tx = 1\n\tK = new\n\ty = 2\n[b \"s\"]\n\tk = v\n"},
		{desc: "set new key appends to section", edit: func(c *Config) { c.Set("b", "s", "z", "9") },
			want: "[a]\n\tx = 1\n\tk = old1\n\ty = 2\n\tk = old2\n[b \"s\"]\n\tk = v\n\tz = 9\n"},
		{desc: "set new section", edit: func(c *Config) { c.Set("c", "", "k", "v") },
			want: base + "[c]\n\tk = v\n"},
		{desc: "add", edit: func(c *Config) { c.Add("a", "", "k", "old3") },
			want: "[a]\n\tx = 1\n\tk = old1\n\ty = 2\n\tk = old2\n\tk = old3\n[b \"s\"]\n\tk = v\n"},
		{desc: "unset keeps header", edit: func(c *Config) { c.Unset("b", "s", "k") },
			want: "[a]\n\tx = 1\n\tk = old1\n\ty = 2\n\tk = old2\n[b \"s\"]\n"},
		{desc: "remove section", edit: func(c *Config) { c.RemoveSection("A", "") },
			want: "[b \"s\"]\n\tk = v\n"},
		{desc: "quoting", edit: func(c *Config) {
			c.RemoveSection("a", "")
			c.RemoveSection("b", "s")
			c.Set("q", `x"y\z`, "lead", " a")
			c.Set("q", `x"y\z`, "hash", "a#b")
			c.Set("q", `x"y\z`, "esc", "t\tn\nq\"b\\")
			c.Set("q", `x"y\z`, "empty", "")
		}, want: "[q \"x\\\"y\\\\z\"]\n\tlead = \" a\"\n\thash = \"a#b\"\n\tesc = t\\tn\\nq\\\"b\\\\\n\tempty =\n"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			c := mustParse(t, base)
			orig := c.Clone()
			tc.edit(c)
			if got := string(c.Bytes()); got != tc.want {
				t.Fatalf("Bytes =\n%s\nwant\n%s", got, tc.want)
			}
			if got := string(orig.Bytes()); got != base {
				t.Fatalf("edit changed the clone's source:\n%s", got)
			}
			back := mustParse(t, string(c.Bytes()))
			if !reflect.DeepEqual(stripLines(back.Entries()), stripLines(c.Entries())) {
				t.Fatalf("round trip:\n%+v\nwant\n%+v", back.Entries(), c.Entries())
			}
		})
	}
}

func TestSubsectionsAndSections(t *testing.T) {
	c := mustParse(t, "[access \"refs/*\"]\nread = x\n[access]\ninheritFrom = P\n[label \"CR\"]\n[access \"refs/heads/*\"]\n[access \"refs/*\"]\npush = y\n")
	if got, want := c.Subsections("ACCESS"), []string{"refs/*", "refs/heads/*"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Subsections = %q, want %q", got, want)
	}
	want := []Section{{"access", "refs/*", 1}, {"access", "", 3}, {"label", "CR", 5}, {"access", "refs/heads/*", 6}, {"access", "refs/*", 7}}
	if got := c.Sections(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Sections = %+v, want %+v", got, want)
	}
	if got := c.GetAll("access", "refs/*", "read"); !reflect.DeepEqual(got, []string{"x"}) {
		t.Fatalf("GetAll = %q", got)
	}
	es := c.Entries()
	if es[0].RawKey != "read" || es[1].RawKey != "inheritFrom" || es[1].Key != "inheritfrom" || es[1].Line != 4 {
		t.Fatalf("entries = %+v", es)
	}
}

func TestRoundTripCanonical(t *testing.T) {
	text := "# comment\n[Project]\n  Description = \"A  \\\"quoted\\\" one\" ; c\n[access \"refs/heads/*\"]\n\tlabel-Code-Review = -2..+2 group Project Owners\n\tflag\n[legacy.Sub]\nk=v\n"
	c := mustParse(t, text)
	want := "[project]\n\tDescription = A  \\\"quoted\\\" one\n[access \"refs/heads/*\"]\n\tlabel-Code-Review = -2..+2 group Project Owners\n\tflag\n[legacy \"sub\"]\n\tk = v\n"
	if got := string(c.Bytes()); got != want {
		t.Fatalf("Bytes =\n%s\nwant\n%s", got, want)
	}
	if got := string(mustParse(t, want).Bytes()); got != want {
		t.Fatalf("second Bytes =\n%s", got)
	}
}

// TestRoundTripRandom builds configs from random names and values and checks
// that Parse(Bytes()) gives the same entries back.
func TestRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const valueChars = "ab Z09 \t\n\b\"\\#;=[]-\r\v\f.é*^$"
	const subChars = `ab "\#;.]* é`
	pick := func(chars string, n int) string {
		rs := []rune(chars)
		var sb strings.Builder
		for range n {
			sb.WriteRune(rs[rng.Intn(len(rs))])
		}
		return sb.String()
	}
	for i := range 500 {
		c := New()
		for range 1 + rng.Intn(6) {
			section := []string{"core", "access", "label", "x-y"}[rng.Intn(4)]
			sub := ""
			if rng.Intn(2) == 0 {
				sub = pick(subChars, 1+rng.Intn(5))
			}
			key := []string{"k", "Read", "label-Code-Review", "a1"}[rng.Intn(4)]
			value := pick(valueChars, rng.Intn(8))
			if rng.Intn(3) == 0 {
				c.Add(section, sub, key, value)
			} else {
				c.Set(section, sub, key, value)
			}
		}
		text := c.Bytes()
		back, err := Parse(text)
		if err != nil {
			t.Fatalf("case %d: Parse(%q): %v", i, text, err)
		}
		if !reflect.DeepEqual(stripLines(back.Entries()), stripLines(c.Entries())) {
			t.Fatalf("case %d: text %q\nparsed %+v\nwant   %+v", i, text, back.Entries(), c.Entries())
		}
		if again := back.Bytes(); string(again) != string(text) {
			t.Fatalf("case %d: Bytes not stable:\n%q\n%q", i, text, again)
		}
	}
}
