package repo

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"tandem/internal/git"
)

// ErrPathConflict reports an edit whose path runs into a file where a
// directory is needed, or the reverse.
var ErrPathConflict = errors.New("path conflict")

// treeEntry is one entry of a tree object.
type treeEntry struct {
	mode, name, oid string
}

func (e treeEntry) isTree() bool { return e.mode == "40000" || e.mode == "040000" }

// readTree lists the entries of the tree oid ("" is the empty tree)
// through the pooled cat-file reader.
func (r *Repo) readTree(ctx context.Context, oid string) ([]treeEntry, error) {
	if oid == "" {
		return nil, nil
	}
	b, err := r.batch(ctx)
	if err != nil {
		return nil, err
	}
	defer r.release(b)
	info, data, err := b.Read(oid)
	if err != nil {
		return nil, fmt.Errorf("tree %s in %q: %w", oid, r.Name, err)
	}
	if info.Type != "tree" {
		return nil, fmt.Errorf("%s in %q is a %s, not a tree", oid, r.Name, info.Type)
	}
	size := len(info.OID) / 2 // bytes of a binary object id
	var out []treeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		nul := bytes.IndexByte(data, 0)
		if sp < 0 || nul < sp || len(data) < nul+1+size {
			return nil, fmt.Errorf("tree %s in %q: malformed", oid, r.Name)
		}
		out = append(out, treeEntry{mode: string(data[:sp]), name: string(data[sp+1 : nul]), oid: hex.EncodeToString(data[nul+1 : nul+1+size])})
		data = data[nul+1+size:]
	}
	return out, nil
}

// writeTree writes a tree of the entries (git sorts them) and returns its
// id.
func (r *Repo) writeTree(ctx context.Context, entries []treeEntry) (string, error) {
	var in strings.Builder
	for _, e := range entries {
		mode, typ := e.mode, "blob"
		switch {
		case e.isTree():
			mode, typ = "040000", "tree"
		case mode == gitlinkMode:
			typ = "commit"
		}
		fmt.Fprintf(&in, "%s %s %s\t%s\x00", mode, typ, e.oid, e.name)
	}
	out, err := r.runner.Output(ctx, git.Cmd{Dir: r.Path, Name: "mktree", Flags: []string{"-z"}, Stdin: strings.NewReader(in.String())})
	if err != nil {
		return "", fmt.Errorf("tree in %q: %w", r.Name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// WriteBlob stores data as a blob, as is, and returns its id.
func (r *Repo) WriteBlob(ctx context.Context, data []byte) (string, error) {
	out, err := r.runner.Output(ctx, git.Cmd{Dir: r.Path, Name: "hash-object", Flags: []string{"-w", "--no-filters", "--stdin"},
		Stdin: bytes.NewReader(data)})
	if err != nil {
		return "", fmt.Errorf("blob in %q: %w", r.Name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// EditTree returns the tree that is tree with the file at path set to the
// blob, or removed when blob is "". A file keeps its mode (executable,
// symbolic link); a new one is a regular file. Directories left empty
// disappear. Only the trees on the path are read and written.
func (r *Repo) EditTree(ctx context.Context, tree, path, blob string) (string, error) {
	if err := validatePath(path); err != nil {
		return "", err
	}
	if blob != "" && !git.IsOID(blob) {
		return "", fmt.Errorf("edit in %q: blob %q is not an object id", r.Name, blob)
	}
	out, _, err := r.editTree(ctx, tree, strings.Split(path, "/"), blob)
	if err != nil {
		return "", fmt.Errorf("edit of %q in %q: %w", path, r.Name, err)
	}
	if out == "" {
		return r.writeTree(ctx, nil)
	}
	return out, nil
}

// editTree applies the edit below tree and returns the new tree ("" when
// it is empty) and whether anything changed.
func (r *Repo) editTree(ctx context.Context, tree string, parts []string, blob string) (string, bool, error) {
	entries, err := r.readTree(ctx, tree)
	if err != nil {
		return "", false, err
	}
	i := -1
	for j, e := range entries {
		if e.name == parts[0] {
			i = j
		}
	}
	if len(parts) == 1 {
		switch {
		case i >= 0 && entries[i].isTree():
			return "", false, fmt.Errorf("%w: %s is a directory", ErrPathConflict, parts[0])
		case blob == "" && i < 0, i >= 0 && entries[i].oid == blob:
			return tree, false, nil
		case blob == "":
			entries = append(entries[:i], entries[i+1:]...)
		case i >= 0:
			entries[i].oid = blob
			if entries[i].mode == gitlinkMode {
				entries[i].mode = "100644"
			}
		default:
			entries = append(entries, treeEntry{mode: "100644", name: parts[0], oid: blob})
		}
	} else {
		sub := ""
		if i >= 0 {
			if !entries[i].isTree() {
				return "", false, fmt.Errorf("%w: %s is a file", ErrPathConflict, parts[0])
			}
			sub = entries[i].oid
		}
		newSub, changed, err := r.editTree(ctx, sub, parts[1:], blob)
		if err != nil || !changed {
			return tree, false, err
		}
		switch {
		case newSub == "" && i >= 0:
			entries = append(entries[:i], entries[i+1:]...)
		case newSub == "":
		case i >= 0:
			entries[i].oid = newSub
		default:
			entries = append(entries, treeEntry{mode: "040000", name: parts[0], oid: newSub})
		}
	}
	if len(entries) == 0 {
		return "", true, nil
	}
	out, err := r.writeTree(ctx, entries)
	return out, err == nil, err
}
