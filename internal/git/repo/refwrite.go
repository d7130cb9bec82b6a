package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"tandem/internal/git"
	"tandem/internal/git/refupdate"
	"tandem/internal/gitconfig"
)

// UpdateRefs applies updates in one transaction, all of them or none, with
// the errors of refupdate.Apply.
//
// Refs that are created or moved in a files-backend repository are
// written here, under git's own lock-file protocol: every push, upload and
// submit moves a ref, and an update-ref process costs more than the
// writing. Deletions, symbolic refs, reflogs, other ref formats and
// anything unusual (a directory where the ref goes, names git may refuse,
// objects that are missing or of the wrong type) go to git update-ref,
// which also words their errors.
func (r *Repo) UpdateRefs(ctx context.Context, updates ...refupdate.Update) error {
	if len(updates) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := r.writeRefs(ctx, updates)
	if errors.Is(err, errUseGit) {
		return refupdate.Apply(ctx, r.runner, r.Path, updates...)
	}
	return err
}

// errUseGit says an update is left to git update-ref.
var errUseGit = errors.New("left to git")

// lockTimeout is how long a ref lock held by another writer is waited
// for, git's core.filesRefLockTimeout default.
const lockTimeout = 100 * time.Millisecond

// writeRefs is UpdateRefs' own path; it returns errUseGit, having moved
// no ref and left no lock, for updates it leaves to git.
func (r *Repo) writeRefs(ctx context.Context, updates []refupdate.Update) error {
	if !r.plainFilesRefs() {
		return errUseGit
	}
	names := make([]string, len(updates))
	var news []string
	for i, u := range updates {
		if !git.ValidRefName(u.Ref) || !git.IsOID(u.New) || u.New == refupdate.ZeroOID ||
			(u.Old != "" && !git.IsOID(u.Old)) {
			return errUseGit
		}
		names[i] = u.Ref
		news = append(news, u.New)
	}
	slices.Sort(names)
	for i := 1; i < len(names); i++ {
		if strings.HasPrefix(names[i], names[i-1]+"/") || names[i] == names[i-1] {
			return errUseGit // git words conflicts within one transaction
		}
	}
	types, err := r.ObjectTypes(ctx, news)
	if err != nil {
		return err
	}
	for _, u := range updates {
		typ := types[u.New]
		if typ == "missing" || (strings.HasPrefix(u.Ref, "refs/heads/") && typ != "commit") {
			return errUseGit // git refuses these in its words
		}
	}

	packed, err := r.packed.read(r.Path)
	if err != nil {
		return fmt.Errorf("refs of %q: %w", r.Name, err)
	}
	for _, u := range updates {
		if err := packedConflict(u.Ref, packed); err != nil {
			return err
		}
	}
	var locks []string
	defer func() {
		for _, l := range locks {
			os.Remove(l)
		}
	}()
	for _, u := range updates {
		lock, err := r.lockRef(u.Ref)
		if err != nil {
			return err
		}
		locks = append(locks, lock)
	}
	// Under the locks no other writer can move the refs, and pack-refs
	// cannot prune them, so a ref that is not loose now is packed (in the
	// packed-refs of now, read again) or absent.
	if packed, err = r.packed.read(r.Path); err != nil {
		return fmt.Errorf("refs of %q: %w", r.Name, err)
	}
	for _, u := range updates {
		if err := r.checkOld(u, packed); err != nil {
			return err
		}
	}
	for i, u := range updates {
		if err := os.WriteFile(locks[i], []byte(u.New+"\n"), 0o666); err != nil {
			return fmt.Errorf("write %s of %q: %w", u.Ref, r.Name, err)
		}
	}
	// Like git's commit phase: each rename is atomic, the set is not.
	for i, u := range updates {
		if err := os.Rename(locks[i], filepath.Join(r.Path, filepath.FromSlash(u.Ref))); err != nil {
			return fmt.Errorf("commit %s of %q: %w", u.Ref, r.Name, err)
		}
		locks[i] = ""
	}
	locks = nil
	return nil
}

// plainFilesRefs reports whether the repository keeps refs as files and
// no reflogs: the only form writeRefs writes.
func (r *Repo) plainFilesRefs() bool {
	for _, p := range []string{"reftable", "logs"} {
		if _, err := os.Lstat(filepath.Join(r.Path, p)); !errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	data, err := os.ReadFile(filepath.Join(r.Path, "config"))
	if err != nil {
		return false
	}
	cfg, err := gitconfig.Parse(data)
	if err != nil {
		return false
	}
	if v, ok := cfg.Get("core", "", "logAllRefUpdates"); ok && !strings.EqualFold(v, "false") {
		return false
	}
	_, other := cfg.Get("extensions", "", "refStorage")
	return !other
}

// lockRef creates ref's lock file, waiting a moment for another writer's.
// It refuses a ref under an existing ref, and leaves a ref that is a
// directory (git may clean it up) to git.
func (r *Repo) lockRef(ref string) (string, error) {
	path := filepath.Join(r.Path, filepath.FromSlash(ref))
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
			return "", r.fileConflict(ref)
		}
		return "", fmt.Errorf("lock %s of %q: %w", ref, r.Name, err)
	}
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		return "", errUseGit
	}
	deadline := time.Now().Add(lockTimeout)
	for wait := time.Millisecond; ; wait *= 2 {
		f, err := os.OpenFile(path+".lock", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil {
			f.Close()
			return path + ".lock", nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("lock %s of %q: %w", ref, r.Name, err)
		}
		if time.Now().Add(wait).After(deadline) {
			return "", &refupdate.MismatchError{Ref: ref, Reason: "locked by another writer"}
		}
		time.Sleep(wait)
	}
}

// fileConflict names the existing loose ref that ref would have to be
// under.
func (r *Repo) fileConflict(ref string) error {
	for p := ref; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return &refupdate.ConflictError{Ref: ref, Reason: "a parent of the ref is a file"}
		}
		p = p[:i]
		if fi, err := os.Lstat(filepath.Join(r.Path, filepath.FromSlash(p))); err == nil && !fi.IsDir() {
			return &refupdate.ConflictError{Ref: ref, Reason: fmt.Sprintf("'%s' exists; cannot create '%s'", p, ref)}
		}
	}
}

// packedConflict refuses a ref below or above a packed ref; loose ones
// show as files and directories when the ref is locked.
func packedConflict(ref string, packed *packedRefs) error {
	for p, i := ref, 0; ; {
		if i = strings.LastIndexByte(p, '/'); i < 0 {
			break
		}
		if p = p[:i]; packed.refs[p] != "" {
			return &refupdate.ConflictError{Ref: ref, Reason: fmt.Sprintf("'%s' exists; cannot create '%s'", p, ref)}
		}
	}
	if i, _ := slices.BinarySearch(packed.names, ref+"/"); i < len(packed.names) && strings.HasPrefix(packed.names[i], ref+"/") {
		return &refupdate.ConflictError{Ref: ref, Reason: fmt.Sprintf("'%s' exists; cannot create '%s'", packed.names[i], ref)}
	}
	return nil
}

// checkOld compares u's ref, read under its lock, with the expected old
// value.
func (r *Repo) checkOld(u refupdate.Update, packed *packedRefs) error {
	cur, err := r.lockedValue(u.Ref, packed)
	if err != nil {
		return err
	}
	switch {
	case u.Old == "" || u.Old == cur:
		return nil
	case cur != refupdate.ZeroOID && u.Old == refupdate.ZeroOID:
		return &refupdate.MismatchError{Ref: u.Ref, Reason: "reference already exists"}
	case cur == refupdate.ZeroOID:
		return &refupdate.MismatchError{Ref: u.Ref, Reason: "unable to resolve reference '" + u.Ref + "'"}
	}
	return &refupdate.MismatchError{Ref: u.Ref, Reason: "is at " + cur + " but expected " + u.Old}
}

// lockedValue reads a locked ref, ZeroOID when it does not exist. A
// symbolic ref is left to git.
func (r *Repo) lockedValue(ref string, packed *packedRefs) (string, error) {
	content, found, err := readLooseRef(r.Path, ref)
	switch {
	case err != nil:
		return "", fmt.Errorf("ref %s of %q: %w", ref, r.Name, err)
	case found && git.IsOID(content):
		return content, nil
	case found:
		return "", errUseGit
	}
	if oid, ok := packed.refs[ref]; ok {
		return oid, nil
	}
	return refupdate.ZeroOID, nil
}
