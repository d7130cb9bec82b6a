package restapi

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tandem/internal/db"
	"tandem/internal/db/dbtest"
)

// TestRequestExtras drives the headers Gerrit clients add to requests
// through the API's own entry point.
func TestRequestExtras(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newHandlerEnv(t, d)
		serve := func(path string, header map[string]string) *httptest.ResponseRecorder {
			t.Helper()
			r := httptest.NewRequest("GET", path, nil)
			for k, v := range header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			e.api.ServeHTTP(w, r)
			return w
		}

		// Traces: the caller's id, or one made up.
		if w := serve("/changes/1", map[string]string{"X-Gerrit-Trace": "my-trace"}); w.Code != 200 || w.Header().Get("X-Gerrit-Trace") != "my-trace" {
			t.Errorf("X-Gerrit-Trace: %d %q", w.Code, w.Header().Get("X-Gerrit-Trace"))
		}
		if w := serve("/changes/1?trace", nil); w.Code != 200 || !strings.Contains(w.Header().Get("X-Gerrit-Trace"), "-") {
			t.Errorf("?trace: %d %q", w.Code, w.Header().Get("X-Gerrit-Trace"))
		}
		if w := serve("/changes/1", nil); w.Header().Get("X-Gerrit-Trace") != "" {
			t.Errorf("an untraced request names a trace: %q", w.Header().Get("X-Gerrit-Trace"))
		}

		// Deadlines.
		w := serve("/changes/?q=slow", map[string]string{"X-Gerrit-Deadline": "50ms"})
		if w.Code != 408 || strings.TrimSpace(w.Body.String()) != "Client Provided Deadline Exceeded" {
			t.Errorf("a query past its deadline: %d %q", w.Code, w.Body.String())
		}
		for _, v := range []string{"soon", "5 fortnights", "-1s"} {
			if w := serve("/changes/1", map[string]string{"X-Gerrit-Deadline": v}); w.Code != 400 || !strings.Contains(w.Body.String(), "Invalid deadline") {
				t.Errorf("deadline %q: %d %q", v, w.Code, w.Body.String())
			}
		}
		for _, v := range []string{"0", "5m", "30 sec", "1h"} {
			if w := serve("/changes/1", map[string]string{"X-Gerrit-Deadline": v}); w.Code != 200 {
				t.Errorf("deadline %q: %d %q", v, w.Code, w.Body.String())
			}
		}
	})
}

func TestParseDeadline(t *testing.T) {
	for v, want := range map[string]time.Duration{"250": 250 * time.Millisecond, "10ms": 10 * time.Millisecond, "5s": 5 * time.Second,
		"2 min": 2 * time.Minute, "3h": 3 * time.Hour, "1d": 24 * time.Hour, "0": 0, " 7 SEC ": 7 * time.Second} {
		if got, err := parseDeadline(v); err != nil || got != want {
			t.Errorf("parseDeadline(%q) = %v, %v; want %v", v, got, err, want)
		}
	}
}
