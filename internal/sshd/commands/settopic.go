package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"tandem/internal/change"
	"tandem/internal/fail"
	"tandem/internal/sshd"
	"tandem/internal/sshd/cmdflag"
)

// setTopic is `gerrit set-topic`: sets (or, without --topic, removes) the
// topic of each change named. As in Gerrit, a change argument that names
// no visible change is a warning and is skipped; a change whose topic
// cannot be set is reported as "error: …" and the rest go ahead, and the
// command then fails.
func (c *Commands) setTopic(ctx context.Context, s *sshd.Session) error {
	var topic string
	fs := cmdflag.New("gerrit set-topic")
	fs.String(&topic, "--topic|-t", "TOPIC", "applies a topic to the given changes")
	fs.Args("CHANGE", 1, -1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	if c.rv.Reviews == nil {
		return die("set-topic is not available")
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	var targets []*change.Change
	seen := map[int64]bool{}
	for _, tok := range args {
		ch, err := c.changeArg(ctx, cl, tok, "")
		if msg, ok := callerMessage(err); ok {
			fmt.Fprintf(s.Stderr, "warning: %s\n", msg)
			continue
		}
		if err != nil {
			return err
		}
		if !seen[ch.Number] {
			seen[ch.Number] = true
			targets = append(targets, ch)
		}
	}
	ok := true
	for _, ch := range targets {
		_, err := c.rv.Reviews.SetTopic(ctx, cl.subject(), ch.Number, topic)
		switch {
		case err == nil:
		case fail.Is(err, fail.Invalid):
			// Too long a topic fails every change alike: Gerrit checks it
			// once, before any change.
			return userError(err)
		case fail.KindOf(err) == fail.Internal:
			return err
		case fail.Is(err, fail.NotFound):
			ok = false
			fmt.Fprintf(s.Stderr, "error: could not add topic to change %d: not found\n", ch.Number)
		default:
			ok = false
			fmt.Fprintf(s.Stderr, "error: could not add topic to change %d: %s\n", ch.Number, fail.Message(err, "internal server error"))
		}
	}
	if !ok {
		return die("one or more updates failed")
	}
	return nil
}

// callerMessage returns the text of a failure meant for the caller (a die
// error) without its "fatal: " prefix, for commands that report it as a
// warning and go on.
func callerMessage(err error) (string, bool) {
	var ee *sshd.ExitError
	if !errors.As(err, &ee) || ee.Msg == "" {
		return "", false
	}
	return strings.TrimPrefix(ee.Msg, "fatal: "), true
}
