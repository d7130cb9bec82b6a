package review

import (
	"fmt"
	"strings"
	"unicode"
)

// expr is a parsed boolean expression over field:value atoms, the grammar
// of copyCondition (Gerrit's approval query language): AND, OR, NOT, a
// leading "-", parentheses, juxtaposition meaning AND, and double-quoted
// values. NOT binds tighter than AND, AND tighter than OR.
type expr interface{ isExpr() }

type (
	andExpr []expr
	orExpr  []expr
	notExpr struct{ e expr }
	atom    struct{ field, value string }
)

func (andExpr) isExpr() {}
func (orExpr) isExpr()  {}
func (notExpr) isExpr() {}
func (atom) isExpr()    {}

func (a atom) String() string {
	if strings.ContainsAny(a.value, " \t()\"") {
		return a.field + ":\"" + a.value + "\""
	}
	return a.field + ":" + a.value
}

// parseExpr parses s; an empty expression is an error.
func parseExpr(s string) (expr, error) {
	p := &exprParser{toks: nil}
	if err := p.lex(s); err != nil {
		return nil, err
	}
	if len(p.toks) == 0 {
		return nil, fmt.Errorf("empty expression")
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q in %q", p.toks[p.pos].text, s)
	}
	return e, nil
}

type tokKind int

const (
	tokWord tokKind = iota
	tokOpen
	tokClose
	tokMinus
)

type token struct {
	kind   tokKind
	text   string
	quoted bool
}

type exprParser struct {
	toks []token
	pos  int
}

func (p *exprParser) lex(s string) error {
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(':
			p.toks = append(p.toks, token{kind: tokOpen, text: "("})
			i++
		case r == ')':
			p.toks = append(p.toks, token{kind: tokClose, text: ")"})
			i++
		case r == '-' && (i+1 < len(rs) && !unicode.IsSpace(rs[i+1])):
			p.toks = append(p.toks, token{kind: tokMinus, text: "-"})
			i++
		default:
			var b strings.Builder
			quoted := false
			for i < len(rs) && !unicode.IsSpace(rs[i]) && rs[i] != '(' && rs[i] != ')' {
				if rs[i] == '"' {
					quoted = true
					j := i + 1
					for j < len(rs) && rs[j] != '"' {
						b.WriteRune(rs[j])
						j++
					}
					if j == len(rs) {
						return fmt.Errorf("unterminated quote in %q", s)
					}
					i = j + 1
					continue
				}
				b.WriteRune(rs[i])
				i++
			}
			p.toks = append(p.toks, token{kind: tokWord, text: b.String(), quoted: quoted})
		}
	}
	return nil
}

func (p *exprParser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == tokWord && !p.toks[p.pos].quoted && p.toks[p.pos].text == w
}

func (p *exprParser) or() (expr, error) {
	var kids orExpr
	for {
		e, err := p.and()
		if err != nil {
			return nil, err
		}
		kids = append(kids, e)
		if !p.peekWord("OR") {
			break
		}
		p.pos++
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return kids, nil
}

func (p *exprParser) and() (expr, error) {
	var kids andExpr
	for {
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		kids = append(kids, e)
		if p.peekWord("AND") {
			p.pos++
			continue
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].kind == tokClose || p.peekWord("OR") {
			break
		}
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return kids, nil
}

func (p *exprParser) unary() (expr, error) {
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("expression ends early")
	}
	t := p.toks[p.pos]
	switch {
	case t.kind == tokMinus || p.peekWord("NOT"):
		p.pos++
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	case t.kind == tokOpen:
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].kind != tokClose {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return e, nil
	case t.kind == tokClose:
		return nil, fmt.Errorf("unexpected )")
	case t.kind == tokWord && !t.quoted && (t.text == "AND" || t.text == "OR"):
		return nil, fmt.Errorf("unexpected %s", t.text)
	}
	p.pos++
	field, value, ok := strings.Cut(t.text, ":")
	if !ok || field == "" {
		return nil, fmt.Errorf("%q is not of the form field:value", t.text)
	}
	return atom{field: strings.ToLower(field), value: value}, nil
}

// evalExpr evaluates e with leaf, collecting the atoms that held and did
// not hold (each evaluated atom once, in order).
func evalExpr(e expr, leaf func(atom) (bool, error)) (bool, []string, []string, error) {
	var passing, failing []string
	var eval func(e expr) (bool, error)
	eval = func(e expr) (bool, error) {
		switch e := e.(type) {
		case atom:
			ok, err := leaf(e)
			if err != nil {
				return false, err
			}
			if ok {
				passing = append(passing, e.String())
			} else {
				failing = append(failing, e.String())
			}
			return ok, nil
		case notExpr:
			ok, err := eval(e.e)
			return !ok, err
		case andExpr:
			all := true
			for _, k := range e {
				ok, err := eval(k)
				if err != nil {
					return false, err
				}
				all = all && ok
			}
			return all, nil
		case orExpr:
			any := false
			for _, k := range e {
				ok, err := eval(k)
				if err != nil {
					return false, err
				}
				any = any || ok
			}
			return any, nil
		}
		return false, fmt.Errorf("unknown expression %T", e)
	}
	ok, err := eval(e)
	return ok, passing, failing, err
}
