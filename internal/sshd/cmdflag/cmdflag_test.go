package cmdflag

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"tandem/internal/sshd"
)

// opts is what a typical command declares.
type opts struct {
	verbose bool
	all     bool
	format  string
	limit   int
	message string
	groups  []string
	labels  []string
}

func newSet(o *opts) *FlagSet {
	f := New("gerrit test")
	f.Bool(&o.verbose, "--verbose|-v", "verbose output")
	f.Bool(&o.all, "--all", "everything")
	f.Enum(&o.format, "--format", "", []string{"TEXT", "JSON", "JSON_COMPACT"}, "output format")
	f.Int(&o.limit, "--limit|-n", "CNT", "maximum results")
	f.String(&o.message, "--message|-m", "MESSAGE", "cover message")
	f.Strings(&o.groups, "--group|-g", "GROUP", "group (repeatable)")
	f.Func("--label|-l", "LABEL=VALUE", "vote", func(v string) error {
		if !strings.Contains(v, "=") {
			return ErrInvalidValue
		}
		if strings.HasPrefix(v, "Bad=") {
			return errors.New("label Bad is not permitted")
		}
		o.labels = append(o.labels, v)
		return nil
	})
	return f
}

func TestParse(t *testing.T) {
	tests := []struct {
		desc    string
		args    []string
		want    opts
		wantPos []string
	}{
		{desc: "nothing", args: nil, want: opts{}},
		{desc: "long bool", args: []string{"--verbose"}, want: opts{verbose: true}},
		{desc: "short bool", args: []string{"-v"}, want: opts{verbose: true}},
		{desc: "bool with value", args: []string{"--verbose=true", "--all=FALSE"}, want: opts{verbose: true}},
		{desc: "negated bool", args: []string{"--all", "--no-all"}, want: opts{}},
		{desc: "value separate", args: []string{"--limit", "5"}, want: opts{limit: 5}},
		{desc: "value with equals", args: []string{"--limit=5"}, want: opts{limit: 5}},
		{desc: "short alias with value", args: []string{"-m", "hello world"}, want: opts{message: "hello world"}},
		{desc: "short alias with equals", args: []string{"-n=7"}, want: opts{limit: 7}},
		{desc: "value that looks like an option", args: []string{"-m", "-1", "--limit", "-2"}, want: opts{message: "-1", limit: -2}},
		{desc: "plus sign number", args: []string{"--limit", "+2"}, want: opts{limit: 2}},
		{desc: "value containing equals", args: []string{"--message=a=b"}, want: opts{message: "a=b"}},
		{desc: "enum case-insensitive", args: []string{"--format", "json"}, want: opts{format: "JSON"}},
		{desc: "enum with equals", args: []string{"--format=json_compact"}, want: opts{format: "JSON_COMPACT"}},
		{desc: "last value wins", args: []string{"-m", "a", "-m", "b"}, want: opts{message: "b"}},
		{desc: "repeatable", args: []string{"-g", "a", "--group", "b", "--group=c"}, want: opts{groups: []string{"a", "b", "c"}}},
		{desc: "func option", args: []string{"--label", "Code-Review=+2", "-l=Verified=1"}, want: opts{labels: []string{"Code-Review=+2", "Verified=1"}}},
		{desc: "positional anywhere", args: []string{"1,1", "-v", "2,1", "--limit", "3", "3,1"}, want: opts{verbose: true, limit: 3}, wantPos: []string{"1,1", "2,1", "3,1"}},
		{desc: "end of options", args: []string{"-v", "--", "-m", "--all", "--"}, want: opts{verbose: true}, wantPos: []string{"-m", "--all", "--"}},
		{desc: "single dash is positional", args: []string{"-"}, want: opts{}, wantPos: []string{"-"}},
		{desc: "empty positional", args: []string{""}, want: opts{}, wantPos: []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var got opts
			pos, err := newSet(&got).Parse(tc.args)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.args, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Parse(%q) set %+v, want %+v", tc.args, got, tc.want)
			}
			if !slices.Equal(pos, tc.wantPos) {
				t.Errorf("Parse(%q) positional = %q, want %q", tc.args, pos, tc.wantPos)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		desc string
		args []string
		want string
	}{
		{desc: "unknown long", args: []string{"--foo"}, want: `"--foo" is not a valid option`},
		{desc: "unknown with value", args: []string{"--foo=bar"}, want: `"--foo" is not a valid option`},
		{desc: "unknown short", args: []string{"-x"}, want: `"-x" is not a valid option`},
		{desc: "negation of non-bool", args: []string{"--no-limit"}, want: `"--no-limit" is not a valid option`},
		{desc: "missing operand", args: []string{"--format"}, want: `Option "--format" takes an operand`},
		{desc: "missing operand short", args: []string{"-v", "-m"}, want: `Option "-m" takes an operand`},
		{desc: "bad enum", args: []string{"--format", "xml"}, want: `"xml" is not a valid value for "--format"`},
		{desc: "bad int", args: []string{"-n", "ten"}, want: `"ten" is not a valid value for "-n"`},
		{desc: "bad bool", args: []string{"--all=maybe"}, want: `"maybe" is not a valid value for "--all"`},
		{desc: "func invalid value", args: []string{"--label", "x"}, want: `"x" is not a valid value for "--label"`},
		{desc: "func own message", args: []string{"--label", "Bad=1"}, want: `label Bad is not permitted`},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var o opts
			_, err := newSet(&o).Parse(tc.args)
			var ferr *Error
			if !errors.As(err, &ferr) {
				t.Fatalf("Parse(%q) error = %v (%T), want *Error", tc.args, err, err)
			}
			if ferr.Msg != tc.want {
				t.Errorf("Parse(%q) error = %q, want %q", tc.args, ferr.Msg, tc.want)
			}
		})
	}
}

func TestArgsCount(t *testing.T) {
	tests := []struct {
		desc     string
		min, max int
		args     []string
		wantErr  string
	}{
		{desc: "required present", min: 1, max: 1, args: []string{"name"}},
		{desc: "required missing", min: 1, max: 1, args: []string{"-v"}, wantErr: `Argument "NAME" is required`},
		{desc: "too many", min: 0, max: 1, args: []string{"a", "b", "c"}, wantErr: "Too many arguments: b"},
		{desc: "unlimited", min: 1, max: -1, args: []string{"a", "b", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var v bool
			f := New("gerrit x")
			f.Bool(&v, "-v", "")
			f.Args("NAME", tc.min, tc.max)
			_, err := f.Parse(tc.args)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("Parse(%q) error = %q, want %q", tc.args, got, tc.wantErr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		t.Run(arg, func(t *testing.T) {
			var o opts
			f := newSet(&o)
			f.Args("CHANGE", 1, -1)
			// Help wins over errors later on the line, as in Gerrit.
			_, err := f.Parse([]string{"--bogus", "-v", arg})
			var ee *sshd.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("Parse(%s) error = %v (%T), want *sshd.ExitError", arg, err, err)
			}
			if ee.Code != 1 {
				t.Errorf("exit code = %d, want 1", ee.Code)
			}
			for _, want := range []string{
				"gerrit test [--] [--help (-h)] [--verbose (-v)]",
				"[--format [TEXT | JSON | JSON_COMPACT]]",
				"[--limit (-n) CNT]",
				" CHANGE ...\n",
				" --help (-h)",
				": display this help text\n",
				" --group (-g) GROUP",
				": group (repeatable)\n",
			} {
				if !strings.Contains(ee.Msg, want) {
					t.Errorf("usage lacks %q:\n%s", want, ee.Msg)
				}
			}
		})
	}
}

func TestDefinePanics(t *testing.T) {
	tests := []struct {
		desc  string
		names string
	}{
		{desc: "no dash", names: "verbose"},
		{desc: "empty alternative", names: "--a|"},
		{desc: "duplicate", names: "--x|--x"},
		{desc: "reserved help", names: "--help"},
		{desc: "equals sign", names: "--a=b"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Bool(%q) did not panic", tc.names)
				}
			}()
			var b bool
			New("x").Bool(&b, tc.names, "")
		})
	}
}

func TestHas(t *testing.T) {
	f := newSet(&opts{})
	for _, name := range []string{"--verbose", "-v", "--label", "-l", "--help", "-h"} {
		if !f.Has(name) {
			t.Errorf("Has(%q) = false, want true", name)
		}
	}
	for _, name := range []string{"--nope", "-x", "--no-verbose", "verbose", "--verbose=true", "", "--"} {
		if f.Has(name) {
			t.Errorf("Has(%q) = true, want false", name)
		}
	}
	// Every name Has reports may not be defined again.
	for _, name := range []string{"--verbose", "-h"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("defining %q, which Has reports, did not panic", name)
				}
			}()
			var b bool
			f.Bool(&b, name, "")
		}()
	}
}
