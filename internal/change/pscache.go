package change

import (
	"context"
	"maps"
	"slices"
	"sync"
)

// Patch sets are written once and never updated, and change numbers come
// from a sequence and are never reused. A change's list of patch sets
// therefore stays true for as long as its last entry is the change's
// current patch set: a cached list can be outgrown (the change row then
// names a later patch set and the list is read again) but never go stale,
// on this master or another. The cache needs no eviction, only a bound.
// Lists are cached only from reads outside transactions, so nothing that
// could roll back is ever kept.

// patchSetCache holds the patch sets of recently read changes, in two
// generations: when the young one fills up, the old one is dropped.
type patchSetCache struct {
	limit int

	mu         sync.Mutex
	young, old map[int64][]PatchSet
}

func newPatchSetCache(limit int) *patchSetCache {
	return &patchSetCache{limit: limit, young: map[int64][]PatchSet{}, old: map[int64][]PatchSet{}}
}

// get returns the patch sets of change n when the list ends at current,
// else nil.
func (c *patchSetCache) get(n int64, current int) []PatchSet {
	c.mu.Lock()
	defer c.mu.Unlock()
	list, ok := c.young[n]
	if !ok {
		if list, ok = c.old[n]; ok {
			c.putLocked(n, list)
		}
	}
	if !ok || len(list) == 0 || list[len(list)-1].Number != current {
		return nil
	}
	return list
}

func (c *patchSetCache) put(n int64, list []PatchSet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(n, list)
}

func (c *patchSetCache) putLocked(n int64, list []PatchSet) {
	if len(c.young) >= c.limit {
		c.old, c.young = c.young, map[int64][]PatchSet{}
	}
	c.young[n] = list
}

// PatchSetsOf returns the patch sets of cs, ordered by change and number
// as PatchSets does, reading from the database only those of changes not
// seen at their current patch set before. The result is the caller's to
// modify.
func (s *Store) PatchSetsOf(ctx context.Context, cs []*Change) ([]*PatchSet, error) {
	byChange := make(map[int64][]PatchSet, len(cs))
	var missing []int64
	for _, c := range cs {
		if _, seen := byChange[c.Number]; seen {
			continue
		}
		list := s.patchSets.get(c.Number, c.CurrentPS)
		byChange[c.Number] = list // nil until read
		if list == nil {
			missing = append(missing, c.Number)
		}
	}
	read, err := s.PatchSets(ctx, s.db, missing...)
	if err != nil {
		return nil, err
	}
	for _, ps := range read {
		byChange[ps.Change] = append(byChange[ps.Change], *ps)
	}
	for _, n := range missing {
		if list := byChange[n]; len(list) > 0 {
			s.patchSets.put(n, slices.Clip(list))
		}
	}
	numbers := slices.Sorted(maps.Keys(byChange))
	var out []*PatchSet
	for _, n := range numbers {
		for _, ps := range byChange[n] {
			ps.Parents = slices.Clone(ps.Parents)
			out = append(out, &ps)
		}
	}
	return out, nil
}
