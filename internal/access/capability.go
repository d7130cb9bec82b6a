package access

import (
	"slices"

	"tandem/internal/project"
)

// CapabilitySet is what a subject may do site-wide, from the [capability]
// section of All-Projects.
type CapabilitySet struct {
	admin       bool
	granted     map[string]bool   // capabilities with a matching ALLOW rule
	ranges      map[string][2]int // queryLimit, batchChangesLimit
	batch       bool
	interactive bool
	noEmail     bool     // a DENY or BLOCK of emailReviewers applies
	plugin      []string // plugin capabilities named in the configuration
}

// Capabilities evaluates the global capabilities of s. Only ALLOW rules
// grant; a DENY or BLOCK matters only for emailReviewers, which everybody
// has unless denied.
func Capabilities(allProjects *project.Config, s Subject) CapabilitySet {
	cs := CapabilitySet{granted: map[string]bool{}, ranges: map[string][2]int{}}
	if allProjects == nil {
		return cs
	}
	core := project.Capabilities()
	for _, p := range allProjects.Capabilities {
		if !slices.Contains(core, p.Name) && !slices.Contains(cs.plugin, p.Name) {
			cs.plugin = append(cs.plugin, p.Name)
		}
		for _, r := range p.Rules {
			if !s.member(r.Group.UUID) {
				continue
			}
			switch {
			case r.Action == project.Batch:
				cs.batch = true
			case r.Action == project.Interactive:
				cs.interactive = true
			case r.Action != project.Allow:
				if p.Name == project.CapEmailReviewers {
					cs.noEmail = true
				}
			case project.CapabilityHasRange(p.Name):
				if !r.HasRange {
					continue
				}
				if old, ok := cs.ranges[p.Name]; ok {
					cs.ranges[p.Name] = [2]int{min(old[0], r.Min), max(old[1], r.Max)}
				} else {
					cs.ranges[p.Name] = [2]int{r.Min, r.Max}
				}
			default:
				cs.granted[p.Name] = true
			}
		}
	}
	cs.admin = cs.granted[project.CapAdministrateServer]
	return cs
}

// Has reports whether the subject holds a capability. As in Gerrit,
// administrateServer implies every other capability except runAs and
// accessDatabase (which must be granted explicitly) and the ranged ones;
// maintainServer implies flushCaches, killTask, runGC, viewCaches and
// viewQueue.
func (cs CapabilitySet) Has(name string) bool {
	switch name {
	case project.CapAdministrateServer:
		return cs.admin
	case project.CapEmailReviewers:
		return cs.granted[name] || !cs.noEmail
	case project.CapFlushCaches, project.CapKillTask, project.CapRunGC, project.CapViewCaches, project.CapViewQueue:
		return cs.granted[name] || cs.Has(project.CapMaintainServer)
	case project.CapAccessDatabase, project.CapRunAs:
		return cs.granted[name]
	case project.CapQueryLimit, project.CapBatchChangesLimit:
		_, ok := cs.ranges[name]
		return ok
	case project.CapPriority:
		return cs.batch || cs.interactive
	}
	return cs.granted[name] || cs.admin
}

// Range returns the range granted for queryLimit or batchChangesLimit: the
// union of the subject's rules. ok is false when no rule applies, and the
// caller uses its default limit.
func (cs CapabilitySet) Range(name string) (lo, hi int, ok bool) {
	r, ok := cs.ranges[name]
	return r[0], r[1], ok
}

// DefaultQueryLimit is the most changes one query returns to a subject no
// queryLimit rule applies to, as in Gerrit.
const DefaultQueryLimit = 500

// QueryLimit returns the most changes one query may return to the
// subject: the top of its queryLimit range (at least one), else
// DefaultQueryLimit.
func (cs CapabilitySet) QueryLimit() int {
	if _, hi, ok := cs.Range(project.CapQueryLimit); ok {
		return max(hi, 1)
	}
	return DefaultQueryLimit
}

// Priority returns "batch" when the subject's work goes to the batch
// thread pool (a batch rule applies and no interactive one), else
// "interactive".
func (cs CapabilitySet) Priority() string {
	if cs.batch && !cs.interactive {
		return "batch"
	}
	return "interactive"
}

// Names returns the capabilities the subject has, sorted: Gerrit's core
// ones and the plugin ones All-Projects mentions.
func (cs CapabilitySet) Names() []string {
	var out []string
	for _, n := range append(project.Capabilities(), cs.plugin...) {
		if cs.Has(n) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}
