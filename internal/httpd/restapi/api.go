// Package restapi serves Gerrit's REST API: JSON with the ")]}'" prefix,
// text/plain errors, anonymous access under / and HTTP Basic under /a/.
// Anonymous callers may only read: any other method is 403 "Authentication
// required", as in Gerrit.
//
// Requests are routed on the escaped path, one segment at a time, so that
// ids containing "%2F" (project "a/b", file paths) keep their slashes; a
// segment is decoded as Gerrit decodes ids ("+" is a space) and ids in
// answers are encoded the same way ("global%3AAnonymous-Users"). Each
// handler receives the caller explicitly; domain errors are translated to
// status codes here and nowhere else.
package restapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/cache"
	"tandem/internal/change"
	"tandem/internal/db"
	"tandem/internal/fail"
	"tandem/internal/git/repo"
	"tandem/internal/httpd/auth"
	"tandem/internal/project"
)

// MaxBody caps request bodies.
const MaxBody = 10 << 20

// Options are the dependencies of the API.
type Options struct {
	Accounts *account.Service
	Projects *project.Service
	Access   *access.Control
	Auth     *auth.Authenticator
	Logger   *slog.Logger
	Server   ServerInfo
	// Caches are the caches /config/server/caches/ lists and flushes;
	// nil is none.
	Caches *cache.Registry
	// Housekeeper runs the garbage collections asked for with async;
	// nil runs them at once instead.
	Housekeeper *repo.Housekeeper
	// Health runs the health checks; nil means always healthy.
	Health func(r *http.Request) (map[string]any, bool)
	// The change API (changes*.go). Without Changes and DB, /changes/ is
	// empty. With them, Query and Labeler are required (New panics
	// without them): queries and labels are evaluated by the domain only.
	// Without one of the other interfaces, its endpoints are refused.
	Changes      *change.Store
	DB           *db.DB
	Query        ChangeQuery
	Labeler      Labeler
	Requirements Requirements // nil: no submit requirements are reported
	Reviews      Reviews
	Submitter    Submitter
	Edits        Edits
	Creator      Creator
	Mergeability Mergeability
}

// ServerInfo is what /config/server/* reports.
type ServerInfo struct {
	Version         string // Gerrit-style x.y.z
	TandemVersion   string
	CanonicalWebURL string
	SSHAddress      string // advertised HOST:PORT, empty when sshd is off
	AuthType        string
	ServerID        string
	Archives        []string // formats of revision archives, in order of preference
}

// API is the REST handler.
type API struct {
	accounts *account.Service
	projects *project.Service
	access   *access.Control
	auth     *auth.Authenticator
	log      *slog.Logger
	info     ServerInfo
	caches   *cache.Registry
	health   func(r *http.Request) (map[string]any, bool)
	gcQueue  *repo.Housekeeper

	changes      *change.Store
	db           *db.DB
	query        ChangeQuery
	requirements Requirements
	labeler      Labeler
	reviews      Reviews
	submitter    Submitter
	edits        Edits
	creator      Creator
	mergeability Mergeability
}

// New returns the REST API handler. It panics when Options.Changes is
// set without Options.Query and Options.Labeler, a wiring mistake.
func New(o Options) *API {
	if o.Changes != nil && (o.Query == nil || o.Labeler == nil) {
		panic("restapi: Options.Changes needs Options.Query and Options.Labeler")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Caches == nil {
		o.Caches = cache.NewRegistry()
	}
	return &API{
		accounts: o.Accounts,
		projects: o.Projects,
		access:   o.Access,
		auth:     o.Auth,
		log:      o.Logger.With("component", "restapi"),
		info:     o.Server,
		caches:   o.Caches,
		health:   o.Health,
		gcQueue:  o.Housekeeper,

		changes:      o.Changes,
		db:           o.DB,
		query:        o.Query,
		requirements: o.Requirements,
		labeler:      o.Labeler,
		reviews:      o.Reviews,
		submitter:    o.Submitter,
		edits:        o.Edits,
		creator:      o.Creator,
		mergeability: o.Mergeability,
	}
}

// request is one REST call after authentication and path splitting.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	caller *auth.Caller
	segs   []string // unescaped path segments after the root ("changes", "projects"...)
	query  url.Values
}

// method is the request method, with HEAD answered as GET as Gerrit does
// (net/http drops the body).
func (q *request) method() string {
	if q.r.Method == http.MethodHead {
		return http.MethodGet
	}
	return q.r.Method
}

// ServeHTTP authenticates, routes and answers.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if trace, ok := traceOf(r); ok {
		w.Header().Set("X-Gerrit-Trace", trace)
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		defer func() {
			a.log.Info("traced request", "trace", trace, "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"duration", time.Since(start))
		}()
		w = rec
	}
	r, cancel, err := withDeadline(r)
	defer cancel()
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.serve(w, r)
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	authed := false
	if path == "/a" || strings.HasPrefix(path, "/a/") {
		authed = true
		path = strings.TrimPrefix(path, "/a")
	}
	var caller *auth.Caller
	if authed {
		c, err := a.auth.Authenticate(r)
		if err != nil || c.Anonymous() {
			if fail.KindOf(err) == fail.Unavailable {
				a.fail(w, r, err)
				return
			}
			auth.Challenge(w)
			return
		}
		caller = c
	} else {
		// An Authorization header outside /a/ is ignored, as in Gerrit.
		caller = auth.AnonymousCaller()
	}
	if caller.Anonymous() && !isRead(r) {
		// Gerrit refuses every anonymous write before looking at the path.
		textError(w, http.StatusForbidden, "Authentication required")
		return
	}
	raw := strings.Split(strings.Trim(path, "/"), "/")
	segs := make([]string, 0, len(raw))
	for _, s := range raw {
		u, err := unescapeID(s)
		if err != nil {
			textError(w, http.StatusBadRequest, "invalid path encoding")
			return
		}
		segs = append(segs, u)
	}
	q := &request{w: w, r: r, caller: caller, segs: segs, query: r.URL.Query()}
	if err := a.route(q); err != nil {
		a.fail(w, r, err)
	}
}

func (a *API) route(q *request) error {
	if len(q.segs) == 0 || q.segs[0] == "" {
		return notFound(q.r.URL.Path)
	}
	switch q.segs[0] {
	case "config":
		return a.serveConfig(q)
	case "accounts":
		return a.serveAccounts(q)
	case "groups":
		return a.serveGroups(q)
	case "projects":
		return a.serveProjects(q)
	case "changes":
		return a.serveChanges(q)
	case "plugins":
		return a.servePlugins(q)
	case "access":
		return a.listAccess(q)
	case "ssh_info":
		if a.info.SSHAddress == "" {
			return writeText(q, "NOT_AVAILABLE")
		}
		host, port := splitHostPort(a.info.SSHAddress)
		return writeText(q, host+" "+port)
	}
	return notFound(q.r.URL.Path)
}

func notFound(what string) error { return fail.Errorf(fail.NotFound, "Not found: %s", what) }

func methodNotAllowed() error { return errMethod }

var errMethod = errors.New("method not allowed")

// fail writes err as Gerrit does: a status code and a text/plain message.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errMethod) {
		textError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	if errors.Is(context.Cause(r.Context()), errDeadline) {
		textError(w, http.StatusRequestTimeout, "Client Provided Deadline Exceeded")
		return
	}
	status := http.StatusInternalServerError
	msg := "Internal server error"
	kind := fail.KindOf(err)
	if kind == fail.Conflict && r.Method == http.MethodPut && r.Header.Get("If-None-Match") == "*" {
		// Create only, and it exists.
		textError(w, http.StatusPreconditionFailed, "Precondition Failed")
		return
	}
	switch kind {
	case fail.Invalid:
		status = http.StatusBadRequest
	case fail.Unauthorized:
		auth.Challenge(w)
		return
	case fail.Forbidden:
		status = http.StatusForbidden
	case fail.NotFound:
		status = http.StatusNotFound
	case fail.Conflict:
		status = http.StatusConflict
	case fail.NotAllowed:
		status = http.StatusMethodNotAllowed
	case fail.Unprocessable:
		status = http.StatusUnprocessableEntity
	case fail.Unavailable:
		status = http.StatusServiceUnavailable
		msg = "Service Unavailable"
	}
	if status >= 500 {
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		msg = fail.Message(err, msg)
	}
	textError(w, status, msg)
}

func textError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

// gzipWriters are reused: a gzip.Writer allocates about a megabyte of
// tables. Speed over ratio: JSON compresses well either way, and the
// default level costs more CPU than building the page.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// writeJSON writes v with the XSSI prefix, compact when the client asked
// for application/json or pp=0, pretty otherwise.
func writeJSON(q *request, status int, v any) error {
	var body bytes.Buffer
	body.WriteString(")]}'\n")
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if q.query.Get("pp") != "0" && !strings.Contains(q.r.Header.Get("Accept"), "application/json") {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("Content-Disposition", "attachment")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	out := body.Bytes()
	if strings.Contains(q.r.Header.Get("Accept-Encoding"), "gzip") && len(out) > 256 {
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
		q.w.WriteHeader(status)
		zw := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(zw)
		zw.Reset(q.w)
		zw.Write(out)
		return zw.Close()
	}
	q.w.WriteHeader(status)
	_, err := q.w.Write(out)
	return err
}

func writeText(q *request, s string) error {
	q.w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	q.w.WriteHeader(http.StatusOK)
	_, err := io.WriteString(q.w, s)
	return err
}

func noContent(q *request) error {
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func readBody(q *request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(q.r.Body, MaxBody+1))
	if err != nil {
		return nil, fail.Errorf(fail.Invalid, "cannot read request body")
	}
	if len(body) > MaxBody {
		return nil, fail.Errorf(fail.Invalid, "request body too large")
	}
	return body, nil
}

// readTextOrJSONString accepts a text/plain body, or a JSON string.
func readTextOrJSONString(q *request) (string, error) {
	body, err := readBody(q)
	if err != nil {
		return "", err
	}
	mt, _, _ := mime.ParseMediaType(q.r.Header.Get("Content-Type"))
	if mt == "application/json" {
		var s string
		if err := json.Unmarshal(bytes.TrimSpace(body), &s); err != nil {
			return "", fail.Errorf(fail.Invalid, "Invalid JSON: expected a string")
		}
		return s, nil
	}
	return string(body), nil
}

// isRead reports whether r only reads; anonymous callers may do nothing else.
func isRead(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

func (a *API) requireSignedIn(q *request) error {
	if q.caller.Anonymous() {
		return errAuthRequired
	}
	return nil
}

// errAuthRequired is Gerrit's answer (403, not 401) when an anonymous
// caller reaches something that needs an account.
var errAuthRequired = fail.Errorf(fail.Forbidden, "Authentication required")

// notPermitted is Gerrit's text for a missing global capability or ref
// permission: "not permitted: create account", "not permitted: delete on
// refs/heads/x".
func notPermitted(format string, args ...any) error {
	return fail.Errorf(fail.Forbidden, "not permitted: "+format, args...)
}

// capabilities returns the caller's global capabilities.
func (a *API) capabilities(q *request) (access.CapabilitySet, error) {
	return a.access.Capabilities(q.r.Context(), q.caller.Subject())
}

func (a *API) requireCapability(q *request, name, what string) error {
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	caps, err := a.capabilities(q)
	if err != nil {
		return err
	}
	if !caps.Has(name) {
		return notPermitted("%s", what)
	}
	return nil
}

func splitHostPort(hp string) (string, string) {
	i := strings.LastIndexByte(hp, ':')
	if i < 0 {
		return hp, "29418"
	}
	return strings.Trim(hp[:i], "[]"), hp[i+1:]
}
