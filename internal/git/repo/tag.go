package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"tandem/internal/git"
	"tandem/internal/git/catfile"
)

// Tag is a parsed annotated tag object.
type Tag struct {
	OID     string
	Object  string // what it tags
	Type    string // the type of Object
	Name    string
	Tagger  Signature
	Message string
}

// ReadTag reads and parses an annotated tag through the repository's
// pooled cat-file reader. An object that is not a tag is ErrNotTag.
func (r *Repo) ReadTag(ctx context.Context, oid string) (*Tag, error) {
	b, err := r.batch(ctx)
	if err != nil {
		return nil, err
	}
	defer r.release(b)
	info, data, err := b.Read(oid)
	switch {
	case errors.Is(err, catfile.ErrNotFound), errors.Is(err, catfile.ErrInvalidRevision):
		return nil, fmt.Errorf("tag %q in %q: %w", oid, r.Name, ErrNotFound)
	case err != nil:
		return nil, err
	case info.Type != "tag":
		return nil, ErrNotTag
	}
	t := &Tag{OID: info.OID}
	header, msg, _ := bytes.Cut(data, []byte("\n\n"))
	t.Message = string(msg)
	for _, line := range strings.Split(string(header), "\n") {
		key, val, _ := strings.Cut(line, " ")
		switch key {
		case "object":
			t.Object = val
		case "type":
			t.Type = val
		case "tag":
			t.Name = val
		case "tagger":
			t.Tagger = parseSignature(val)
		}
	}
	if t.Object == "" {
		return nil, fmt.Errorf("tag %s in %q: malformed: no object", oid, r.Name)
	}
	return t, nil
}

// ErrNotTag reports an object that is not an annotated tag.
var ErrNotTag = errors.New("not an annotated tag")

// WriteTag writes an annotated tag object named name (without refs/tags/)
// for the commit, and returns its id; the ref is the caller's to write.
func (r *Repo) WriteTag(ctx context.Context, commit, name string, tagger Ident, message string) (string, error) {
	if !git.IsOID(commit) {
		return "", fmt.Errorf("tag in %q: %q is not an object id", r.Name, commit)
	}
	if strings.ContainsAny(tagger.Name+tagger.Email, "<>\n") || strings.Contains(name, "\n") {
		return "", fmt.Errorf("tag in %q: malformed tagger or name", r.Name)
	}
	when := tagger.When
	if when.IsZero() {
		when = time.Now()
	}
	if message != "" && !strings.HasSuffix(message, "\n") {
		message += "\n"
	}
	obj := fmt.Sprintf("object %s\ntype commit\ntag %s\ntagger %s <%s> %d %s\n\n%s",
		commit, name, tagger.Name, tagger.Email, when.Unix(), when.Format("-0700"), message)
	out, err := r.runner.Output(ctx, git.Cmd{Dir: r.Path, Name: "mktag", Stdin: strings.NewReader(obj)})
	if err != nil {
		return "", fmt.Errorf("tag %s in %q: %w", name, r.Name, err)
	}
	return strings.TrimSpace(string(out)), nil
}
