package merge

import (
	"fmt"
	"slices"
	"strings"
)

// mergeMessage is the message of a merge commit Gerrit writes on submit:
// `Merge "subject"` for one change, else the changes' topic(s) or their
// abbreviated Change-Ids; " into BRANCH" unless the branch is master; and
// for several changes a "* changes:" list of their subjects. Like Gerrit's,
// a one-change message has no final newline.
func mergeMessage(branch string, merged []*commit, changeOf func(string) *ChangeInput) string {
	var b strings.Builder
	switch {
	case len(merged) == 1:
		b.WriteString(`Merge "` + subject(merged[0].message) + `"`)
	default:
		var topics []string
		for _, c := range merged {
			if t := changeOf(c.oid).Topic; t != "" && !slices.Contains(topics, `"`+t+`"`) {
				topics = append(topics, `"`+t+`"`)
			}
		}
		slices.Sort(topics)
		if len(topics) > 0 {
			fmt.Fprintf(&b, "Merge changes from topic%s %s", plural(len(topics)), strings.Join(topics, ", "))
			break
		}
		b.WriteString("Merge changes ")
		for i, c := range merged {
			if i == 5 {
				b.WriteString(", ...")
				break
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(abbreviate(changeOf(c.oid).ChangeID))
		}
	}
	if branch != "refs/heads/master" {
		b.WriteString(" into ")
		b.WriteString(strings.TrimPrefix(branch, "refs/heads/"))
	}
	if len(merged) > 1 {
		b.WriteString("\n\n* changes:\n")
		for _, c := range merged {
			b.WriteString("  ")
			b.WriteString(subject(c.message))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// abbreviate shortens a Change-Id as Gerrit's Change.Key does.
func abbreviate(changeID string) string {
	if len(changeID) > 9 {
		return changeID[:9]
	}
	return changeID
}

// subject is the first paragraph of a message on one line.
func subject(msg string) string {
	msg = strings.TrimLeft(msg, "\n")
	if i := strings.Index(msg, "\n\n"); i >= 0 {
		msg = msg[:i]
	}
	return strings.ReplaceAll(strings.TrimRight(msg, "\n"), "\n", " ")
}

// footer is a "Key: value" line of a message's last paragraph.
type footer struct{ key, value string }

// parseFooters returns the footer lines of msg as Gerrit (JGit) reads
// them: the lines of the last paragraph, bottom up until a blank line,
// never the first line of the message, that start with a key of letters,
// digits and dashes followed by a colon. Other lines are skipped.
func parseFooters(msg string) []footer {
	lines := strings.Split(strings.TrimRight(msg, "\n"), "\n")
	var out []footer
	for i := len(lines) - 1; i >= 1; i-- {
		line := lines[i]
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" || strings.IndexFunc(k, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
		}) >= 0 {
			continue
		}
		out = append(out, footer{key: k, value: strings.TrimLeft(v, " ")})
	}
	slices.Reverse(out)
	return out
}

func hasFooter(fs []footer, key, value string) bool {
	for _, f := range fs {
		if strings.EqualFold(f.key, key) && f.value == value {
			return true
		}
	}
	return false
}

// email is the address in a footer value: between angle brackets, or the
// whole value when it is a bare address.
func email(v string) string {
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return v[i+1 : i+j]
		}
		return ""
	}
	if strings.Contains(v, "@") {
		return strings.TrimSpace(v)
	}
	return ""
}

// detailedMessage is the message of a commit that Gerrit rewrites on
// submit with footers (rebase always, cherry pick): the original message,
// then the Change-Id if missing and the caller's footer lines, skipping
// any the message already has and any vote by someone who signed the
// commit off.
func detailedMessage(msg string, c *ChangeInput) string {
	fs := parseFooters(msg)
	var b strings.Builder
	b.WriteString(msg)
	if msg == "" {
		b.WriteString("<no commit message provided>")
	}
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteByte('\n')
	}
	if len(fs) == 0 {
		b.WriteByte('\n') // start a footer paragraph
	}
	if c.ChangeID != "" && !hasFooter(fs, "Change-Id", c.ChangeID) {
		fmt.Fprintf(&b, "Change-Id: %s\n", c.ChangeID)
	}
	for _, line := range c.Footers {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" || hasFooter(fs, k, v) {
			continue
		}
		if !strings.EqualFold(k, "Reviewed-on") && signedOff(fs, email(v)) {
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", k, v)
	}
	return b.String()
}

func signedOff(fs []footer, addr string) bool {
	if addr == "" {
		return false
	}
	for _, f := range fs {
		if strings.EqualFold(f.key, "Signed-off-by") && email(f.value) == addr {
			return true
		}
	}
	return false
}
