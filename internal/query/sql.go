package query

import (
	"fmt"
	"strings"
)

// sqlb builds one SQL statement. Placeholders are numbered in the order
// they are written, which is the order db requires.
type sqlb struct {
	buf  strings.Builder
	args []any
}

func (b *sqlb) raw(s string) { b.buf.WriteString(s) }

func (b *sqlb) arg(v any) {
	b.args = append(b.args, v)
	fmt.Fprintf(&b.buf, "$%d", len(b.args))
}

// frag writes a condition (or an expression) into a statement.
type frag func(b *sqlb)

// param is an argument inside sq's parts.
type param struct{ v any }

// sq makes a fragment from parts: strings are SQL, params are arguments,
// frags are nested fragments.
func sq(parts ...any) frag {
	return func(b *sqlb) {
		for _, p := range parts {
			switch p := p.(type) {
			case string:
				b.raw(p)
			case param:
				b.arg(p.v)
			case frag:
				p(b)
			default:
				panic(fmt.Sprintf("query: bad sql part %T", p))
			}
		}
	}
}

// in writes "col IN ($1, …)"; an empty set is false.
func in[T any](col string, vs []T) frag {
	if len(vs) == 0 {
		return sqlFalse
	}
	return func(b *sqlb) {
		b.raw(col + " IN (")
		for i, v := range vs {
			if i > 0 {
				b.raw(", ")
			}
			b.arg(v)
		}
		b.raw(")")
	}
}

// joinFrags writes fs joined by op ("AND", "OR"), each in parentheses.
func joinFrags(op string, fs []frag) frag {
	return func(b *sqlb) {
		for i, f := range fs {
			if i > 0 {
				b.raw(" " + op + " ")
			}
			b.raw("(")
			f(b)
			b.raw(")")
		}
	}
}

var (
	sqlTrue  frag = func(b *sqlb) { b.raw("1 = 1") }
	sqlFalse frag = func(b *sqlb) { b.raw("1 = 0") }
)

// likeContains returns a LIKE pattern (used with ESCAPE '\') that matches
// strings containing s.
func likeContains(s string) string { return "%" + likeEscape(s) + "%" }

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// curPS writes a condition on the change's current patch set, alias ps.
func curPS(cond ...any) frag {
	return sq("EXISTS (SELECT 1 FROM patch_sets ps WHERE ps.change_id = c.id AND ps.ps = c.current_ps AND (", sq(cond...), "))")
}

// curFile writes a condition on a file of the current patch set, alias f.
func curFile(cond ...any) frag {
	return sq("EXISTS (SELECT 1 FROM patch_set_files f WHERE f.change_id = c.id AND f.ps = c.current_ps AND (", sq(cond...), "))")
}

// prefixOf writes a condition that col starts with p (case-sensitive, any
// collation): SUBSTR compares characters.
func prefixOf(col, p string) frag {
	return sq(fmt.Sprintf("SUBSTR(%s, 1, %d) = ", col, len([]rune(p))), param{p})
}

// hexPrefix writes a condition that col (lowercase hex, after a fixed
// lead such as "I") starts with lead+hex; a range on the index first,
// then an exact check.
func hexPrefix(col, lead, hex string) frag {
	p := lead + hex
	exact := prefixOf(col, p)
	if hi, ok := hexUpper(hex); ok {
		return sq(col, " >= ", param{p}, " AND ", col, " < ", param{lead + hi}, " AND ", exact)
	}
	return sq(col, " >= ", param{p}, " AND ", exact)
}

// hexUpper returns the smallest hex string greater than every string that
// starts with h, using hex digits only so that every collation orders it
// the same way; ok is false when there is none (h is all f).
func hexUpper(h string) (string, bool) {
	const digits = "0123456789abcdef"
	b := []byte(h)
	for i := len(b) - 1; i >= 0; i-- {
		j := strings.IndexByte(digits, b[i])
		if j < len(digits)-1 {
			b[i] = digits[j+1]
			return string(b[:i+1]), true
		}
	}
	return "", false
}
