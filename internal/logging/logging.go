// Package logging is Tandem's slog handler whose levels an administrator
// changes at run time, per component (the "component" attribute every
// package logs under) or for all of them at once, as Gerrit's
// `gerrit logging set-level` does for its loggers. Levels are a master's
// own: they are not shared through the database, and a restart returns to
// the level the master was started with.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Root names the level of records logged outside any component.
const Root = "root"

// Levels holds the current level of each component.
type Levels struct {
	base slog.Level // the level at start, for Reset

	mu         sync.Mutex
	fallback   slog.Level // for components not seen yet
	components map[string]*slog.LevelVar
}

// New returns a logger writing text to w at level, and the Levels that
// change it.
func New(w io.Writer, level slog.Level) (*slog.Logger, *Levels) {
	l := &Levels{base: level, fallback: level, components: map[string]*slog.LevelVar{}}
	next := slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(&handler{next: next, levels: l, level: l.component(Root)}), l
}

// component returns the level of a component, registering it.
func (l *Levels) component(name string) *slog.LevelVar {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := l.components[name]
	if v == nil {
		v = new(slog.LevelVar)
		v.Set(l.fallback)
		l.components[name] = v
	}
	return v
}

// List returns "NAME: LEVEL" for the loggers whose name contains filter,
// sorted by name.
func (l *Levels) List(filter string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for name, v := range l.components {
		if strings.Contains(name, filter) {
			out = append(out, fmt.Sprintf("%s: %s", name, v.Level()))
		}
	}
	slices.Sort(out)
	return out
}

// Set gives the loggers named by logger level: one component, those
// matching a regular expression when logger starts with "^", or every
// one, and those to come, when logger is "". It returns how many loggers
// it changed.
func (l *Levels) Set(level slog.Level, logger string) (int, error) {
	match := func(name string) bool { return logger == "" || name == logger }
	if strings.HasPrefix(logger, "^") {
		re, err := regexp.Compile(logger)
		if err != nil {
			return 0, fmt.Errorf("invalid logger pattern %q: %w", logger, err)
		}
		match = re.MatchString
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if logger == "" {
		l.fallback = level
	}
	n := 0
	for name, v := range l.components {
		if match(name) {
			v.Set(level)
			n++
		}
	}
	return n, nil
}

// Reset returns every logger to the level the master started with.
func (l *Levels) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fallback = l.base
	for _, v := range l.components {
		v.Set(l.base)
	}
}

// ParseLevel reads a level by Gerrit's (log4j's) names as well as slog's:
// all and trace are debug, fatal is error, off silences the logger.
func ParseLevel(s string) (slog.Level, bool) {
	switch strings.ToLower(s) {
	case "all", "trace", "debug":
		return slog.LevelDebug, true
	case "info":
		return slog.LevelInfo, true
	case "warn", "warning":
		return slog.LevelWarn, true
	case "error", "fatal":
		return slog.LevelError, true
	case "off":
		return slog.LevelError + 4, true
	}
	return 0, false
}

// handler filters records by the level of its logger's component and
// passes the rest on.
type handler struct {
	next   slog.Handler
	levels *Levels
	level  *slog.LevelVar
}

func (h *handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	return h.next.Handle(ctx, r)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	level := h.level
	for _, a := range attrs {
		if a.Key == "component" {
			level = h.levels.component(a.Value.String())
		}
	}
	return &handler{next: h.next.WithAttrs(attrs), levels: h.levels, level: level}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name), levels: h.levels, level: h.level}
}
