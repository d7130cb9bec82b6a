package merge

import (
	"fmt"
	"slices"
	"strings"

	"tandem/internal/change"
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

// detailedMessage is the message of a commit that Gerrit rewrites on
// submit with footers (rebase always, cherry pick).
func detailedMessage(msg string, c *ChangeInput) string {
	f := c.Footers
	f.ChangeID = c.ChangeID
	return change.AddSubmitFooters(msg, f)
}
