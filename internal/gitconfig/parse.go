package gitconfig

import (
	"fmt"
	"strings"
)

// Parse reads git-config text. It follows git's own reader: "#" and ";"
// start comments (also after a value), "[section]", `[section "sub"]` (with
// \" and \\ escapes) and the legacy "[section.sub]" headers, a key alone
// meaning true, double-quoted value parts, the escapes \n \t \b \" \\, and a
// trailing backslash continuing the value on the next line. Unquoted
// whitespace around a value is dropped. Errors are *ParseError.
func Parse(data []byte) (*Config, error) {
	p := &parser{data: data, line: 1}
	if strings.HasPrefix(string(data), "\xef\xbb\xbf") {
		p.pos = 3
	}
	if err := p.parse(); err != nil {
		return nil, err
	}
	return &p.cfg, nil
}

type parser struct {
	data []byte
	pos  int
	line int
	eof  bool
	cfg  Config
	cur  *block
}

// next returns the next byte, folding CRLF into LF; at the end it returns
// '\n' and sets eof, so a last line without newline ends normally.
func (p *parser) next() byte {
	if p.pos >= len(p.data) {
		p.eof = true
		return '\n'
	}
	c := p.data[p.pos]
	p.pos++
	if c == '\r' && p.pos < len(p.data) && p.data[p.pos] == '\n' {
		p.pos++
		c = '\n'
	}
	if c == '\n' {
		p.line++
	}
	return c
}

func (p *parser) errorf(line int, format string, args ...any) error {
	return &ParseError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isKeyChar(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' || c == '-' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func (p *parser) parse() error {
	comment := false
	for {
		line := p.line
		c := p.next()
		if p.eof {
			return nil
		}
		switch {
		case c == '\n':
			comment = false
		case comment || isSpace(c):
		case c == '#' || c == ';':
			comment = true
		case c == '[':
			if err := p.header(line); err != nil {
				return err
			}
		case isAlpha(c):
			if err := p.entry(line, c); err != nil {
				return err
			}
		default:
			return p.errorf(line, "invalid key starting with %q", c)
		}
	}
}

func (p *parser) header(line int) error {
	var name []byte
	sub := ""
	for {
		c := p.next()
		if c == '\n' {
			return p.errorf(line, "unterminated section header")
		}
		if c == ']' {
			break
		}
		if isSpace(c) {
			s, err := p.quotedSubsection(line)
			if err != nil {
				return err
			}
			sub = s
			break
		}
		if !isKeyChar(c) && c != '.' {
			return p.errorf(line, "invalid character %q in section name", c)
		}
		name = append(name, lower(c))
	}
	section := string(name)
	if sub == "" {
		// Legacy [section.sub]: git lower-cases the whole name.
		if i := strings.IndexByte(section, '.'); i >= 0 {
			section, sub = section[:i], section[i+1:]
		}
	}
	if section == "" {
		return p.errorf(line, "empty section name")
	}
	p.cur = &block{name: section, sub: sub, line: line}
	p.cfg.blocks = append(p.cfg.blocks, p.cur)
	return nil
}

// quotedSubsection reads ` "sub"]` after the section name.
func (p *parser) quotedSubsection(line int) (string, error) {
	c := p.next()
	for c == ' ' || c == '\t' {
		c = p.next()
	}
	if c != '"' {
		return "", p.errorf(line, "subsection name must be quoted")
	}
	var sub []byte
	for {
		c = p.next()
		if c == '\n' {
			return "", p.errorf(line, "unterminated subsection name")
		}
		if c == '"' {
			break
		}
		if c == '\\' {
			// Git keeps the escaped character, whatever it is.
			if c = p.next(); c == '\n' {
				return "", p.errorf(line, "unterminated subsection name")
			}
		}
		sub = append(sub, c)
	}
	if c = p.next(); c != ']' {
		return "", p.errorf(line, "expected ']' after subsection name")
	}
	return string(sub), nil
}

func (p *parser) entry(line int, first byte) error {
	if p.cur == nil {
		return p.errorf(line, "key outside of any section")
	}
	raw := []byte{first}
	c := p.next()
	for !p.eof && isKeyChar(c) {
		raw = append(raw, c)
		c = p.next()
	}
	for c == ' ' || c == '\t' {
		c = p.next()
	}
	e := Entry{Section: p.cur.name, Subsection: p.cur.sub, Key: strings.ToLower(string(raw)), RawKey: string(raw), Line: line}
	switch c {
	case '\n':
		e.NoValue = true
	case '=':
		v, err := p.value(line)
		if err != nil {
			return err
		}
		e.Value = v
	default:
		return p.errorf(line, "invalid character %q after key %q", c, string(raw))
	}
	p.cur.entries = append(p.cur.entries, e)
	return nil
}

// value reads the rest of a "key = value" line the way git does: unquoted
// runs of whitespace inside the value become that many spaces, leading and
// trailing ones are dropped.
func (p *parser) value(line int) (string, error) {
	var v []byte
	quoted, comment := false, false
	spaces := 0
	for {
		c := p.next()
		if c == '\n' {
			if quoted {
				return "", p.errorf(line, "unterminated quoted value")
			}
			return string(v), nil
		}
		if comment {
			continue
		}
		if !quoted && isSpace(c) {
			if len(v) > 0 {
				spaces++
			}
			continue
		}
		if !quoted && (c == '#' || c == ';') {
			comment = true
			continue
		}
		for ; spaces > 0; spaces-- {
			v = append(v, ' ')
		}
		switch c {
		case '\\':
			switch c = p.next(); c {
			case '\n':
				continue // line continuation
			case 'n':
				c = '\n'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case '\\', '"':
			default:
				return "", p.errorf(line, "bad escape sequence \\%c", c)
			}
			v = append(v, c)
		case '"':
			quoted = !quoted
		default:
			v = append(v, c)
		}
	}
}
