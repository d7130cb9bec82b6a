package httpd

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"tandem/internal/change/hook"
	"tandem/internal/metrics"
	"tandem/internal/site"
)

func TestTools(t *testing.T) {
	// The REST API answers whatever the tools route does not take.
	rest := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	s := New(Options{Listen: site.Listen{Path: "/"}, REST: rest, Git: rest,
		Metrics: metrics.NewRegistry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	tests := []struct {
		desc     string
		method   string
		path     string
		status   int
		wantBody bool
	}{
		{desc: "hook", method: "GET", path: "/tools/hooks/commit-msg", status: 200, wantBody: true},
		{desc: "hook under /a/ without credentials", method: "GET", path: "/a/tools/hooks/commit-msg", status: 200, wantBody: true},
		{desc: "head", method: "HEAD", path: "/tools/hooks/commit-msg", status: 200},
		{desc: "post", method: "POST", path: "/tools/hooks/commit-msg", status: 405},
		{desc: "other hook", method: "GET", path: "/tools/hooks/pre-commit", status: 404},
		{desc: "tools root", method: "GET", path: "/tools/", status: 404},
		{desc: "not tools", method: "GET", path: "/toolsx/hooks/commit-msg", status: http.StatusTeapot},
		{desc: "/a without slash", method: "GET", path: "/atools/hooks/commit-msg", status: http.StatusTeapot},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d; body %q", rec.Code, tc.status, rec.Body.String())
			}
			if tc.status != 200 {
				return
			}
			h := rec.Header()
			for k, want := range map[string]string{
				"Content-Type":  "application/octet-stream",
				"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate",
				"Pragma":        "no-cache",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if got, want := rec.Body.Bytes(), hook.CommitMsg(); tc.wantBody != bytes.Equal(got, want) || !tc.wantBody && len(got) > 0 {
				t.Errorf("body is %d bytes; hook is %d, body wanted: %v", len(got), len(want), tc.wantBody)
			}
		})
	}
}
