package service

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"

	"tandem/internal/git/pktline"
)

// Over HTTP every protocol v2 command is a request of its own, and the
// first of a fetch or clone is ls-refs. Serve answers it from the view it
// has already built, which is what git would say with the same hidden
// refs, without starting git at all. Anything it does not recognise goes
// to git unchanged.

// lsRefs is a protocol v2 ls-refs request.
type lsRefs struct {
	peel, symrefs, unborn bool
	prefixes              []string // none: every ref
}

// maxLsRefs bounds the ls-refs request Serve reads itself; a larger one
// goes to git.
const maxLsRefs = 1 << 20

// readLsRefs reads the start of a stateless protocol v2 request. For an
// ls-refs request Serve can answer it returns the request; otherwise it
// returns nil and a reader that replays what it consumed, then the rest.
func readLsRefs(in io.Reader) (*lsRefs, io.Reader) {
	br := bufio.NewReaderSize(in, 16<<10)
	var raw bytes.Buffer
	replay := func() io.Reader { return io.MultiReader(&raw, br) }
	pr := pktline.NewReader(io.TeeReader(br, &raw))
	kind, payload, err := pr.Next()
	if err != nil || kind != pktline.Data || string(payload) != "command=ls-refs\n" {
		return nil, replay()
	}
	req := &lsRefs{}
	args := false // past the delimiter: arguments, not capabilities
	for raw.Len() <= maxLsRefs {
		kind, payload, err := pr.Next()
		if err != nil {
			return nil, replay()
		}
		line := strings.TrimSuffix(string(payload), "\n")
		switch {
		case kind == pktline.Flush:
			return req, nil
		case kind == pktline.Delim && !args:
			args = true
		case kind != pktline.Data:
			return nil, replay()
		case !args:
			// Capabilities: agent and the like change nothing here; an
			// object format other than git's default is left to git.
			if strings.HasPrefix(line, "object-format=") && line != "object-format=sha1" {
				return nil, replay()
			}
		case line == "peel":
			req.peel = true
		case line == "symrefs":
			req.symrefs = true
		case line == "unborn":
			req.unborn = true
		case strings.HasPrefix(line, "ref-prefix "):
			req.prefixes = append(req.prefixes, strings.TrimPrefix(line, "ref-prefix "))
		default:
			return nil, replay() // git's own error for what it does not know
		}
	}
	return nil, replay()
}

// matches reports whether the request asks for ref.
func (q *lsRefs) matches(ref string) bool {
	if len(q.prefixes) == 0 {
		return true
	}
	for _, p := range q.prefixes {
		if strings.HasPrefix(ref, p) {
			return true
		}
	}
	return false
}

// answerLsRefs writes git's answer to q from the view: HEAD first when it
// points at a visible branch (or, asked for, an unborn one), then the
// visible refs in order, then a flush.
func (v *view) answerLsRefs(ctx context.Context, q *lsRefs, w io.Writer) error {
	type line struct {
		name, oid, symref, peeled string
		peelKnown                 bool
	}
	var lines []line
	if q.matches("HEAD") {
		if target, err := v.repo.Head(ctx); err == nil {
			if i := v.index(target); i >= 0 && v.visible[i] {
				lines = append(lines, line{"HEAD", v.refs[i].OID, target, v.refs[i].Peeled, v.refs[i].PeelKnown})
			} else if i < 0 && q.unborn && q.symrefs && v.isVisible(target) {
				lines = append(lines, line{name: "HEAD", symref: target})
			}
		}
	}
	for i, ref := range v.refs {
		if v.visible[i] && q.matches(ref.Name) {
			lines = append(lines, line{ref.Name, ref.OID, ref.Symref, ref.Peeled, ref.PeelKnown})
		}
	}
	if q.peel {
		// packed-refs records the peeled value of packed tags; the others
		// are looked up, all in one round trip.
		var unknown []string
		for _, l := range lines {
			if l.oid != "" && l.peeled == "" && !l.peelKnown {
				unknown = append(unknown, l.oid)
			}
		}
		peeled, err := v.repo.Peel(ctx, unknown)
		if err != nil {
			return err
		}
		for i := range lines {
			if p, ok := peeled[lines[i].oid]; ok {
				lines[i].peeled = p
			}
		}
	}
	var b []byte
	for _, l := range lines {
		s := "unborn " + l.name
		if l.oid != "" {
			s = l.oid + " " + l.name
		}
		if q.symrefs && l.symref != "" {
			s += " symref-target:" + l.symref
		}
		if q.peel && l.peeled != "" {
			s += " peeled:" + l.peeled
		}
		var err error
		if b, err = pktline.Append(b, []byte(s+"\n")); err != nil {
			return err
		}
	}
	b = append(b, "0000"...)
	_, err := w.Write(b)
	return err
}
