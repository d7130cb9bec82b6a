package query

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// LabelType is what a query needs to know of a label configured for a
// project: its name and the range of its values.
type LabelType struct {
	Name     string
	Min, Max int
}

// findLabel returns the label named name (case-insensitively) in ts.
func findLabel(ts []LabelType, name string) (LabelType, bool) {
	for _, t := range ts {
		if strings.EqualFold(t.Name, name) {
			return t, true
		}
	}
	return LabelType{}, false
}

// voteKind says how a label term's value is given.
type voteKind int

const (
	voteNumber voteKind = iota // a relation to a number: =2, >=1, -1
	voteMax                    // =MAX: the label's highest value
	voteMin                    // =MIN: the label's lowest value
	voteAny                    // =ANY, or no value: any non-zero vote
	voteStatus                 // =ok/need/reject/may/impossible: the submit record's label status
)

// whoKind says whose votes a label term counts.
type whoKind int

const (
	whoAnyone         whoKind = iota
	whoAccounts               // user=U: resolved later
	whoGroup                  // group=G: resolved later
	whoUserOrGroup            // a bare argument: a user, else a group
	whoOwner                  // the change owner
	whoNonUploader            // anyone but the current patch set's uploader
	whoNonContributor         // anyone but its uploader, author and committer
)

// labelSpec is a parsed label:VALUE term.
type labelSpec struct {
	name   string
	kind   voteKind
	op     string // for voteNumber: "=", ">=", "<=", ">", "<"
	value  int
	status string // for voteStatus, upper case: OK, NEED, REJECT, MAY, IMPOSSIBLE
	who    whoKind
	whoArg string // the user or group named
	count  *countSpec
}

// countSpec is a count relation: count>=2.
type countSpec struct {
	op string
	n  int
}

// countRange returns the range of vote counts the relation accepts; hi < 0
// means unbounded. Like Gerrit, a relation never matches a count of zero.
func (c *countSpec) countRange() (lo, hi int) {
	switch c.op {
	case "=":
		if c.n < 1 {
			return 1, 0 // empty
		}
		return c.n, c.n
	case ">=":
		return max(c.n, 1), -1
	case ">":
		return max(c.n+1, 1), -1
	case "<=":
		return 1, c.n
	default: // "<"
		return 1, c.n - 1
	}
}

// Patterns are compiled on first use: every push starts this binary as a
// git hook, which must not pay for them.
var (
	labelRel  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.+?)(>=|<=|=|>|<)(.*)$`) })
	labelSign = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.+?)([+-][0-9]+)$`) })
	countRel  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^count(>=|<=|=|>|<)([0-9]+)$`) })
)

// parseLabel parses the value of a label: term. Arguments after the vote
// are separated by ',' (Gerrit) or '&'.
func parseLabel(v string) (*labelSpec, error) {
	parts := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '&' })
	if len(parts) == 0 {
		return nil, errorf("Invalid label: %s", v)
	}
	s := &labelSpec{kind: voteAny}
	head := parts[0]
	if m := labelRel().FindStringSubmatch(head); m != nil {
		s.name, s.op = m[1], m[2]
		if err := s.setValue(m[3], v); err != nil {
			return nil, err
		}
	} else if m := labelSign().FindStringSubmatch(head); m != nil {
		s.name, s.op = m[1], "="
		if err := s.setValue(m[2], v); err != nil {
			return nil, err
		}
	} else {
		s.name = head
	}
	if !validLabelName(s.name) {
		return nil, errorf("Invalid label: %s", v)
	}
	for _, arg := range parts[1:] {
		if err := s.setArg(arg, v); err != nil {
			return nil, err
		}
	}
	if s.count != nil && (s.who != whoAnyone || s.kind == voteStatus) {
		return nil, errorf("Invalid label: %s: count cannot be combined with a user, a group or a label status", v)
	}
	return s, nil
}

func validLabelName(n string) bool {
	if n == "" {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (s *labelSpec) setValue(val, whole string) error {
	switch u := strings.ToUpper(val); u {
	case "MAX", "MIN", "ANY":
		if s.op != "=" {
			return errorf("Invalid label: %s: %s needs \"=\"", whole, u)
		}
		s.kind = map[string]voteKind{"MAX": voteMax, "MIN": voteMin, "ANY": voteAny}[u]
		return nil
	case "OK", "NEED", "REJECT", "MAY", "IMPOSSIBLE":
		if s.op != "=" {
			return errorf("Invalid label: %s: %s needs \"=\"", whole, strings.ToLower(u))
		}
		s.kind, s.status = voteStatus, u
		return nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(val, "+"))
	if err != nil || strings.HasPrefix(val, "+-") {
		return errorf("Invalid label: %s: bad vote %q", whole, val)
	}
	s.kind, s.value = voteNumber, n
	return nil
}

func (s *labelSpec) setArg(arg, whole string) error {
	if m := countRel().FindStringSubmatch(arg); m != nil {
		if s.count != nil {
			return errorf("Invalid label: %s: count given twice", whole)
		}
		n, err := strconv.Atoi(m[2])
		if err != nil {
			return errorf("Invalid label: %s: bad count", whole)
		}
		s.count = &countSpec{op: m[1], n: n}
		return nil
	}
	if s.who != whoAnyone {
		return errorf("Invalid label: %s: more than one user or group", whole)
	}
	key, val, hasKey := strings.Cut(arg, "=")
	switch {
	case !hasKey && strings.EqualFold(arg, "owner"), hasKey && key == "user" && strings.EqualFold(val, "owner"):
		s.who = whoOwner
	case !hasKey && strings.EqualFold(arg, "non_uploader"), hasKey && key == "user" && strings.EqualFold(val, "non_uploader"):
		s.who = whoNonUploader
	case !hasKey && strings.EqualFold(arg, "non_contributor"), hasKey && key == "user" && strings.EqualFold(val, "non_contributor"):
		s.who = whoNonContributor
	case hasKey && key == "user" && val != "":
		s.who, s.whoArg = whoAccounts, val
	case hasKey && key == "group" && val != "":
		s.who, s.whoArg = whoGroup, val
	case !hasKey && arg != "":
		s.who, s.whoArg = whoUserOrGroup, arg
	default:
		return errorf("Invalid label: %s: unknown argument %q", whole, arg)
	}
	return nil
}

// voteRange is an inclusive range of vote values.
type voteRange struct{ lo, hi int }

const (
	minVote = -1 << 20
	maxVote = 1 << 20
)

func (r voteRange) empty() bool    { return r.lo > r.hi }
func (r voteRange) hasZero() bool  { return r.lo <= 0 && r.hi >= 0 }
func (r voteRange) has(v int) bool { return v >= r.lo && v <= r.hi }

// numberRange turns a numeric relation into a range of values.
func numberRange(op string, v int) voteRange {
	switch op {
	case ">=":
		return voteRange{v, maxVote}
	case ">":
		return voteRange{v + 1, maxVote}
	case "<=":
		return voteRange{minVote, v}
	case "<":
		return voteRange{minVote, v - 1}
	}
	return voteRange{v, v}
}

// rangeFor returns the values a numeric, MAX, MIN or ANY term accepts for
// a label of type t (ok false: the label is not configured). MAX needs a
// positive and MIN a negative vote: a label whose range does not reach
// above (below) zero has no MAX (MIN) vote, so nothing matches.
func (s *labelSpec) rangeFor(t LabelType, ok bool) voteRange {
	switch s.kind {
	case voteNumber:
		return numberRange(s.op, s.value)
	case voteAny:
		return voteRange{minVote, maxVote}
	case voteMax:
		if !ok || t.Max <= 0 {
			return voteRange{1, 0}
		}
		return voteRange{t.Max, t.Max}
	case voteMin:
		if !ok || t.Min >= 0 {
			return voteRange{1, 0}
		}
		return voteRange{t.Min, t.Min}
	}
	return voteRange{1, 0}
}

// needsConfig reports whether the term's meaning depends on the label's
// configuration in the change's project.
func (s *labelSpec) needsConfig() bool { return s.kind == voteMax || s.kind == voteMin }
