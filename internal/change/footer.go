package change

import (
	"slices"
	"strings"
)

// Footer is one "Key: value" line of a commit message's footer block.
type Footer struct {
	Key   string // as written; compare with strings.EqualFold
	Value string // trimmed; continuation lines joined by single spaces
}

// String is the footer as a message line, without the newline.
func (f Footer) String() string { return f.Key + ": " + f.Value }

// CommitMessage is a commit message split the way Gerrit reads it. Gerrit uses
// JGit's footer rules, which differ from `git interpret-trailers`: the
// footer block is the last paragraph (never the subject line itself), and
// every line in it of the form `Key:` (key letters, digits and '-', no
// space before the colon) is a footer, however few they are. Lines in the
// block that are not footers are skipped; an indented line continues the
// footer above it, as in git. A CommitMessage is immutable.
type CommitMessage struct {
	// Subject is the first paragraph with its lines joined by single
	// spaces (JGit's "short message", Gerrit's change subject).
	Subject string
	// Body is the text between the first paragraph and the footer block,
	// without surrounding blank lines; "" when there is none.
	Body string
	// FooterBlock is the footer paragraph as written, "" when the
	// message has no footers.
	FooterBlock string
	// Footers are the footers of FooterBlock in message order.
	Footers []Footer

	lines       []string // message lines, trailing blank lines removed
	subjectAt   int      // index of the subject line
	subjectEnd  int      // index after the first paragraph
	footerStart int      // index of the first line of the footer block; len(lines) when none
	footerAt    []int    // line index of each footer's key line
}

// ParseCommitMessage splits a commit message into subject, body and footers.
func ParseCommitMessage(msg string) CommitMessage {
	m := CommitMessage{lines: strings.Split(msg, "\n")}
	for len(m.lines) > 0 && blankLine(m.lines[len(m.lines)-1]) {
		m.lines = m.lines[:len(m.lines)-1]
	}
	n := len(m.lines)
	for m.subjectAt < n && blankLine(m.lines[m.subjectAt]) {
		m.subjectAt++
	}
	m.subjectEnd = m.subjectAt
	var subject []string
	for m.subjectEnd < n && !blankLine(m.lines[m.subjectEnd]) {
		subject = append(subject, strings.TrimRight(m.lines[m.subjectEnd], "\r"))
		m.subjectEnd++
	}
	m.Subject = strings.Join(subject, " ")

	// The last paragraph, but never the subject line: a one-line message
	// has no footers even when it looks like one.
	start := n
	for start > 0 && !blankLine(m.lines[start-1]) {
		start--
	}
	if start <= m.subjectAt {
		start = m.subjectAt + 1
	}
	m.footerStart = n
	cont := false // the previous line was a footer or its continuation
	for i := start; i < n; i++ {
		line := strings.TrimRight(m.lines[i], "\r")
		if cont && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) {
			f := &m.Footers[len(m.Footers)-1]
			f.Value = strings.TrimSpace(f.Value + " " + strings.TrimSpace(line))
			continue
		}
		key, value, ok := splitFooterLine(line)
		cont = ok
		if !ok {
			continue
		}
		m.Footers = append(m.Footers, Footer{Key: key, Value: value})
		m.footerAt = append(m.footerAt, i)
	}
	if len(m.Footers) > 0 {
		m.footerStart = start
		m.FooterBlock = strings.Join(m.lines[start:], "\n")
	}
	bodyStart, bodyEnd := m.subjectEnd, m.footerStart
	for bodyStart < bodyEnd && blankLine(m.lines[bodyStart]) {
		bodyStart++
	}
	for bodyEnd > bodyStart && blankLine(m.lines[bodyEnd-1]) {
		bodyEnd--
	}
	if bodyStart < bodyEnd {
		m.Body = strings.Join(m.lines[bodyStart:bodyEnd], "\n")
	}
	return m
}

// footerLine splits "Key: value"; the key is letters, digits and '-'
// directly followed by the colon, and spaces after the colon are skipped.
func splitFooterLine(line string) (key, value string, ok bool) {
	i := 0
	for i < len(line) && isKeyByte(line[i]) {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ':' {
		return "", "", false
	}
	return line[:i], strings.TrimSpace(line[i+1:]), true
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

func blankLine(line string) bool { return strings.TrimSpace(line) == "" }

// Values returns the values of the footers named key (case-insensitive),
// in message order.
func (m CommitMessage) Values(key string) []string {
	var out []string
	for _, f := range m.Footers {
		if strings.EqualFold(f.Key, key) {
			out = append(out, f.Value)
		}
	}
	return out
}

// Has reports whether a footer has this key (case-insensitive) and exactly
// this value.
func (m CommitMessage) Has(key, value string) bool {
	for _, f := range m.Footers {
		if strings.EqualFold(f.Key, key) && f.Value == value {
			return true
		}
	}
	return false
}

// String is the message as parsed, with one final newline.
func (m CommitMessage) String() string { return renderLines(m.lines) }

func renderLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// AddFooters returns msg with the footers appended at the end of its
// footer block, or as a new last paragraph when it has no footers. A
// footer already present with the same key and value is not repeated.
// This is where Gerrit puts the footers it adds when it rewrites a commit
// on submit. The result ends with a newline.
func AddFooters(msg string, footers ...Footer) string {
	m := ParseCommitMessage(msg)
	lines := m.lines
	var add []string
	for _, f := range footers {
		line := f.String()
		if m.Has(f.Key, f.Value) || containsLine(add, line) {
			continue
		}
		add = append(add, line)
	}
	if len(add) == 0 {
		return m.String()
	}
	if len(m.Footers) == 0 && len(lines) > 0 {
		lines = append(lines, "")
	}
	return renderLines(append(lines, add...))
}

func containsLine(lines []string, line string) bool {
	for _, l := range lines {
		if l == line {
			return true
		}
	}
	return false
}

// SetFooter returns msg with exactly one footer named f.Key: the first
// existing one (case-insensitive, with its continuation lines) is replaced
// in place and any others are removed; without one, f is added as
// AddFooters does. The result ends with a newline.
func SetFooter(msg string, f Footer) string {
	m := ParseCommitMessage(msg)
	idx := m.footersNamed(f.Key)
	if len(idx) == 0 {
		return AddFooters(msg, f)
	}
	return m.replace(idx, f.String())
}

// footersNamed returns the indexes into Footers of the footers named key.
func (m CommitMessage) footersNamed(key string) []int {
	var idx []int
	for i, ft := range m.Footers {
		if strings.EqualFold(ft.Key, key) {
			idx = append(idx, i)
		}
	}
	return idx
}

// replace puts line where footer idx[0] is and drops the footers idx,
// continuation lines included.
func (m CommitMessage) replace(idx []int, line string) string {
	drop := map[int]bool{}
	for _, i := range idx {
		for l := m.footerAt[i]; l < m.footerEnd(i); l++ {
			drop[l] = true
		}
	}
	first := m.footerAt[idx[0]]
	var out []string
	for i, l := range m.lines {
		switch {
		case i == first:
			out = append(out, line)
		case !drop[i]:
			out = append(out, l)
		}
	}
	return renderLines(out)
}

// footerEnd is the line index after footer i and its continuation lines.
func (m CommitMessage) footerEnd(i int) int {
	end := m.footerAt[i] + 1
	for end < len(m.lines) {
		l := m.lines[end]
		if !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "\t") || blankLine(l) {
			break
		}
		end++
	}
	return end
}

// InsertFooterBeforeSignOff returns msg with f placed where the commit-msg
// hook puts a Change-Id: just before the first Signed-off-by footer, at the
// end of the footer block when there is none, or as a new last paragraph
// when the message has no footers. The result ends with a newline.
func InsertFooterBeforeSignOff(msg string, f Footer) string {
	m := ParseCommitMessage(msg)
	for i, ft := range m.Footers {
		if strings.EqualFold(ft.Key, SignedOffBy) {
			at := m.footerAt[i]
			lines := append(append(append([]string{}, m.lines[:at]...), f.String()), m.lines[at:]...)
			return renderLines(lines)
		}
	}
	if len(m.lines) == 0 {
		return renderLines([]string{f.String()})
	}
	lines := m.lines
	if len(m.Footers) == 0 {
		lines = append(lines, "")
	}
	return renderLines(append(lines, f.String()))
}

// Footer keys Gerrit reads or writes.
const (
	ChangeIDKey   = "Change-Id"
	LinkKey       = "Link"
	SignedOffBy   = "Signed-off-by"
	ReviewedOnKey = "Reviewed-on"
	ReviewedByKey = "Reviewed-by"
	TestedByKey   = "Tested-by"
)

// SubmitVote is a positive vote to record in a submitted commit's message.
type SubmitVote struct {
	Label string // "Code-Review", "Verified", or another label's name
	Name  string // the voter's full name, may be ""
	Email string // the voter's preferred email, may be ""
}

// FooterKey is the footer Gerrit writes for a vote on label: Reviewed-by
// for Code-Review, Tested-by for Verified, the label's own name otherwise.
func (a SubmitVote) FooterKey() string {
	switch {
	case strings.EqualFold(a.Label, "Code-Review"):
		return ReviewedByKey
	case strings.EqualFold(a.Label, "Verified"):
		return TestedByKey
	}
	return a.Label
}

// ident is "Name <email>", either part alone, or "" with neither.
func (a SubmitVote) ident() string {
	var parts []string
	if a.Name != "" {
		parts = append(parts, a.Name)
	}
	if a.Email != "" {
		parts = append(parts, "<"+a.Email+">")
	}
	return strings.Join(parts, " ")
}

// SubmitFooters are the footers Gerrit adds to a commit it writes on
// submit (cherry-pick, rebase).
type SubmitFooters struct {
	ChangeID   string       // added when the message has no Change-Id (Link footers count)
	WebURL     string       // gerrit.canonicalWebUrl, to recognise Link footers
	ReviewedOn string       // the change's URL; "" adds none
	Votes      []SubmitVote // positive votes, in the order to list them
}

// noCommitMessage stands in for an empty commit message, as Gerrit writes it.
const noCommitMessage = "<no commit message provided>"

// AddSubmitFooters returns msg with Gerrit's submit footers appended to its
// footer block (or as a new paragraph): the change's Change-Id unless the
// message names it already (a Change-Id of another change does not
// count), then Reviewed-on, then one line per vote ("Reviewed-by: Name
// <email>"). A footer already present with the same value is not
// repeated, and a voter who signed the commit off is not listed again.
func AddSubmitFooters(msg string, s SubmitFooters) string {
	if strings.TrimSpace(msg) == "" {
		msg = noCommitMessage
	}
	m := ParseCommitMessage(msg)
	var add []Footer
	if s.ChangeID != "" && !slices.Contains(m.ChangeIDs(s.WebURL), s.ChangeID) {
		add = append(add, Footer{ChangeIDKey, s.ChangeID})
	}
	if s.ReviewedOn != "" {
		add = append(add, Footer{ReviewedOnKey, s.ReviewedOn})
	}
	for _, a := range s.Votes {
		if a.Email != "" && m.signedOffBy(a.Email) {
			continue
		}
		if id := a.ident(); id != "" && a.Label != "" {
			add = append(add, Footer{a.FooterKey(), id})
		}
	}
	return AddFooters(msg, add...)
}

// signedOffBy reports whether a Signed-off-by footer names email.
func (m CommitMessage) signedOffBy(email string) bool {
	return slices.Contains(m.SignedOffBy(), email)
}

// SignedOffBy returns the email addresses the Signed-off-by footers name
// (in angle brackets), in message order.
func (m CommitMessage) SignedOffBy() []string {
	var out []string
	for _, v := range m.Values(SignedOffBy) {
		lt, gt := strings.LastIndexByte(v, '<'), strings.LastIndexByte(v, '>')
		if lt >= 0 && gt > lt {
			out = append(out, v[lt+1:gt])
		}
	}
	return out
}
