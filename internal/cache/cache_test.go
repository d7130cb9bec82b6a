package cache_test

import (
	"slices"
	"testing"

	"tandem/internal/cache"
)

type fake struct {
	cache.Counter
	entries int
}

func (f *fake) Len() int { return f.entries }
func (f *fake) Flush()   { f.entries = 0 }

func TestRegistry(t *testing.T) {
	r := cache.NewRegistry()
	a, b := &fake{entries: 3}, &fake{entries: 1}
	r.Register("zeta", a)
	r.Register("alpha", b)
	if got := r.Names(); !slices.Equal(got, []string{"alpha", "zeta"}) {
		t.Fatalf("names %v", got)
	}
	a.Count(true)
	a.Count(true)
	a.Count(false)
	st := r.Stats()
	if len(st) != 2 || st[1] != (cache.Stats{Name: "zeta", Entries: 3, Hits: 2, Misses: 1}) {
		t.Fatalf("stats %+v", st)
	}
	if ratio, ok := st[1].HitRatio(); !ok || ratio != 66 {
		t.Fatalf("zeta's hit ratio %d, %v; want 66", ratio, ok)
	}
	if _, ok := st[0].HitRatio(); ok {
		t.Fatal("a cache never asked has a hit ratio")
	}
	if c, ok := r.Get("alpha"); !ok || c != b {
		t.Fatal("alpha not found")
	}
	if _, ok := r.Get("nope"); ok {
		t.Fatal("an unknown cache was found")
	}
}
