package change

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// ChangeIDError is a rejection of a commit's Change-Id footer. Its text is
// Gerrit's reason, which git shows in "[remote rejected] (…)"; use Reason
// for the text with the commit as Gerrit prefixes it.
type ChangeIDError string

// The rejections of Gerrit's Change-Id rules.
const (
	ErrMissingChangeID     ChangeIDError = "missing Change-Id in message footer"
	ErrMissingSubject      ChangeIDError = "missing subject; Change-Id must be in message footer"
	ErrChangeIDNotInFooter ChangeIDError = "Change-Id must be in message footer"
	ErrMultipleChangeIDs   ChangeIDError = "multiple Change-Id lines in message footer"
	ErrInvalidChangeIDLine ChangeIDError = "invalid Change-Id line format in message footer"
	ErrChangeIDMismatch    ChangeIDError = "Change-Id in message footer does not match Change-Id of target change"
	// ErrInvalidChangeID refuses to create a change whose id is not
	// exactly "I" and 40 hex digits (the footer rule is more lenient).
	ErrInvalidChangeID ChangeIDError = "invalid Change-Id"
)

func (e ChangeIDError) Error() string { return string(e) }

// Reason is the rejection text git shows for commit (a hex id, cut to
// seven digits): Gerrit's commit validators prefix "commit abc1234: ",
// while ErrInvalidChangeID comes bare.
func (e ChangeIDError) Reason(commit string) string {
	if e == ErrInvalidChangeID || commit == "" {
		return string(e)
	}
	return "commit " + AbbrevCommit(commit) + ": " + string(e)
}

// Hint is the advice shown after the rejection in the push's ERROR
// block, "" when there is none. installHook is the shell command that
// installs the commit-msg hook (see HookCommandHTTP, HookCommandSSH, or
// gerrit.installCommitMsgHookCommand).
func (e ChangeIDError) Hint(installHook string) string {
	switch e {
	case ErrMissingChangeID, ErrInvalidChangeIDLine:
		return "Hint: to have a Change-Id added to every commit, install the commit-msg hook:\n" +
			"  " + strings.TrimSpace(installHook) + "\n" +
			"then add it to this commit:\n" +
			"  git commit --amend --no-edit\n" +
			"and push again.\n"
	case ErrChangeIDNotInFooter:
		return "Hint: edit the message with\n" +
			"  git commit --amend\n" +
			"and put the 'Change-Id: I…' line on a line of its own in the last paragraph.\n"
	}
	return ""
}

// AbbrevCommit cuts a hex commit id to the seven digits Gerrit shows.
func AbbrevCommit(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}

// HookCommandHTTP is the one-line shell command that downloads and
// installs the commit-msg hook from webURL (gerrit.canonicalWebUrl).
func HookCommandHTTP(webURL string) string {
	return `f="$(git rev-parse --git-dir)/hooks/commit-msg"; curl -o "$f" ` +
		withTrailingSlash(webURL) + `tools/hooks/commit-msg ; chmod +x "$f"`
}

// HookCommandSSH is the one-line shell command that copies the commit-msg
// hook over SSH with scp; -O selects the scp protocol, which current
// OpenSSH no longer uses by default (there is no SFTP).
func HookCommandSSH(user, host string, port int) string {
	if user == "" {
		user = "<USERNAME>"
	}
	return fmt.Sprintf(`gitdir=$(git rev-parse --git-dir); scp -O -p -P %d %s@%s:hooks/commit-msg "${gitdir}/hooks/"`, port, user, host)
}

func withTrailingSlash(u string) string {
	if strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}

// Patterns are compiled on first use: every push starts this binary as a
// git hook, which must not pay for them.
var (
	// footerChangeID is Gerrit's lenient check of a Change-Id footer.
	footerChangeID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[iI][0-9a-f]{4,}.*$`) })
	// newChangeID is what a new change's key must be.
	newChangeID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^I[0-9a-fA-F]{40}$`) })
	// zeroChangeID is EGit's placeholder, never a real id.
	zeroChangeID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^I0+$`) })
	// linkChangeID is the id at the end of a Link footer.
	linkChangeID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^I[0-9a-f]{40}$`) })
)

// ValidChangeID reports whether id may name a new change: "I" and 40 hex
// digits, not all zero.
func ValidChangeID(id string) bool {
	return newChangeID().MatchString(id) && !zeroChangeID().MatchString(id)
}

// CheckNewChangeID is the rule for creating a change with id:
// ErrInvalidChangeID unless ValidChangeID.
func CheckNewChangeID(id string) error {
	if !ValidChangeID(id) {
		return ErrInvalidChangeID
	}
	return nil
}

// ChangeIDs returns the Change-Ids the message names, as Gerrit reads
// them: the values of its Change-Id footers (trimmed, in order), then the
// ids of Link footers of the form "<webURL>id/I<40 hex>". With webURL ""
// Link footers are not read.
func (m CommitMessage) ChangeIDs(webURL string) []string {
	ids := m.Values(ChangeIDKey)
	if webURL == "" {
		return ids
	}
	prefix := withTrailingSlash(webURL) + "id/"
	for _, v := range m.Values(LinkKey) {
		if id, ok := strings.CutPrefix(v, prefix); ok && linkChangeID().MatchString(id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// LinkFooterValue is the value of a Link footer naming change id on the
// server at webURL: "<webURL>id/<id>".
func LinkFooterValue(webURL, id string) string { return withTrailingSlash(webURL) + "id/" + id }

// ChangeIDRules are the settings of the Change-Id check.
type ChangeIDRules struct {
	// Required is the project's receive.requireChangeId (Gerrit's default
	// is true).
	Required bool
	// WebURL is gerrit.canonicalWebUrl; it makes Link footers count.
	WebURL string
	// Target is the Change-Id of the change a push to refs/changes/C
	// adds a patch set to; "" for pushes to refs/for/….
	Target string
}

// CheckChangeID applies Gerrit's Change-Id footer rules to the message of
// a commit pushed for review. It returns the Change-Id the commit names
// (the last one, trimmed), "" when it names none and none is required, or
// a ChangeIDError. A new change also needs CheckNewChangeID.
func CheckChangeID(msg string, r ChangeIDRules) (string, error) {
	m := ParseCommitMessage(msg)
	ids := m.ChangeIDs(r.WebURL)
	switch {
	case len(ids) == 0:
		// A message that is nothing but a Change-Id line has its id in
		// the subject, where it does not count.
		if v, ok := strings.CutPrefix(m.Subject, ChangeIDKey+":"); ok && footerChangeID().MatchString(strings.TrimSpace(v)) {
			return "", ErrMissingSubject
		}
		if strings.Contains(msg, "\n"+ChangeIDKey+":") {
			return "", ErrChangeIDNotInFooter
		}
		if r.Required {
			return "", ErrMissingChangeID
		}
		return "", nil
	case len(ids) > 1:
		return "", ErrMultipleChangeIDs
	}
	id := strings.TrimSpace(ids[0])
	if !footerChangeID().MatchString(id) || zeroChangeID().MatchString(id) {
		return "", ErrInvalidChangeIDLine
	}
	if r.Target != "" && id != r.Target {
		return "", ErrChangeIDMismatch
	}
	return id, nil
}

// IDSource is what a generated Change-Id is computed from: the commit's
// parts as git writes them.
type IDSource struct {
	Tree      string // hex id of the commit's tree
	Parent    string // hex id of the first parent; "" for a root commit
	Author    string // "Name <email> 1700000000 +0000"
	Committer string // likewise
	Message   string
}

// GenerateChangeID invents a Change-Id for a commit pushed without one (a
// project with receive.requireChangeId = false), as JGit does: "I" and the
// SHA-1 of a git blob holding the commit's headers and its message without
// comments, Signed-off-by lines or an appended diff. The same commit gets
// the same id; any change to its content gives another.
func GenerateChangeID(s IDSource) string {
	var b strings.Builder
	b.WriteString("tree " + s.Tree + "\n")
	if s.Parent != "" {
		b.WriteString("parent " + s.Parent + "\n")
	}
	b.WriteString("author " + s.Author + "\n")
	b.WriteString("committer " + s.Committer + "\n\n")
	b.WriteString(idMessage(s.Message))
	content := b.String()
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write([]byte(content))
	return "I" + hex.EncodeToString(h.Sum(nil))
}

// idMessage is the part of a message an id is computed from: no diff
// after it, no comment or Signed-off-by lines, runs of blank lines folded
// to one, no surrounding white space.
func idMessage(msg string) string {
	if i := strings.Index(msg, "\ndiff --git"); i >= 0 {
		msg = msg[:i]
	}
	var out []string
	for _, line := range strings.Split(msg, "\n") {
		if strings.HasPrefix(line, "#") || len(line) >= len(SignedOffBy)+1 && strings.EqualFold(line[:len(SignedOffBy)+1], SignedOffBy+":") {
			continue
		}
		if blankLine(line) && len(out) > 0 && blankLine(out[len(out)-1]) {
			continue
		}
		out = append(out, line)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// refsChanges is the namespace of patch-set refs.
const refsChanges = "refs/changes/"

// ChangeRefPrefix is the prefix of every ref of change c,
// "refs/changes/NN/C/", NN being c % 100 with two digits.
func ChangeRefPrefix(c int) string {
	return fmt.Sprintf("%s%02d/%d/", refsChanges, c%100, c)
}

// PatchSetRef is the ref of patch set ps of change c, "refs/changes/NN/C/P".
func PatchSetRef(c, ps int) string { return ChangeRefPrefix(c) + strconv.Itoa(ps) }

// EditRefPrefix is the prefix of account's change edit refs of change c:
// Gerrit's refs/users/NN/ACCOUNT/edit-C/, the patch set edited after it.
func EditRefPrefix(account, c int64) string {
	return fmt.Sprintf("refs/users/%02d/%d/edit-%d/", account%100, account, c)
}

// ParseEditRef splits a change edit ref, refs/users/NN/ACCOUNT/edit-C/PS,
// made by EditRefPrefix.
func ParseEditRef(ref string) (account, c int64, ps int, ok bool) {
	var nn int
	var tail string
	if _, err := fmt.Sscanf(ref, "refs/users/%02d/%d/edit-%d/%s", &nn, &account, &c, &tail); err != nil {
		return 0, 0, 0, false
	}
	n, err := strconv.Atoi(tail)
	if err != nil || n <= 0 || ref != EditRefPrefix(account, c)+strconv.Itoa(n) {
		return 0, 0, 0, false
	}
	return account, c, n, true
}

// ChangeMetaRef is the ref Gerrit keeps a change's NoteDb history in,
// "refs/changes/NN/C/meta".
func ChangeMetaRef(c int) string { return ChangeRefPrefix(c) + "meta" }

// ParseChangeRef splits a ref under refs/changes/NN/C/: it returns C and
// what follows ("1", "meta", "robot-comments", …). NN must be C % 100 with
// two digits and C a positive number without leading zeros.
func ParseChangeRef(ref string) (c int, rest string, ok bool) {
	tail, ok := strings.CutPrefix(ref, refsChanges)
	if !ok {
		return 0, "", false
	}
	parts := strings.SplitN(tail, "/", 3)
	if len(parts) != 3 || len(parts[0]) != 2 || parts[2] == "" {
		return 0, "", false
	}
	c, ok = parseRefNumber(parts[1])
	if !ok || fmt.Sprintf("%02d", c%100) != parts[0] {
		return 0, "", false
	}
	return c, parts[2], true
}

// ParsePatchSetRef parses "refs/changes/NN/C/P" into change C and patch
// set P.
func ParsePatchSetRef(ref string) (c, ps int, ok bool) {
	c, rest, ok := ParseChangeRef(ref)
	if !ok {
		return 0, 0, false
	}
	n, ok := parseRefNumber(rest)
	if !ok {
		return 0, 0, false
	}
	return c, n, true
}

// pushChangeRef is Gerrit's pattern for pushing a new patch set straight
// to a change: refs/changes/C, refs/changes/NN/C or refs/changes/NN/C/P.
var pushChangeRef = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^refs/changes/(?:[0-9][0-9]/)?([1-9][0-9]*)(?:/[1-9][0-9]*)?$`)
})

// ParseChangePushRef parses the ref of a push that adds a patch set to a
// given change (refs/changes/C, refs/changes/NN/C, refs/changes/NN/C/P)
// and returns C. As in Gerrit, NN and P are not checked.
func ParseChangePushRef(ref string) (c int, ok bool) {
	m := pushChangeRef().FindStringSubmatch(ref)
	if m == nil {
		return 0, false
	}
	return parseRefNumber(m[1])
}

// parseNumber reads a positive decimal without leading zeros that fits
// Gerrit's 32-bit numbers.
func parseRefNumber(s string) (int, bool) {
	if s == "" || s[0] == '0' || len(s) > 10 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > math.MaxInt32 {
		return 0, false
	}
	return int(n), true
}
