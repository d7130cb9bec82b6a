package httpd

import (
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"tandem/internal/change/hook"
)

// toolsPath returns the file a /tools/ or /a/tools/ request names
// ("hooks/commit-msg"), and whether the request is one.
func toolsPath(r *http.Request) (string, bool) {
	p := strings.TrimPrefix(r.URL.Path, "/a")
	return strings.CutPrefix(p, "/tools/")
}

// serveTool serves the files clients download from Gerrit's /tools/, the
// commit-msg hook above all. Like Gerrit it needs no authentication, also
// under /a/, and forbids caching so that clients get the current hook.
func serveTool(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		toolError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	data, _, err := hook.File(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			toolError(w, http.StatusNotFound, "Not Found")
			return
		}
		toolError(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "Thu, 01 Jan 1970 00:00:00 GMT")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(data)
	}
}

func toolError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.WriteHeader(status)
	w.Write([]byte(msg + "\n"))
}
