package sshd

import "strings"

// Split breaks an exec line into words the way Gerrit does: unquoted spaces,
// tabs and newlines separate words; '…' and "…" quote (each is literal inside
// the other); a backslash outside single quotes takes the next byte
// literally; a quote left open runs to the end of the line, because clients
// such as gerritlib send a stray `"`. An explicitly quoted empty string is an
// empty word.
func Split(line string) []string {
	var (
		words  []string
		b      strings.Builder
		inWord bool
		quote  byte // 0, '\'' or '"'
	)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				b.WriteByte(c)
			}
		case c == '\\':
			inWord = true
			if i+1 < len(line) {
				i++
				c = line[i]
			}
			b.WriteByte(c)
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				b.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote = c
			inWord = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, b.String())
				b.Reset()
				inWord = false
			}
		default:
			b.WriteByte(c)
			inWord = true
		}
	}
	// A quote opened at the very end with nothing in it is noise, not an
	// empty word.
	if inWord && (quote == 0 || b.Len() > 0 || !strings.HasSuffix(line, string(quote))) {
		words = append(words, b.String())
	}
	return words
}
