// Package cmdflag parses the options of an SSH command the way Gerrit's
// args4j-based parser does, so scripts written for Gerrit keep working:
// long options with a value as `--opt value` or `--opt=value`, short aliases
// (`-m value`), booleans (`--all`, `--all=false`, `--no-all`), repeatable
// options, `--` to end options, positional arguments anywhere, enum values
// matched case-insensitively, and `--help`/`-h` printing usage.
//
// Error texts are Gerrit's (`"--foo" is not a valid option`); the sshd
// package prints them as "fatal: …" with exit status 1. A FlagSet is built
// and used by one goroutine, usually fresh for each command run.
package cmdflag

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"tandem/internal/sshd"
)

// Error is a command line mistake, worded as Gerrit words it.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// ErrInvalidValue may be returned by a Func callback to get the standard
// `"VALUE" is not a valid value for "--opt"` message.
var ErrInvalidValue = errors.New("invalid value")

// FlagSet is the set of options and the positional arguments of a command.
type FlagSet struct {
	name   string
	opts   []*option
	byName map[string]*option
	// positional arguments
	argMeta      string
	argMin       int
	argMax       int // < 0: unlimited
	argsDeclared bool
}

type option struct {
	names  []string // long name first as declared, e.g. "--verbose", "-v"
	meta   string   // "" for booleans
	usage  string
	isBool bool
	set    func(name, val string) error
}

// New returns an empty FlagSet for the command called name (used in usage
// text, e.g. "gerrit ls-groups"). By default any number of positional
// arguments is accepted.
func New(name string) *FlagSet {
	return &FlagSet{name: name, byName: map[string]*option{}, argMax: -1}
}

// Bool defines a flag that takes no value. names lists the spellings
// separated by "|", e.g. "--verbose|-v".
func (f *FlagSet) Bool(p *bool, names, usage string) {
	f.add(&option{isBool: true, usage: usage, set: func(name, val string) error {
		b, err := parseBool(val)
		if err != nil {
			return invalid(name, val)
		}
		*p = b
		return nil
	}}, names)
}

// String defines an option with a value; the last one given wins.
func (f *FlagSet) String(p *string, names, meta, usage string) {
	f.add(&option{meta: meta, usage: usage, set: func(_, val string) error {
		*p = val
		return nil
	}}, names)
}

// Int defines an option with an integer value ("+2" and "-1" are accepted).
func (f *FlagSet) Int(p *int, names, meta, usage string) {
	f.add(&option{meta: meta, usage: usage, set: func(name, val string) error {
		n, err := strconv.Atoi(val)
		if err != nil {
			return invalid(name, val)
		}
		*p = n
		return nil
	}}, names)
}

// Strings defines a repeatable option; each use appends its value.
func (f *FlagSet) Strings(p *[]string, names, meta, usage string) {
	f.add(&option{meta: meta, usage: usage, set: func(_, val string) error {
		*p = append(*p, val)
		return nil
	}}, names)
}

// Enum defines an option whose value must be one of values, compared without
// regard to case; *p receives the spelling from values.
func (f *FlagSet) Enum(p *string, names, meta string, values []string, usage string) {
	if meta == "" {
		meta = "[" + strings.Join(values, " | ") + "]"
	}
	f.add(&option{meta: meta, usage: usage, set: func(name, val string) error {
		for _, v := range values {
			if strings.EqualFold(v, val) {
				*p = v
				return nil
			}
		}
		return invalid(name, val)
	}}, names)
}

// Func defines an option with a value handled by fn, which is called once
// per use. An error from fn is shown as is, except ErrInvalidValue which
// gives the standard message.
func (f *FlagSet) Func(names, meta, usage string, fn func(val string) error) {
	f.add(&option{meta: meta, usage: usage, set: func(name, val string) error {
		if err := fn(val); err != nil {
			if errors.Is(err, ErrInvalidValue) {
				return invalid(name, val)
			}
			return &Error{Msg: err.Error()}
		}
		return nil
	}}, names)
}

// Args declares the positional arguments for usage text and checks their
// count: at least min, at most max (max < 0: no limit).
func (f *FlagSet) Args(meta string, min, max int) {
	f.argMeta, f.argMin, f.argMax, f.argsDeclared = meta, min, max, true
}

// Has reports whether name (e.g. "--verbose" or "-v") is taken: defined
// by an option, or one of the built-in "--help" and "-h". Defining a taken
// name panics, so options named from data should be checked first.
func (f *FlagSet) Has(name string) bool {
	_, ok := f.byName[name]
	return ok || name == "--help" || name == "-h"
}

func (f *FlagSet) add(o *option, names string) {
	for _, n := range strings.Split(names, "|") {
		n = strings.TrimSpace(n)
		if !strings.HasPrefix(n, "-") || n == "-" || n == "--" || strings.Contains(n, "=") {
			panic(fmt.Sprintf("cmdflag: bad option name %q", n))
		}
		if _, dup := f.byName[n]; dup || n == "--help" || n == "-h" {
			panic(fmt.Sprintf("cmdflag: option %q defined twice", n))
		}
		f.byName[n] = o
		o.names = append(o.names, n)
	}
	if len(o.names) == 0 {
		panic("cmdflag: option without a name")
	}
	f.opts = append(f.opts, o)
}

// Parse sets the options found in args and returns the positional arguments
// in order. Options may come before, between or after positional arguments;
// after "--" everything is positional. On "--help" or "-h" it returns an
// *sshd.ExitError with status 1 and the usage text (Gerrit's behaviour); on a
// mistake it returns an *Error.
func (f *FlagSet) Parse(args []string) ([]string, error) {
	// Help wins over any mistake elsewhere on the line.
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--help" || a == "-h" {
			return nil, &sshd.ExitError{Code: 1, Msg: f.Usage()}
		}
	}
	var pos []string
	end := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if end || a == "-" || !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
			continue
		}
		if a == "--" {
			end = true
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		o := f.byName[name]
		if o == nil && strings.HasPrefix(name, "--no-") && !hasVal {
			if b := f.byName["--"+name[len("--no-"):]]; b != nil && b.isBool {
				if err := b.set(name, "false"); err != nil {
					return nil, err
				}
				continue
			}
		}
		if o == nil {
			return nil, &Error{Msg: quote(name) + " is not a valid option"}
		}
		switch {
		case o.isBool && !hasVal:
			val = "true"
		case !hasVal:
			if i+1 >= len(args) {
				return nil, &Error{Msg: "Option " + quote(name) + " takes an operand"}
			}
			i++
			val = args[i]
		}
		if err := o.set(name, val); err != nil {
			return nil, err
		}
	}
	if len(pos) < f.argMin {
		return nil, &Error{Msg: "Argument " + quote(f.argMeta) + " is required"}
	}
	if f.argMax >= 0 && len(pos) > f.argMax {
		return nil, &Error{Msg: "Too many arguments: " + pos[f.argMax]}
	}
	return pos, nil
}

// Usage is the help text: a synopsis line, then one line per option.
func (f *FlagSet) Usage() string {
	type row struct{ left, usage string }
	rows := []row{{"--", "end of options"}, {"--help (-h)", "display this help text"}}
	for _, o := range f.opts {
		left := o.names[0]
		if len(o.names) > 1 {
			left += " (" + strings.Join(o.names[1:], ", ") + ")"
		}
		if o.meta != "" {
			left += " " + o.meta
		}
		rows = append(rows, row{left, o.usage})
	}
	var b strings.Builder
	b.WriteString(f.name)
	width := 0
	for _, r := range rows {
		b.WriteString(" [" + r.left + "]")
		width = max(width, len(r.left))
	}
	if f.argsDeclared && f.argMeta != "" {
		meta := f.argMeta
		if f.argMax < 0 {
			meta += " ..."
		}
		if f.argMin == 0 {
			meta = "[" + meta + "]"
		}
		b.WriteString(" " + meta)
	}
	b.WriteString("\n")
	for _, r := range rows {
		fmt.Fprintf(&b, " %-*s : %s\n", width, r.left, r.usage)
	}
	b.WriteString("\n")
	return b.String()
}

func invalid(name, val string) error {
	return &Error{Msg: quote(val) + " is not a valid value for " + quote(name)}
}

// quote wraps s in double quotes without escaping, as args4j does.
func quote(s string) string { return `"` + s + `"` }

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "on", "yes", "1":
		return true, nil
	case "false", "off", "no", "0":
		return false, nil
	}
	return false, errors.New("not a boolean")
}
