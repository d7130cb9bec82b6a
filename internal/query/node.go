package query

import (
	"strings"
)

// Op is the kind of a Node.
type Op int

// The kinds of nodes.
const (
	OpTerm Op = iota // field:value, or a bare value (Field "")
	OpAnd
	OpOr
	OpNot
)

// Node is one node of a parsed query. And and Or nodes have two or more
// Kids (nested nodes of the same kind are flattened); a Not node has one.
// A Term has a Field (lowercase; "" for a bare word, which searches the
// default field) and a Value, unquoted.
type Node struct {
	Op    Op
	Kids  []*Node
	Field string
	Value string
}

// Term returns the node field:value.
func Term(field, value string) *Node { return &Node{Op: OpTerm, Field: field, Value: value} }

// And returns the conjunction of kids, flattened; one kid is returned as is.
func And(kids ...*Node) *Node { return join(OpAnd, kids) }

// Or returns the disjunction of kids, flattened; one kid is returned as is.
func Or(kids ...*Node) *Node { return join(OpOr, kids) }

// Not returns the negation of n; the negation of a negation is its kid.
func Not(n *Node) *Node {
	if n.Op == OpNot {
		return n.Kids[0]
	}
	return &Node{Op: OpNot, Kids: []*Node{n}}
}

func join(op Op, kids []*Node) *Node {
	var flat []*Node
	for _, k := range kids {
		if k.Op == op {
			flat = append(flat, k.Kids...)
		} else {
			flat = append(flat, k)
		}
	}
	if len(flat) == 1 {
		return flat[0]
	}
	return &Node{Op: op, Kids: flat}
}

// String renders n as a query that parses back to n: operators in
// capitals, explicit AND, parentheses where precedence needs them, and
// values quoted when they are not bare words.
func (n *Node) String() string {
	var b strings.Builder
	n.write(&b, 0)
	return b.String()
}

// write renders n; parent is the precedence of the enclosing operator
// (0 top, 1 OR, 2 AND, 3 NOT).
func (n *Node) write(b *strings.Builder, parent int) {
	switch n.Op {
	case OpTerm:
		if n.Field != "" {
			b.WriteString(n.Field)
			b.WriteByte(':')
		}
		b.WriteString(quote(n.Value, n.Field == ""))
	case OpNot:
		b.WriteByte('-')
		n.Kids[0].write(b, 3)
	case OpAnd, OpOr:
		prec, sep := 2, " AND "
		if n.Op == OpOr {
			prec, sep = 1, " OR "
		}
		if parent > prec {
			b.WriteByte('(')
		}
		for i, k := range n.Kids {
			if i > 0 {
				b.WriteString(sep)
			}
			k.write(b, prec)
		}
		if parent > prec {
			b.WriteByte(')')
		}
	}
}

// quote returns v as it must be written in a query. A bare value must also
// not read as a keyword, a negation or a field:value.
func quote(v string, bare bool) string {
	needs := v == "" || strings.ContainsAny(v, " \t\r\n\"(){}\\")
	if bare && !needs {
		needs = isKeyword(v) || strings.HasPrefix(v, "-") || strings.Contains(v, ":")
	}
	if !needs {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(v) + `"`
}

func isKeyword(w string) bool {
	switch w {
	case "AND", "and", "OR", "or", "NOT", "not":
		return true
	}
	return false
}
