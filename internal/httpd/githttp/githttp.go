// Package githttp serves git's smart HTTP protocol (v0 and v2) at
// /PROJECT[.git]/…, /a/PROJECT/… and the legacy /p/PROJECT/…, with HTTP
// Basic checked on every form, anonymous reads where Anonymous Users may
// read, and a 401 challenge for anonymous pushes.
package githttp

import (
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"tandem/internal/access"
	"tandem/internal/change"
	"tandem/internal/fail"
	"tandem/internal/git"
	"tandem/internal/git/repo"
	"tandem/internal/git/service"
	"tandem/internal/httpd/auth"
	"tandem/internal/metrics"
	"tandem/internal/project"
	"tandem/internal/receive"
)

// Path matches the git paths Gerrit serves; group 1 is "PROJECT/suffix".
var Path = regexp.MustCompile(`^(?:/a)?(?:/p/|/)(.*/(?:info/refs|git-upload-pack|git-receive-pack))$`)

// Options are the dependencies of the handler.
type Options struct {
	Runner   *git.Runner
	Projects *project.Service
	Access   *access.Control
	Auth     *auth.Authenticator
	Pushes   *receive.Bridge
	Changes  *change.Store
	Logger   *slog.Logger
	Metrics  *metrics.Registry
}

// Handler serves git over HTTP.
type Handler struct {
	runner   *git.Runner
	projects *project.Service
	access   *access.Control
	auth     *auth.Authenticator
	pushes   *receive.Bridge
	changes  *change.Store
	log      *slog.Logger
	caps     *service.Capabilities
	ops      *metrics.Counter
	seconds  *metrics.Histogram
}

// New returns the git HTTP handler.
func New(o Options) *Handler {
	h := &Handler{runner: o.Runner, projects: o.Projects, access: o.Access, auth: o.Auth, pushes: o.Pushes, changes: o.Changes, log: o.Logger.With("component", "githttp"), caps: service.NewCapabilities()}
	if o.Metrics != nil {
		h.ops = o.Metrics.NewCounter("tandem_git_operations_total", "Git operations served, by transport, service and result.", "transport", "service", "result")
		h.seconds = o.Metrics.NewHistogram("tandem_git_operation_seconds", "Duration of git operations.", nil, "transport", "service")
	}
	return h
}

// Match reports whether the request is for git.
func Match(r *http.Request) bool { return Path.MatchString(r.URL.Path) }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := Path.FindStringSubmatch(r.URL.Path)
	if m == nil {
		http.NotFound(w, r)
		return
	}
	rest := m[1]
	var name, op string
	for _, suffix := range []string{"/info/refs", "/git-upload-pack", "/git-receive-pack"} {
		if strings.HasSuffix(rest, suffix) {
			name, op = strings.TrimSuffix(rest, suffix), strings.TrimPrefix(suffix, "/")
		}
	}
	name = repo.NormalizeName(name)
	svc := ""
	switch op {
	case "info/refs":
		if r.Method != http.MethodGet {
			plain(w, http.StatusMethodNotAllowed, "Method Not Allowed")
			return
		}
		svc = strings.TrimPrefix(r.URL.Query().Get("service"), "git-")
		if svc != service.UploadPack && svc != service.ReceivePack {
			plain(w, http.StatusForbidden, "Dumb HTTP is not supported; use a git client with smart HTTP")
			return
		}
	default:
		if r.Method != http.MethodPost {
			plain(w, http.StatusMethodNotAllowed, "Method Not Allowed")
			return
		}
		svc = strings.TrimPrefix(op, "git-")
		if r.Header.Get("Content-Type") != "application/x-git-"+svc+"-request" {
			plain(w, http.StatusUnsupportedMediaType, "Unsupported Media Type")
			return
		}
	}

	caller, err := h.auth.Authenticate(r)
	if err != nil {
		if fail.KindOf(err) == fail.Unavailable {
			plain(w, http.StatusServiceUnavailable, "Service Unavailable")
			return
		}
		auth.Challenge(w)
		return
	}
	authPath := strings.HasPrefix(r.URL.Path, "/a/")
	if caller.Anonymous() && (authPath || svc == service.ReceivePack) {
		auth.Challenge(w)
		return
	}
	if repo.ValidateName(name) != nil {
		plain(w, http.StatusBadRequest, "Invalid project name")
		return
	}
	chk, _, err := h.access.Check(r.Context(), name, caller.Subject())
	if err != nil && !fail.Is(err, fail.NotFound) {
		h.log.Error("load project", "project", name, "err", err)
		plain(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	if err != nil || !chk.Visible() {
		if caller.Anonymous() {
			// Let git ask for credentials; the answer is the same whether
			// the project is missing or just not visible.
			auth.Challenge(w)
			return
		}
		plain(w, http.StatusNotFound, "Repository not found")
		return
	}
	rp, err := h.projects.Open(r.Context(), name)
	if err != nil {
		plain(w, http.StatusNotFound, "Repository not found")
		return
	}

	body := io.Reader(r.Body)
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			plain(w, http.StatusBadRequest, "Bad gzip body")
			return
		}
		defer zr.Close()
		body = zr
	}
	req := service.Request{
		Service:   svc,
		Repo:      rp,
		Protocol:  r.Header.Get("Git-Protocol"),
		Stateless: true,
		Advertise: op == "info/refs",
		Visible:   chk.VisibilityWithChanges(h.changes.BranchOf(r.Context(), name, caller.ID())),
		Stdin:     body,
	}
	if svc == service.ReceivePack {
		req.HideAlways = receive.HiddenFromPush
		if !req.Advertise {
			push := h.pushes.Begin(receive.Push{Caller: caller.Account, Groups: caller.Groups, Project: name, Repo: rp})
			defer push.End()
			req.Env = push.Env()
			req.Config = push.Config()
		}
	}
	if req.Advertise {
		req.Stdin = nil
		req.Capabilities = h.caps
	}
	start := time.Now()
	w.Header().Set("Cache-Control", "no-cache, max-age=0, must-revalidate")
	if req.Advertise {
		w.Header().Set("Content-Type", "application/x-git-"+svc+"-advertisement")
		if !service.V2(req.Protocol) {
			io.WriteString(w, pktLine("# service=git-"+svc+"\n")+"0000")
		}
	} else {
		w.Header().Set("Content-Type", "application/x-git-"+svc+"-result")
	}
	var stderr strings.Builder
	req.Stdout = &flushWriter{w: w}
	req.Stderr = &limitedWriter{b: &stderr, n: 8 << 10}
	err = service.Serve(r.Context(), h.runner, req)
	result := "ok"
	if err != nil {
		result = "error"
		if r.Context().Err() == nil && !isClientGone(err) {
			h.log.Warn("git service failed", "project", name, "service", svc, "err", err, "stderr", stderr.String())
		}
	}
	if h.ops != nil {
		kind := svc
		if req.Advertise {
			kind += "-advertise"
		}
		h.ops.Inc("http", kind, result)
		h.seconds.Since(start, "http", kind)
	}
}

func isClientGone(err error) bool {
	return err == context.Canceled || strings.Contains(err.Error(), "broken pipe")
}

func pktLine(s string) string {
	const hex = "0123456789abcdef"
	n := len(s) + 4
	return string([]byte{hex[n>>12&0xf], hex[n>>8&0xf], hex[n>>4&0xf], hex[n&0xf]}) + s
}

func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

// flushWriter flushes after each write so progress and side-band data reach
// the client as git produces them.
type flushWriter struct{ w http.ResponseWriter }

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}

type limitedWriter struct {
	b *strings.Builder
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if room := l.n - l.b.Len(); room > 0 {
		if len(p) > room {
			l.b.Write(p[:room])
		} else {
			l.b.Write(p)
		}
	}
	return len(p), nil
}
