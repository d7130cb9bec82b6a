package query

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Parse parses a change query. The caller has already decoded the URL
// ('+' and %20 are spaces). Juxtaposition and AND/and conjoin, OR/or
// disjoins (AND binds tighter), NOT/not and a leading '-' negate,
// parentheses group. A value is a bare word, a "…" phrase (a backslash
// escapes the next character) or a {…} phrase. Errors are *Error.
func Parse(q string) (*Node, error) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if p.peek().kind == tEOF {
		return nil, errorf("empty query")
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t)
	}
	return n, nil
}

type tokKind int

const (
	tEOF tokKind = iota
	tTerm
	tAnd
	tOr
	tNot   // NOT or not, followed by space
	tMinus // '-' glued to the next term or parenthesis
	tOpen
	tClose
)

type token struct {
	kind  tokKind
	col   int // 1-based column of the token's first character
	field string
	value string
	text  string // as written, for messages
}

// lex splits q into tokens.
func lex(q string) ([]token, error) {
	var toks []token
	i := 0
	col := func(i int) int { return utf8.RuneCountInString(q[:i]) + 1 }
	for {
		for i < len(q) {
			r, size := utf8.DecodeRuneInString(q[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += size
		}
		if i == len(q) {
			toks = append(toks, token{kind: tEOF, col: col(i), text: "end of query"})
			return toks, nil
		}
		start := i
		switch c := q[i]; {
		case c == '(':
			toks = append(toks, token{kind: tOpen, col: col(i), text: "("})
			i++
			continue
		case c == ')':
			toks = append(toks, token{kind: tClose, col: col(i), text: ")"})
			i++
			continue
		case c == '-':
			if i+1 == len(q) || isBreak(q[i+1]) && q[i+1] != '(' && q[i+1] != '"' && q[i+1] != '{' {
				return nil, errorf("missing term after \"-\" at column %d", col(i))
			}
			toks = append(toks, token{kind: tMinus, col: col(i), text: "-"})
			i++
			continue
		case c == '}':
			return nil, errorf("unexpected \"}\" at column %d", col(i))
		case c == '"' || c == '{':
			v, next, err := phrase(q, i, col)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tTerm, col: col(start), value: v, text: q[start:next]})
			i = next
			continue
		}
		for i < len(q) && !isBreak(q[i]) {
			i++
		}
		word := q[start:i]
		if isKeyword(word) {
			kind := map[string]tokKind{"AND": tAnd, "and": tAnd, "OR": tOr, "or": tOr, "NOT": tNot, "not": tNot}[word]
			toks = append(toks, token{kind: kind, col: col(start), text: word})
			continue
		}
		field, value, isField := strings.Cut(word, ":")
		if !isField {
			toks = append(toks, token{kind: tTerm, col: col(start), value: word, text: word})
			continue
		}
		if !validField(field) {
			return nil, errorf("Unsupported operator %s", word)
		}
		if value == "" {
			if i < len(q) && (q[i] == '"' || q[i] == '{') {
				v, next, err := phrase(q, i, col)
				if err != nil {
					return nil, err
				}
				value, i = v, next
			} else {
				return nil, errorf("missing value for \"%s:\" at column %d", field, col(start))
			}
		} else if i < len(q) && (q[i] == '"' || q[i] == '{') {
			return nil, errorf("unexpected %q at column %d", q[i], col(i))
		}
		toks = append(toks, token{kind: tTerm, col: col(start), field: strings.ToLower(field), value: value, text: q[start:i]})
	}
}

// isBreak reports whether c ends a bare word. Bare words are lenient: any
// character but space, parentheses, quotes and braces.
func isBreak(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v', '(', ')', '"', '{', '}':
		return true
	}
	return false
}

// validField reports whether s can name an operator: letters, digits,
// '_' and '-', starting with a letter.
func validField(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_' || r == '-'):
		default:
			return false
		}
	}
	return true
}

// phrase reads the "…" or {…} phrase starting at q[i]; it returns its
// text and the index after it.
func phrase(q string, i int, col func(int) int) (string, int, error) {
	start := i
	if q[i] == '{' {
		end := strings.IndexAny(q[i+1:], "{}")
		if end < 0 || q[i+1+end] == '{' {
			return "", 0, errorf("missing \"}\" for the \"{\" at column %d", col(start))
		}
		return q[i+1 : i+1+end], i + end + 2, nil
	}
	var b strings.Builder
	for i++; i < len(q); i++ {
		switch q[i] {
		case '\\':
			if i+1 == len(q) {
				return "", 0, errorf("missing closing quote for the quote at column %d", col(start))
			}
			i++
			b.WriteByte(q[i])
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(q[i])
		}
	}
	return "", 0, errorf("missing closing quote for the quote at column %d", col(start))
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) unexpected(t token) error {
	switch t.kind {
	case tClose:
		return errorf("unexpected \")\" at column %d: no opening parenthesis", t.col)
	case tEOF:
		return errorf("unexpected end of query")
	}
	return errorf("unexpected %q at column %d", t.text, t.col)
}

// or := and (OR and)*
func (p *parser) or() (*Node, error) {
	first, err := p.and()
	if err != nil {
		return nil, err
	}
	kids := []*Node{first}
	for p.peek().kind == tOr {
		op := p.next()
		if !startsUnary(p.peek().kind) {
			return nil, errorf("missing term after %q at column %d", op.text, op.col)
		}
		n, err := p.and()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	return Or(kids...), nil
}

// and := unary ((AND)? unary)*
func (p *parser) and() (*Node, error) {
	first, err := p.unary()
	if err != nil {
		return nil, err
	}
	kids := []*Node{first}
	for {
		t := p.peek()
		if t.kind == tAnd {
			p.next()
			if !startsUnary(p.peek().kind) {
				return nil, errorf("missing term after %q at column %d", t.text, t.col)
			}
		} else if !startsUnary(t.kind) {
			return And(kids...), nil
		}
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
}

func startsUnary(k tokKind) bool {
	return k == tTerm || k == tNot || k == tMinus || k == tOpen
}

// unary := (NOT | '-') unary | '(' or ')' | term
func (p *parser) unary() (*Node, error) {
	t := p.next()
	switch t.kind {
	case tNot, tMinus:
		if !startsUnary(p.peek().kind) {
			return nil, errorf("missing term after %q at column %d", t.text, t.col)
		}
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		return Not(n), nil
	case tOpen:
		if p.peek().kind == tClose {
			return nil, errorf("empty parentheses at column %d", t.col)
		}
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tClose {
			if c.kind == tEOF {
				return nil, errorf("missing closing parenthesis for the \"(\" at column %d", t.col)
			}
			return nil, p.unexpected(c)
		}
		return n, nil
	case tTerm:
		return Term(t.field, t.value), nil
	}
	return nil, p.unexpected(t)
}
