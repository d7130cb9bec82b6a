package repo

import (
	"bufio"
	"bytes"
	"context"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"tandem/internal/git"
)

// Statistics describe how a repository is stored: Gerrit's
// RepositoryStatisticsInfo, what an administrator looks at to decide on
// garbage collection.
type Statistics struct {
	LooseObjects, PackedObjects, PackFiles int64
	LooseRefs, PackedRefs                  int64
	LooseSize, PackedSize                  int64 // bytes
}

// Statistics counts the repository's objects (git count-objects) and its
// loose and packed refs.
func (r *Repo) Statistics(ctx context.Context) (Statistics, error) {
	var st Statistics
	out, err := r.runner.Output(ctx, git.Cmd{Dir: r.Path, Name: "count-objects", Flags: []string{"-v"}})
	if err != nil {
		return st, err
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ": ")
		n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		if !ok || err != nil {
			continue
		}
		switch key {
		case "count":
			st.LooseObjects = n
		case "size":
			st.LooseSize = n * 1024 // git counts KiB
		case "in-pack":
			st.PackedObjects = n
		case "packs":
			st.PackFiles = n
		case "size-pack":
			st.PackedSize = n * 1024
		}
	}
	pr, err := readPackedRefs(filepath.Join(r.Path, "packed-refs"))
	if err != nil {
		return st, err
	}
	st.PackedRefs = int64(len(pr.refs))
	err = filepath.WalkDir(filepath.Join(r.Path, "refs"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(d.Name(), ".lock") {
			st.LooseRefs++
		}
		return err
	})
	return st, err
}
