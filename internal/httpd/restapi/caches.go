package restapi

import (
	"encoding/base64"
	"net/http"
	"strings"

	"tandem/internal/cache"
	"tandem/internal/fail"
	"tandem/internal/project"
)

// CacheInfo is Gerrit's CacheInfo for a memory cache.
type CacheInfo struct {
	Name     string         `json:"name,omitempty"`
	Type     string         `json:"type"`
	Entries  map[string]int `json:"entries"`
	HitRatio map[string]int `json:"hit_ratio,omitempty"`
}

func cacheInfo(st cache.Stats) CacheInfo {
	info := CacheInfo{Type: "MEM", Entries: map[string]int{"mem": st.Entries}}
	if r, ok := st.HitRatio(); ok {
		info.HitRatio = map[string]int{"mem": r}
	}
	return info
}

// serveCaches answers /config/server/caches/: listing (viewCaches) and
// flushing (flushCaches) this master's caches.
func (a *API) serveCaches(q *request) error {
	rest := q.segs[3:]
	switch {
	case len(rest) == 0 && q.method() == http.MethodGet:
		if err := a.requireCapability(q, project.CapViewCaches, "view caches"); err != nil {
			return err
		}
		return a.listCaches(q)
	case len(rest) == 0 && q.method() == http.MethodPost:
		if err := a.requireCapability(q, project.CapFlushCaches, "flush caches"); err != nil {
			return err
		}
		var in struct {
			Operation string   `json:"operation"`
			Caches    []string `json:"caches"`
		}
		if err := readJSON(q, &in); err != nil {
			return err
		}
		switch in.Operation {
		case "FLUSH_ALL":
			if len(in.Caches) > 0 {
				return fail.Errorf(fail.Invalid, "specifying caches is not allowed for operation 'FLUSH_ALL'")
			}
			return a.flushCaches(q)
		case "FLUSH":
			if len(in.Caches) == 0 {
				return fail.Errorf(fail.Invalid, "caches must be specified for operation 'FLUSH'")
			}
			return a.flushCaches(q, in.Caches...)
		}
		return fail.Errorf(fail.Invalid, "unsupported operation: %s", in.Operation)
	case len(rest) > 2:
		return notFound(q.r.URL.Path)
	}
	st, ok := a.caches.Stat(rest[0])
	if !ok {
		return notFound(rest[0])
	}
	switch {
	case len(rest) == 1 && q.method() == http.MethodGet:
		if err := a.requireCapability(q, project.CapViewCaches, "view caches"); err != nil {
			return err
		}
		info := cacheInfo(st)
		info.Name = st.Name
		return writeJSON(q, http.StatusOK, info)
	case len(rest) == 2 && rest[1] == "flush" && q.method() == http.MethodPost:
		if err := a.requireCapability(q, project.CapFlushCaches, "flush caches"); err != nil {
			return err
		}
		return a.flushCaches(q, rest[0])
	case len(rest) == 2 && rest[1] != "flush":
		return notFound(q.r.URL.Path)
	}
	return methodNotAllowed()
}

// listCaches writes every cache's info by name, or with format=LIST the
// names, or with format=TEXT_LIST the names one per line in base64.
func (a *API) listCaches(q *request) error {
	switch strings.ToUpper(q.query.Get("format")) {
	case "", "JSON":
		out := map[string]CacheInfo{}
		for _, st := range a.caches.Stats() {
			out[st.Name] = cacheInfo(st)
		}
		return writeJSON(q, http.StatusOK, out)
	case "LIST":
		return writeJSON(q, http.StatusOK, a.caches.Names())
	case "TEXT_LIST":
		return writeText(q, base64.StdEncoding.EncodeToString([]byte(strings.Join(a.caches.Names(), "\n"))))
	}
	return fail.Errorf(fail.Invalid, "unsupported format: %s", q.query.Get("format"))
}

func (a *API) flushCaches(q *request, names ...string) error {
	if err := a.caches.Flush(names...); err != nil {
		return err
	}
	a.log.Info("caches flushed", "caches", names, "by", q.caller.Subject().AccountID)
	return writeText(q, "")
}
