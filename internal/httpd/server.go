// Package httpd is Tandem's HTTP server: it listens on httpd.listenUrl,
// sends git smart-HTTP paths to githttp, /metrics to the registry, the
// commit-msg hook under /tools/ (and /a/tools/, without authentication) to
// the hook package and everything else to the REST API, and records
// requests by route and status.
// Shutdown stops accepting and waits for requests in flight.
package httpd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"tandem/internal/httpd/githttp"
	"tandem/internal/metrics"
	"tandem/internal/site"
)

// Options are the server's parts.
type Options struct {
	Listen  site.Listen
	REST    http.Handler
	Git     http.Handler
	Metrics *metrics.Registry
	Logger  *slog.Logger
}

// Server is the HTTP server of one master.
type Server struct {
	opts     Options
	ln       net.Listener
	srv      *http.Server
	log      *slog.Logger
	requests *metrics.Counter
	seconds  *metrics.Histogram
}

// New returns a server; call Listen, then Serve.
func New(o Options) *Server {
	s := &Server{opts: o, log: o.Logger.With("component", "httpd")}
	s.requests = o.Metrics.NewCounter("tandem_http_requests_total", "HTTP requests by route and status.", "route", "status")
	s.seconds = o.Metrics.NewHistogram("tandem_http_request_seconds", "HTTP request durations by route.", metrics.DefaultBuckets, "route")
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s
}

// Listen binds the listen address; a busy port is a clear error.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.opts.Listen.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("httpd.listenUrl: %s is already in use", s.opts.Listen.Addr)
		}
		return fmt.Errorf("httpd.listenUrl: %w", err)
	}
	s.ln = ln
	return nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve serves until Shutdown or Close.
func (s *Server) Serve() error { return s.srv.Serve(s.ln) }

// Shutdown stops accepting and waits for requests in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// Close stops the server at once.
func (s *Server) Close() error {
	if s.ln != nil {
		s.ln.Close()
	}
	return s.srv.Close()
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if p := s.opts.Listen.Path; p != "/" {
		if !strings.HasPrefix(r.URL.Path, p) && r.URL.Path+"/" != p {
			http.NotFound(w, r)
			return
		}
		r.URL.Path = "/" + strings.TrimPrefix(r.URL.Path, p)
		r.URL.RawPath = ""
	}
	if s.opts.Listen.Proxy {
		if fwd := r.Header.Get("X-Forwarded-For"); fwd != "" {
			r.RemoteAddr = strings.TrimSpace(strings.Split(fwd, ",")[0])
		}
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	route := routeOf(r)
	tool, isTool := toolsPath(r)
	switch {
	case route == "git":
		s.opts.Git.ServeHTTP(rec, r)
	case isTool:
		serveTool(rec, r, tool)
	case r.URL.Path == "/metrics":
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.opts.Metrics.Write(rec)
	default:
		s.opts.REST.ServeHTTP(rec, r)
	}
	elapsed := time.Since(start)
	s.requests.Inc(route, strconv.Itoa(rec.status))
	s.seconds.Observe(elapsed.Seconds(), route)
	s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration_ms", elapsed.Milliseconds(), "remote", r.RemoteAddr)
}

// routeOf names a request's route coarsely for metrics: "git", "metrics",
// or the REST root ("changes", "projects", …).
func routeOf(r *http.Request) string {
	if githttp.Match(r) {
		return "git"
	}
	p := strings.TrimPrefix(r.URL.Path, "/a/")
	p = strings.TrimPrefix(p, "/")
	root, _, _ := strings.Cut(p, "/")
	switch root {
	case "metrics", "changes", "accounts", "groups", "projects", "config", "tools", "access", "plugins", "ssh_info":
		return root
	}
	return "other"
}

type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status = code
		s.wroteHeader = true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	s.wroteHeader = true
	return s.ResponseWriter.Write(p)
}

// Flush lets streaming handlers (git) flush through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
