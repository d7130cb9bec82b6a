package access

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

type patternKind int

const (
	exactPattern  patternKind = iota // refs/meta/config
	prefixPattern                    // refs/heads/*
	regexPattern                     // ^refs/heads/rel-[0-9]+
)

// refPattern is a compiled ref pattern (parameters already expanded) with
// what Gerrit's "most specific first" order needs to know about it.
type refPattern struct {
	text    string
	kind    patternKind
	re      *regexp.Regexp
	example string // a short ref the pattern matches
	// finite is false when the pattern matches infinitely many refs.
	finite bool
	// transitions stands in for the number of transitions of the pattern's
	// automaton in Gerrit: more means more specific. For regular
	// expressions it is approximated by counting the literal characters,
	// classes and operators of the parsed expression.
	transitions int
}

func compilePattern(text string) (*refPattern, error) {
	p := &refPattern{text: text}
	switch {
	case strings.HasPrefix(text, "^"):
		re, err := regexp.Compile("^(?:" + text[1:] + ")$")
		if err != nil {
			return nil, fmt.Errorf("ref pattern %q: %w", text, err)
		}
		tree, err := syntax.Parse(text[1:], syntax.Perl)
		if err != nil {
			return nil, fmt.Errorf("ref pattern %q: %w", text, err)
		}
		tree = tree.Simplify()
		p.kind, p.re = regexPattern, re
		p.example = shortestExample(tree)
		p.finite = isFinite(tree)
		p.transitions = countTransitions(tree)
	case strings.HasSuffix(text, "/*"):
		p.kind = prefixPattern
		p.example = text[:len(text)-1]
		p.transitions = len(text)
	default:
		p.kind = exactPattern
		p.example = text
		p.finite = true
		p.transitions = len(text)
	}
	return p, nil
}

func (p *refPattern) match(ref string) bool {
	switch p.kind {
	case exactPattern:
		return ref == p.text
	case prefixPattern:
		return strings.HasPrefix(ref, p.text[:len(p.text)-1])
	}
	return p.re.MatchString(ref)
}

// specificity orders patterns matching one ref the way Gerrit does: the
// pattern closest to the ref (Levenshtein distance) first, then finite
// before infinite, then more transitions, then longer text.
type specificity struct {
	distance, transitions, length int
	finite                        bool
}

func (p *refPattern) specificity(ref string) specificity {
	s := specificity{finite: p.finite, transitions: p.transitions, length: len(p.text)}
	switch p.kind {
	case exactPattern:
		if ref != p.text {
			s.distance = max(len(ref), len(p.text))
		}
	case prefixPattern:
		s.distance = levenshtein(p.text, ref)
	default:
		s.distance = levenshtein(p.example, ref)
	}
	return s
}

func (a specificity) less(b specificity) bool {
	switch {
	case a.distance != b.distance:
		return a.distance < b.distance
	case a.finite != b.finite:
		return a.finite
	case a.transitions != b.transitions:
		return a.transitions > b.transitions
	}
	return a.length > b.length
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// shortestExample returns a shortest string the expression matches;
// characters that cannot appear in a ref name stand as '-'.
func shortestExample(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		return printable(string(re.Rune))
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return ""
		}
		return printable(string(re.Rune[0]))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return "-"
	case syntax.OpCapture, syntax.OpPlus:
		return shortestExample(re.Sub[0])
	case syntax.OpRepeat:
		return strings.Repeat(shortestExample(re.Sub[0]), re.Min)
	case syntax.OpConcat:
		var sb strings.Builder
		for _, sub := range re.Sub {
			sb.WriteString(shortestExample(sub))
		}
		return sb.String()
	case syntax.OpAlternate:
		best := ""
		for i, sub := range re.Sub {
			s := shortestExample(sub)
			if i == 0 || len(s) < len(best) || len(s) == len(best) && s < best {
				best = s
			}
		}
		return best
	}
	return "" // empty matches, anchors, star, quest
}

func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '-'
		}
		return r
	}, s)
}

func isFinite(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpStar, syntax.OpPlus:
		return false
	case syntax.OpRepeat:
		if re.Max == -1 {
			return false
		}
	}
	for _, sub := range re.Sub {
		if !isFinite(sub) {
			return false
		}
	}
	return true
}

func countTransitions(re *syntax.Regexp) int {
	n := 0
	switch re.Op {
	case syntax.OpLiteral:
		n = len(re.Rune)
	case syntax.OpCharClass:
		n = len(re.Rune) / 2
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL, syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		n = 1
	}
	for _, sub := range re.Sub {
		n += countTransitions(sub)
	}
	return n
}

// Parameters a ref pattern may use.
const (
	paramUsername      = "${username}"
	paramShardedUserID = "${shardeduserid}"
)

func hasParams(pattern string) bool { return strings.Contains(pattern, "${") }

// expand fills in a pattern's parameters for a subject; false when the
// subject lacks a value (anonymous callers have neither).
func expand(pattern string, s Subject) (string, bool) {
	regex := strings.HasPrefix(pattern, "^")
	if strings.Contains(pattern, paramUsername) {
		if s.Username == "" {
			return "", false
		}
		u := s.Username
		if regex {
			u = regexp.QuoteMeta(u)
		}
		pattern = strings.ReplaceAll(pattern, paramUsername, u)
	}
	if strings.Contains(pattern, paramShardedUserID) {
		if s.AccountID <= 0 {
			return "", false
		}
		pattern = strings.ReplaceAll(pattern, paramShardedUserID, ShardedID(s.AccountID))
	}
	if hasParams(pattern) {
		return "", false // an unknown parameter never matches
	}
	return pattern, true
}

// ShardedID returns "NN/ID", NN the last two digits of the id, as used in
// All-Users refs/users/NN/ID.
func ShardedID(id int64) string { return fmt.Sprintf("%02d/%d", id%100, id) }
