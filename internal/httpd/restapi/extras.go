package restapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"tandem/internal/fail"
)

// Request headers Gerrit clients may send besides the usual ones:
//   - X-Gerrit-Trace (or ?trace): the caller wants the request traced; the
//     answer names the trace in X-Gerrit-Trace and the request is logged
//     under it, so an administrator can find it.
//   - X-Gerrit-Deadline: the most the caller will wait ("30s", "5m");
//     past it the request is aborted with 408, its transaction rolled back.
//   - If-None-Match: * on a PUT: create only; a resource that exists
//     answers 412 instead of 409.

// traceOf returns the trace the caller asked for, its id generated when
// the caller gave none.
func traceOf(r *http.Request) (string, bool) {
	id, asked := r.Header.Get("X-Gerrit-Trace"), r.Header.Values("X-Gerrit-Trace") != nil
	if q := r.URL.Query(); q.Has("trace") {
		asked = true
		if id == "" {
			id = q.Get("trace")
		}
	}
	if !asked {
		return "", false
	}
	if id = strings.TrimSpace(id); id == "" || id == "true" {
		var b [4]byte
		rand.Read(b[:])
		id = strconv.FormatInt(time.Now().UnixMilli(), 10) + "-" + hex.EncodeToString(b[:])
	}
	return id, true
}

// deadlineValue is a number and a time unit, as Gerrit writes durations.
var deadlineValue = regexp.MustCompile(`^(\d+)\s*([a-z]*)$`)

// parseDeadline reads an X-Gerrit-Deadline value; 0 means none. A bare
// number is milliseconds.
func parseDeadline(v string) (time.Duration, error) {
	m := deadlineValue.FindStringSubmatch(strings.ToLower(strings.TrimSpace(v)))
	if m == nil {
		return 0, fail.Errorf(fail.Invalid, "Invalid deadline. Cannot parse value %s", v)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fail.Errorf(fail.Invalid, "Invalid deadline. Cannot parse value %s", v)
	}
	units := map[string]time.Duration{
		"": time.Millisecond, "ms": time.Millisecond, "milliseconds": time.Millisecond,
		"s": time.Second, "sec": time.Second, "second": time.Second, "seconds": time.Second,
		"m": time.Minute, "min": time.Minute, "minute": time.Minute, "minutes": time.Minute,
		"h": time.Hour, "hr": time.Hour, "hour": time.Hour, "hours": time.Hour,
		"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	}
	unit, ok := units[m[2]]
	if !ok {
		return 0, fail.Errorf(fail.Invalid, "Invalid deadline. Cannot parse value %s", v)
	}
	return time.Duration(n) * unit, nil
}

// errDeadline is a request that outlived the caller's deadline.
var errDeadline = errors.New("client provided deadline exceeded")

// withDeadline applies the caller's X-Gerrit-Deadline to r.
func withDeadline(r *http.Request) (*http.Request, context.CancelFunc, error) {
	v := r.Header.Get("X-Gerrit-Deadline")
	if v == "" {
		return r, func() {}, nil
	}
	d, err := parseDeadline(v)
	if err != nil || d == 0 {
		return r, func() {}, err
	}
	ctx, cancel := context.WithTimeoutCause(r.Context(), d, errDeadline)
	return r.WithContext(ctx), cancel, nil
}

// statusRecorder remembers the status a handler wrote, for the trace log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}
