// Package gitconfig reads and writes git-config syntax, the format of
// Tandem's site configuration (etc/tandem.config) and of each project's
// project.config.
//
// A Config is an ordered list of sections, each holding ordered entries, so a
// file can be parsed, edited and written back without reordering what the
// caller did not touch. Section and key names are case-insensitive (stored
// lower-cased, as git does); subsection names are case-sensitive, except in
// the legacy "[section.sub]" form, which git lower-cases. An empty subsection
// means "no subsection".
//
// Bytes writes a canonical text that Parse reads back to the same entries.
// Section and key names are expected to be valid git names (letters, digits,
// '-'); subsection names cannot contain a newline.
//
// A Config is a plain value: concurrent reads are safe, concurrent writes (or
// a write concurrent with reads) are not. Nothing here does I/O.
package gitconfig

import (
	"fmt"
	"strconv"
	"strings"
)

// Entry is one "key = value" line.
type Entry struct {
	Section    string // lower-cased
	Subsection string // case-sensitive; "" when the section has none
	Key        string // lower-cased
	Value      string
	NoValue    bool // the key stood alone, without "=" (a boolean true)
	Line       int  // 1-based line in the parsed text; 0 when set programmatically
	// RawKey is the key as written. Git matches keys case-insensitively, but
	// some readers (Gerrit's permission names such as "label-Code-Review")
	// keep the spelling, so Bytes writes it.
	RawKey string
}

// Section names one section header as it appears in the text.
type Section struct {
	Name       string // lower-cased
	Subsection string
	Line       int // line of the header; 0 when created programmatically
}

// ParseError is a syntax or value error at a line of the text.
type ParseError struct {
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// block is one section header and the entries that follow it. A section may
// appear several times in a file; each appearance is its own block.
type block struct {
	name, sub string
	line      int
	entries   []Entry
}

// Config is a parsed or programmatically built git-config file.
type Config struct {
	blocks []*block
}

// New returns an empty Config.
func New() *Config { return &Config{} }

// Clone returns a deep copy of c.
func (c *Config) Clone() *Config {
	out := &Config{blocks: make([]*block, len(c.blocks))}
	for i, b := range c.blocks {
		nb := *b
		nb.entries = append([]Entry(nil), b.entries...)
		out.blocks[i] = &nb
	}
	return out
}

func norm(section, key string) (string, string) {
	return strings.ToLower(section), strings.ToLower(key)
}

func (b *block) is(section, sub string) bool { return b.name == section && b.sub == sub }

// Get returns the last value of a key; the last one wins as in git. A key
// written without "=" returns "" and true.
func (c *Config) Get(section, subsection, key string) (string, bool) {
	e, ok := c.last(section, subsection, key)
	return e.Value, ok
}

func (c *Config) last(section, subsection, key string) (Entry, bool) {
	section, key = norm(section, key)
	var found Entry
	ok := false
	for _, b := range c.blocks {
		if !b.is(section, subsection) {
			continue
		}
		for _, e := range b.entries {
			if e.Key == key {
				found, ok = e, true
			}
		}
	}
	return found, ok
}

// GetAll returns every value of a key in file order.
func (c *Config) GetAll(section, subsection, key string) []string {
	section, key = norm(section, key)
	var out []string
	for _, b := range c.blocks {
		if !b.is(section, subsection) {
			continue
		}
		for _, e := range b.entries {
			if e.Key == key {
				out = append(out, e.Value)
			}
		}
	}
	return out
}

func fullName(section, subsection, key string) string {
	if subsection == "" {
		return section + "." + key
	}
	return section + "." + subsection + "." + key
}

// Bool returns the last value of a key as a boolean, def when it is absent.
// Like git: yes/on/true/1 (any non-zero integer) are true, no/off/false/0 and
// the empty string are false, and a key without "=" is true.
func (c *Config) Bool(section, subsection, key string, def bool) (bool, error) {
	e, ok := c.last(section, subsection, key)
	if !ok {
		return def, nil
	}
	if e.NoValue {
		return true, nil
	}
	v, err := ParseBool(e.Value)
	if err != nil {
		return def, &ParseError{Line: e.Line, Msg: fmt.Sprintf("bad boolean value %q for %s", e.Value, fullName(e.Section, e.Subsection, e.RawKey))}
	}
	return v, nil
}

// ParseBool parses a git boolean value.
func ParseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "false", "no", "off":
		return false, nil
	case "true", "yes", "on":
		return true, nil
	}
	n, err := ParseInt(v)
	if err != nil {
		return false, fmt.Errorf("bad boolean %q", v)
	}
	return n != 0, nil
}

// Int returns the last value of a key as an integer, def when it is absent.
// The suffixes k, m and g multiply by 1024, 1024² and 1024³.
func (c *Config) Int(section, subsection, key string, def int64) (int64, error) {
	e, ok := c.last(section, subsection, key)
	if !ok {
		return def, nil
	}
	n, err := ParseInt(e.Value)
	if err != nil || e.NoValue {
		return def, &ParseError{Line: e.Line, Msg: fmt.Sprintf("bad numeric value %q for %s", e.Value, fullName(e.Section, e.Subsection, e.RawKey))}
	}
	return n, nil
}

// ParseInt parses a git integer with an optional k, m or g suffix.
func ParseInt(v string) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, fmt.Errorf("empty number")
	}
	mult := int64(1)
	switch v[len(v)-1] {
	case 'k', 'K':
		mult = 1 << 10
	case 'm', 'M':
		mult = 1 << 20
	case 'g', 'G':
		mult = 1 << 30
	}
	if mult != 1 {
		v = v[:len(v)-1]
	}
	n, err := strconv.ParseInt(v, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("bad number %q", v)
	}
	if n > 0 && n > (1<<63-1)/mult || n < 0 && n < (-1<<63)/mult {
		return 0, fmt.Errorf("number %q out of range", v)
	}
	return n * mult, nil
}

// Subsections returns the subsection names of a section in order of first
// appearance.
func (c *Config) Subsections(section string) []string {
	section = strings.ToLower(section)
	var out []string
	seen := map[string]bool{}
	for _, b := range c.blocks {
		if b.name == section && b.sub != "" && !seen[b.sub] {
			seen[b.sub] = true
			out = append(out, b.sub)
		}
	}
	return out
}

// Sections returns every section header in file order; a section written
// twice appears twice.
func (c *Config) Sections() []Section {
	out := make([]Section, len(c.blocks))
	for i, b := range c.blocks {
		out[i] = Section{Name: b.name, Subsection: b.sub, Line: b.line}
	}
	return out
}

// Entries returns every entry in file order.
func (c *Config) Entries() []Entry {
	var out []Entry
	for _, b := range c.blocks {
		out = append(out, b.entries...)
	}
	return out
}

func newEntry(section, subsection, key, value string) Entry {
	s, k := norm(section, key)
	return Entry{Section: s, Subsection: subsection, Key: k, RawKey: key, Value: value}
}

// Set replaces every value of a key with one value, kept at the position of
// the first one, or adds it when the key is absent.
func (c *Config) Set(section, subsection, key, value string) {
	e := newEntry(section, subsection, key, value)
	done := false
	for _, b := range c.blocks {
		if !b.is(e.Section, subsection) {
			continue
		}
		kept := b.entries[:0]
		for _, old := range b.entries {
			if old.Key != e.Key {
				kept = append(kept, old)
				continue
			}
			if !done {
				done = true
				kept = append(kept, e)
			}
		}
		b.entries = kept
	}
	if !done {
		c.addEntry(e)
	}
}

// Add appends a value for a key after the last entry of its section (a new
// section at the end when there is none), keeping existing values.
func (c *Config) Add(section, subsection, key, value string) {
	c.addEntry(newEntry(section, subsection, key, value))
}

func (c *Config) addEntry(e Entry) {
	for i := len(c.blocks) - 1; i >= 0; i-- {
		if b := c.blocks[i]; b.is(e.Section, e.Subsection) {
			b.entries = append(b.entries, e)
			return
		}
	}
	c.blocks = append(c.blocks, &block{name: e.Section, sub: e.Subsection, entries: []Entry{e}})
}

// Unset removes every value of a key. The section header stays, as with
// git config --unset.
func (c *Config) Unset(section, subsection, key string) {
	section, key = norm(section, key)
	for _, b := range c.blocks {
		if !b.is(section, subsection) {
			continue
		}
		kept := b.entries[:0]
		for _, e := range b.entries {
			if e.Key != key {
				kept = append(kept, e)
			}
		}
		b.entries = kept
	}
}

// RemoveSection removes every block of a section and all its entries.
func (c *Config) RemoveSection(section, subsection string) {
	section = strings.ToLower(section)
	kept := c.blocks[:0]
	for _, b := range c.blocks {
		if !b.is(section, subsection) {
			kept = append(kept, b)
		}
	}
	c.blocks = kept
}

// Bytes returns the canonical text: one header per block, then one
// tab-indented "key = value" line per entry, values quoted and escaped
// where git needs it.
func (c *Config) Bytes() []byte {
	var sb strings.Builder
	for _, b := range c.blocks {
		sb.WriteByte('[')
		sb.WriteString(b.name)
		if b.sub != "" {
			sb.WriteString(` "`)
			for _, r := range []byte(b.sub) {
				if r == '"' || r == '\\' {
					sb.WriteByte('\\')
				}
				sb.WriteByte(r)
			}
			sb.WriteByte('"')
		}
		sb.WriteString("]\n")
		for _, e := range b.entries {
			sb.WriteByte('\t')
			if e.RawKey != "" {
				sb.WriteString(e.RawKey)
			} else {
				sb.WriteString(e.Key)
			}
			switch {
			case e.NoValue:
			case e.Value == "":
				sb.WriteString(" =")
			default:
				sb.WriteString(" = ")
				sb.WriteString(quote(e.Value))
			}
			sb.WriteByte('\n')
		}
	}
	return []byte(sb.String())
}

// quote escapes a value so git reads it back unchanged. Quotes are needed
// only where unquoted text would be changed: leading or trailing spaces,
// comment characters, and whitespace git would fold into a space.
func quote(v string) string {
	need := v[0] == ' ' || v[len(v)-1] == ' ' || strings.ContainsAny(v, "#;\r\v\f")
	var sb strings.Builder
	if need {
		sb.WriteByte('"')
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\', '"':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case '\n':
			sb.WriteString(`\n`)
		case '\t':
			sb.WriteString(`\t`)
		case '\b':
			sb.WriteString(`\b`)
		default:
			sb.WriteByte(c)
		}
	}
	if need {
		sb.WriteByte('"')
	}
	return sb.String()
}
