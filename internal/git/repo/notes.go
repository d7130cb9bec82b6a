package repo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"tandem/internal/git"
	"tandem/internal/git/refupdate"
)

// A notes ref holds git notes: its commit's tree names each annotated
// object by its id, either flat or split into fan-out directories of two
// hex digits ("ab/cdef…"), and the blob there is the note.

// Notes returns the tip of the notes ref ("" when it does not exist) and
// the objects it annotates, each with the blob id of its note.
func (r *Repo) Notes(ctx context.Context, ref string) (tip string, notes map[string]string, err error) {
	tip, err = r.RefOID(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return "", map[string]string{}, nil
	}
	if err != nil {
		return "", nil, err
	}
	c, err := r.ReadCommit(ctx, tip)
	if err != nil {
		return "", nil, fmt.Errorf("notes %s of %q: %w", ref, r.Name, err)
	}
	notes = map[string]string{}
	if err := r.readNotes(ctx, c.Tree, "", notes); err != nil {
		return "", nil, fmt.Errorf("notes %s of %q: %w", ref, r.Name, err)
	}
	return tip, notes, nil
}

func (r *Repo) readNotes(ctx context.Context, tree, prefix string, notes map[string]string) error {
	entries, err := r.readTree(ctx, tree)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := prefix + e.name
		switch {
		case e.isTree() && len(e.name) == 2 && len(name) < 40:
			if err := r.readNotes(ctx, e.oid, name, notes); err != nil {
				return err
			}
		case !e.isTree() && git.IsOID(name):
			notes[strings.ToLower(name)] = e.oid
		}
		// Anything else is not a note, as git notes sees it.
	}
	return nil
}

// AddNotes writes a commit on the notes ref that adds a note for each
// object of add (object id to the note's text), on top of tip, the ref's
// current value ("" when it does not exist yet), and returns the new tip.
// If the ref moved the error is a *refupdate.MismatchError and nothing
// changed. New notes are written flat; git reads both layouts.
func (r *Repo) AddNotes(ctx context.Context, ref, tip string, add map[string]string, message string, author, committer Ident) (string, error) {
	var tree string
	var parents []string
	if tip != "" {
		c, err := r.ReadCommit(ctx, tip)
		if err != nil {
			return "", err
		}
		tree, parents = c.Tree, []string{tip}
	}
	// The root tree is rewritten once, with one blob per distinct text:
	// a ban writes the same reason for every commit.
	entries, err := r.readTree(ctx, tree)
	if err != nil {
		return "", err
	}
	at := make(map[string]int, len(entries))
	for i, e := range entries {
		at[e.name] = i
	}
	blobs := map[string]string{} // note text → blob id
	for oid, text := range add {
		if !git.IsOID(oid) {
			return "", fmt.Errorf("note in %q: %q is not an object id", r.Name, oid)
		}
		blob, ok := blobs[text]
		if !ok {
			if blob, err = r.WriteBlob(ctx, []byte(text)); err != nil {
				return "", err
			}
			blobs[text] = blob
		}
		name := strings.ToLower(oid)
		switch i, ok := at[name]; {
		case !ok:
			at[name] = len(entries)
			entries = append(entries, treeEntry{mode: "100644", name: name, oid: blob})
		case entries[i].isTree():
			return "", fmt.Errorf("note in %q: %s is a directory", r.Name, name)
		default:
			entries[i] = treeEntry{mode: "100644", name: name, oid: blob}
		}
	}
	if tree, err = r.writeTree(ctx, entries); err != nil {
		return "", err
	}
	commit, err := r.WriteCommit(ctx, tree, parents, message, author, committer)
	if err != nil {
		return "", err
	}
	old := tip
	if old == "" {
		old = refupdate.ZeroOID
	}
	if err := r.UpdateRefs(ctx, refupdate.Update{Ref: ref, Old: old, New: commit}); err != nil {
		return "", err
	}
	return commit, nil
}
