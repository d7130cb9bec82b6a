package query

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// timeLayouts are the forms before:/after: accept, Gerrit's
// 2006-01-02[ 15:04:05[.890][ -0700]]; without a zone the time is UTC.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04 -0700",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseTime parses the value of before:/after: and friends.
func parseTime(field, v string) (time.Time, error) {
	s := strings.TrimSpace(strings.Replace(v, "T", " ", 1))
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errorf("Invalid date/time for %s: %s (want 2006-01-02[ 15:04:05[.890][ -0700]])", field, v)
}

var ageUnits = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
	"mon": 30 * 24 * time.Hour, "month": 30 * 24 * time.Hour, "months": 30 * 24 * time.Hour,
	"y": 365 * 24 * time.Hour, "year": 365 * 24 * time.Hour, "years": 365 * 24 * time.Hour,
}

var agePart = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*([0-9]+)\s*([a-zA-Z]+)`) })

// parseAge parses an age such as 2d, 3 weeks or 1d12h; a unit is required.
func parseAge(v string) (time.Duration, error) {
	rest := v
	var total time.Duration
	for strings.TrimSpace(rest) != "" {
		m := agePart().FindStringSubmatch(rest)
		if m == nil {
			return 0, errorf("Invalid age: %s (want a number and a unit: s, m, h, d, w, mon, y)", v)
		}
		unit, ok := ageUnits[strings.ToLower(m[2])]
		n, err := strconv.ParseInt(m[1], 10, 32)
		if !ok || err != nil {
			return 0, errorf("Invalid age: %s (want a number and a unit: s, m, h, d, w, mon, y)", v)
		}
		total += time.Duration(n) * unit
		rest = rest[len(m[0]):]
	}
	if total == 0 && strings.TrimSpace(v) == "" {
		return 0, errorf("Invalid age: %s", v)
	}
	return total, nil
}
