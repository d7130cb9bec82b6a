// Package hook holds the commit-msg hook that Tandem hands out to clients
// (GET /tools/hooks/commit-msg, `scp -f hooks/commit-msg`). The hook is
// Tandem's own POSIX sh script with the observable behaviour of Gerrit's:
// it adds a "Change-Id: I…" trailer (or "Link: <gerrit.reviewUrl>/id/I…")
// before any Signed-off-by, keeps one that is already there, skips
// "fixup! " style commits and honours gerrit.createChangeId.
//
// The script is compiled into the binary and never changes; every
// function here is safe for concurrent use.
package hook

import (
	_ "embed"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

//go:embed commit-msg
var commitMsg string

// CommitMsgName is the hook's file name, and CommitMsgPath the path
// clients ask for over scp and under /tools/ over HTTP.
const (
	CommitMsgName = "commit-msg"
	CommitMsgPath = "hooks/" + CommitMsgName
)

// Mode is the file mode the hook is served with: it must be executable.
const Mode os.FileMode = 0o755

// CommitMsg returns the hook script.
func CommitMsg() []byte { return []byte(commitMsg) }

// File serves the client-downloadable files by path relative to /tools/
// ("hooks/commit-msg"), with their mode; an unknown path is an error
// wrapping fs.ErrNotExist. It fits sshd.SCPSource.
func File(path string) ([]byte, os.FileMode, error) {
	if strings.TrimPrefix(path, "/") != CommitMsgPath {
		return nil, 0, fmt.Errorf("tool %q: %w", path, fs.ErrNotExist)
	}
	return CommitMsg(), Mode, nil
}
