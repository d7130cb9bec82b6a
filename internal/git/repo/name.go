package repo

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen is the longest project name, in bytes.
const MaxNameLen = 255

// NormalizeName turns a project name as clients send it ("/foo/bar.git",
// "foo/bar/") into its canonical form ("foo/bar"): leading and trailing
// slashes and one trailing ".git" are removed. It does not validate.
func NormalizeName(name string) string {
	name = strings.TrimLeft(name, "/")
	name = strings.TrimRight(name, "/")
	name = strings.TrimSuffix(name, ".git")
	return strings.TrimRight(name, "/")
}

// forbidden are characters Gerrit refuses in project names: wildcards,
// shell redirections, Windows path syntax, URL escapes, and the separators
// of change ids ("~") and of its REST paths.
const forbidden = `\:~?*<>|%$`

// ValidateName checks a normalized project name. The error wraps
// ErrInvalidName and says why. Gerrit's rules, plus: no control or
// bidirectional-override characters, no component that starts with "-"
// (it would read as an option) or starts or ends with white space.
func ValidateName(name string) error {
	bad := func(why string) error { return fmt.Errorf("project name %q: %w: %s", name, ErrInvalidName, why) }
	switch {
	case name == "":
		return bad("empty")
	case len(name) > MaxNameLen:
		return bad(fmt.Sprintf("longer than %d bytes", MaxNameLen))
	case !utf8.ValidString(name):
		return bad("not UTF-8")
	case strings.HasPrefix(name, "/"):
		return bad("absolute")
	case strings.HasSuffix(name, "/"):
		return bad("ends with /")
	case strings.Contains(name, "//"):
		return bad("contains //")
	}
	for _, r := range name {
		switch {
		case unicode.IsControl(r):
			return bad("contains a control character")
		case isBidi(r):
			return bad("contains a bidirectional formatting character")
		case strings.ContainsRune(forbidden, r):
			return bad(fmt.Sprintf("contains %q", r))
		}
	}
	for i, c := range strings.Split(name, "/") {
		switch {
		case c == "." || c == "..":
			return bad(`contains a "." or ".." component`)
		case strings.HasSuffix(c, ".git"):
			return bad(`a component ends with ".git"`)
		case strings.HasPrefix(c, "-"):
			return bad(`a component starts with "-"`)
		case i > 0 && strings.HasPrefix(c, "+"):
			return bad(`contains "/+"`)
		case strings.TrimSpace(c) != c:
			return bad("a component starts or ends with white space")
		}
	}
	return nil
}

// isBidi reports the characters that reorder displayed text, which could
// make one project name look like another.
func isBidi(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
