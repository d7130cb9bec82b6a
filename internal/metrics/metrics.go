// Package metrics is a small Prometheus text-format registry: labelled
// counters and histograms, rendered by Write for GET /metrics. A Registry
// and its metrics are safe for concurrent use; metrics are process-local
// (each master exposes its own).
package metrics

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Registry holds named metrics in registration order.
type Registry struct {
	mu      sync.Mutex
	metrics []metric
}

type metric interface {
	write(w io.Writer)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

func (r *Registry) add(m metric) {
	r.mu.Lock()
	r.metrics = append(r.metrics, m)
	r.mu.Unlock()
}

// Write renders every metric in the Prometheus text format.
func (r *Registry) Write(w io.Writer) {
	r.mu.Lock()
	ms := append([]metric(nil), r.metrics...)
	r.mu.Unlock()
	for _, m := range ms {
		m.write(w)
	}
}

// Counter is a monotonically increasing value per label set.
type Counter struct {
	name, help string
	labels     []string
	mu         sync.Mutex
	values     map[string]float64
}

// NewCounter registers a counter with the given label names.
func (r *Registry) NewCounter(name, help string, labels ...string) *Counter {
	c := &Counter{name: name, help: help, labels: labels, values: map[string]float64{}}
	r.add(c)
	return c
}

// Add increases the counter for the label values by v.
func (c *Counter) Add(v float64, labelValues ...string) {
	k := key(labelValues)
	c.mu.Lock()
	c.values[k] += v
	c.mu.Unlock()
}

// Inc adds one.
func (c *Counter) Inc(labelValues ...string) { c.Add(1, labelValues...) }

func (c *Counter) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(c.values)) {
		fmt.Fprintf(w, "%s%s %s\n", c.name, labelText(c.labels, k, ""), num(c.values[k]))
	}
}

// Gauge reports a value computed at scrape time.
type Gauge struct {
	name, help string
	fn         func() float64
}

// NewGaugeFunc registers a gauge whose value fn returns.
func (r *Registry) NewGaugeFunc(name, help string, fn func() float64) {
	r.add(&Gauge{name: name, help: help, fn: fn})
}

func (g *Gauge) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", g.name, g.help, g.name, g.name, num(g.fn()))
}

// DefaultBuckets are latency buckets in seconds.
var DefaultBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Histogram counts observations into buckets per label set.
type Histogram struct {
	name, help string
	labels     []string
	buckets    []float64
	mu         sync.Mutex
	series     map[string]*series
}

type series struct {
	counts []uint64
	sum    float64
	count  uint64
}

// NewHistogram registers a histogram with the given buckets and label names.
func (r *Registry) NewHistogram(name, help string, buckets []float64, labels ...string) *Histogram {
	h := &Histogram{name: name, help: help, labels: labels, buckets: buckets, series: map[string]*series{}}
	r.add(h)
	return h
}

// Observe records v for the label values.
func (h *Histogram) Observe(v float64, labelValues ...string) {
	k := key(labelValues)
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.series[k]
	if s == nil {
		s = &series{counts: make([]uint64, len(h.buckets))}
		h.series[k] = s
	}
	for i, b := range h.buckets {
		if v <= b {
			s.counts[i]++
		}
	}
	s.sum += v
	s.count++
}

// Since observes the seconds elapsed since start.
func (h *Histogram) Since(start time.Time, labelValues ...string) {
	h.Observe(time.Since(start).Seconds(), labelValues...)
}

func (h *Histogram) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.name, h.help, h.name)
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := make([]string, 0, len(h.series))
	for k := range h.series {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := h.series[k]
		for i, b := range h.buckets {
			fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, labelText(h.labels, k, num(b)), s.counts[i])
		}
		fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, labelText(h.labels, k, "+Inf"), s.count)
		fmt.Fprintf(w, "%s_sum%s %s\n", h.name, labelText(h.labels, k, ""), num(s.sum))
		fmt.Fprintf(w, "%s_count%s %d\n", h.name, labelText(h.labels, k, ""), s.count)
	}
}

const sep = "\xff"

func key(values []string) string { return strings.Join(values, sep) }

func labelText(names []string, k, le string) string {
	var parts []string
	if len(names) > 0 {
		for i, v := range strings.Split(k, sep) {
			if i < len(names) {
				parts = append(parts, fmt.Sprintf("%s=%q", names[i], v))
			}
		}
	}
	if le != "" {
		parts = append(parts, fmt.Sprintf("le=%q", le))
	}
	if len(parts) == 0 {
		return ""
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func num(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return fmt.Sprintf("%g", v)
}

// Timer starts timing; calling the returned function observes the elapsed
// seconds for the label values.
func (h *Histogram) Timer(labelValues ...string) func() {
	start := time.Now()
	return func() { h.Since(start, labelValues...) }
}
