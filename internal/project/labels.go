package project

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"tandem/internal/gitconfig"
)

// LabelType is a [label "Name"] section: a review label and its values.
type LabelType struct {
	Name string
	// Function is the legacy submit function: MaxWithBlock (the default
	// when none is written), AnyWithBlock, MaxNoBlock, NoBlock, NoOp or
	// PatchSetLock.
	Function      string
	Description   string
	CopyCondition string       // query deciding which votes stick to new patch sets
	Values        []LabelValue // ascending by value
	DefaultValue  int
	// AllowPostSubmit (default true) permits votes after the change merged.
	AllowPostSubmit bool
	// CanOverride (default true) lets child projects redefine the label.
	CanOverride bool
	// Branches restricts the label to matching refs; empty means all.
	Branches []string
}

// LabelValue is one value of a label and its meaning.
type LabelValue struct {
	Value int
	Text  string
}

// SubmitRequirement is a [submit-requirement "Name"] section. Expressions
// use the change query language.
type SubmitRequirement struct {
	Name, Description, ApplicableIf, SubmittableIf, OverrideIf string
	CanOverrideInChildProjects                                 bool
}

// Label functions.
const (
	FunctionMaxWithBlock = "MaxWithBlock"
	FunctionAnyWithBlock = "AnyWithBlock"
	FunctionMaxNoBlock   = "MaxNoBlock"
	FunctionNoBlock      = "NoBlock"
	FunctionNoOp         = "NoOp"
	FunctionPatchSetLock = "PatchSetLock"
)

var labelFunctions = canonicalMap(FunctionMaxWithBlock, FunctionAnyWithBlock, FunctionMaxNoBlock, FunctionNoBlock, FunctionNoOp, FunctionPatchSetLock)

// CodeReviewLabel returns the Code-Review label every site starts with.
func CodeReviewLabel() LabelType {
	return LabelType{
		Name:          "Code-Review",
		Function:      FunctionNoBlock,
		CopyCondition: "changekind:NO_CHANGE OR changekind:TRIVIAL_REBASE OR is:MIN",
		Values: []LabelValue{
			{-2, "This shall not be submitted"},
			{-1, "I would prefer this is not submitted as is"},
			{0, "No score"},
			{1, "Looks good to me, but someone else must approve"},
			{2, "Looks good to me, approved"},
		},
		AllowPostSubmit: true,
		CanOverride:     true,
	}
}

// DefaultSubmitRequirements returns the requirements All-Projects starts
// with: a maximal Code-Review vote without a minimal one, and no unresolved
// comments.
func DefaultSubmitRequirements() []SubmitRequirement {
	return []SubmitRequirement{
		{
			Name:                       "Code-Review",
			Description:                "Needs a Code-Review vote with the highest value and none with the lowest.",
			SubmittableIf:              "label:Code-Review=MAX AND -label:Code-Review=MIN",
			CanOverrideInChildProjects: true,
		},
		{
			Name:          "No-Unresolved-Comments",
			Description:   "Changes with unresolved comments cannot be submitted.",
			ApplicableIf:  "has:unresolved",
			SubmittableIf: "-has:unresolved",
		},
	}
}

// Min returns the lowest value of the label (0 when it has none).
func (l LabelType) Min() int {
	if len(l.Values) == 0 {
		return 0
	}
	return l.Values[0].Value
}

// Max returns the highest value of the label (0 when it has none).
func (l LabelType) Max() int {
	if len(l.Values) == 0 {
		return 0
	}
	return l.Values[len(l.Values)-1].Value
}

// Value returns the entry for a value, if the label has it.
func (l LabelType) Value(v int) (LabelValue, bool) {
	for _, lv := range l.Values {
		if lv.Value == v {
			return lv, true
		}
	}
	return LabelValue{}, false
}

// AppliesTo reports whether the label is used on changes for ref.
func (l LabelType) AppliesTo(ref string) bool {
	if len(l.Branches) == 0 {
		return true
	}
	for _, b := range l.Branches {
		switch {
		case strings.HasPrefix(b, "^"):
			if re, err := regexp.Compile("^(?:" + b[1:] + ")$"); err == nil && re.MatchString(ref) {
				return true
			}
		case strings.HasSuffix(b, "/*"):
			if strings.HasPrefix(ref, b[:len(b)-1]) {
				return true
			}
		case b == ref:
			return true
		}
	}
	return false
}

// FormatVote is a vote as change messages print it: "Code-Review+2",
// "Verified-1", and "-Code-Review" for a vote removed (set to 0).
func FormatVote(label string, value int) string {
	if value == 0 {
		return "-" + label
	}
	return label + FormatLabelValue(value)
}

// FormatLabelValue writes a vote the way the REST API keys label values:
// "-1", " 0", "+1".
func FormatLabelValue(v int) string {
	switch {
	case v < 0:
		return strconv.Itoa(v)
	case v == 0:
		return " 0"
	}
	return "+" + strconv.Itoa(v)
}

// formatConfigValue writes a value as project.config does: "-1", "0", "+1".
func formatConfigValue(v int) string {
	if v > 0 {
		return "+" + strconv.Itoa(v)
	}
	return strconv.Itoa(v)
}

// EffectiveLabels returns the labels of a project from its chain (the
// project, then its parents, All-Projects last). A child's label replaces
// the parent's of the same name unless the parent forbids it
// (canOverride = false); a label redefined with only the value 0 is
// removed.
func EffectiveLabels(chain []*Config) []LabelType {
	var out []LabelType
	index := map[string]int{}
	for i := len(chain) - 1; i >= 0; i-- {
		for _, l := range chain[i].Labels {
			key := strings.ToLower(l.Name)
			if j, ok := index[key]; ok {
				if out[j].CanOverride {
					out[j] = l
				}
				continue
			}
			index[key] = len(out)
			out = append(out, l)
		}
	}
	return slices.DeleteFunc(out, func(l LabelType) bool {
		return !slices.ContainsFunc(l.Values, func(v LabelValue) bool { return v.Value != 0 })
	})
}

// EffectiveSubmitRequirements returns the submit requirements of a project
// from its chain: a child's requirement replaces the parent's of the same
// name only when the parent allows it (canOverrideInChildProjects).
func EffectiveSubmitRequirements(chain []*Config) []SubmitRequirement {
	var out []SubmitRequirement
	index := map[string]int{}
	for i := len(chain) - 1; i >= 0; i-- {
		for _, sr := range chain[i].SubmitRequirements {
			key := strings.ToLower(sr.Name)
			if j, ok := index[key]; ok {
				if out[j].CanOverrideInChildProjects {
					out[j] = sr
				}
				continue
			}
			index[key] = len(out)
			out = append(out, sr)
		}
	}
	return out
}

func sectionLines(raw *gitconfig.Config, section string) map[string]int {
	lines := map[string]int{}
	for _, s := range raw.Sections() {
		if _, ok := lines[s.Subsection]; s.Name == section && !ok {
			lines[s.Subsection] = s.Line
		}
	}
	return lines
}

func (p *configParser) bool(e gitconfig.Entry, name string) bool {
	if e.NoValue {
		return true
	}
	b, err := gitconfig.ParseBool(e.Value)
	if err != nil {
		p.errorf(e.Line, "invalid boolean %q for %s", e.Value, name)
	}
	return b
}

func (p *configParser) parseLabels(raw *gitconfig.Config, entries []gitconfig.Entry) {
	lines := sectionLines(raw, "label")
	for _, name := range raw.Subsections("label") {
		if !labelNameRE.MatchString(name) {
			p.errorf(lines[name], "invalid label name %q", name)
			continue
		}
		l := LabelType{Name: name, Function: FunctionMaxWithBlock, AllowPostSubmit: true, CanOverride: true}
		var defaultEntry *gitconfig.Entry
		for _, e := range entries {
			if e.Section != "label" || e.Subsection != name {
				continue
			}
			where := "label " + strconv.Quote(name)
			switch e.Key {
			case "value":
				v, ok := parseLabelValue(e.Value)
				if !ok {
					p.errorf(e.Line, "invalid value %q for %s", e.Value, where)
					continue
				}
				if _, dup := l.Value(v.Value); dup {
					p.errorf(e.Line, "duplicate value %s for %s", formatConfigValue(v.Value), where)
					continue
				}
				l.Values = append(l.Values, v)
			case "function":
				f, ok := labelFunctions[strings.ToLower(strings.TrimSpace(e.Value))]
				if !ok {
					p.errorf(e.Line, "invalid function %q for %s", e.Value, where)
				}
				l.Function = f
			case "defaultvalue":
				n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(e.Value), "+"))
				if err != nil {
					p.errorf(e.Line, "invalid defaultValue %q for %s", e.Value, where)
					continue
				}
				l.DefaultValue = n
				defaultEntry = &e
			case "description":
				l.Description = e.Value
			case "copycondition":
				l.CopyCondition = e.Value
			case "allowpostsubmit":
				l.AllowPostSubmit = p.bool(e, "label."+name+".allowPostSubmit")
			case "canoverride":
				l.CanOverride = p.bool(e, "label."+name+".canOverride")
			case "branch":
				b := strings.TrimSpace(e.Value)
				if err := ValidRefPattern(b); err != nil {
					p.errorf(e.Line, "%v for %s", err, where)
					continue
				}
				l.Branches = append(l.Branches, b)
			}
		}
		slices.SortFunc(l.Values, func(a, b LabelValue) int { return a.Value - b.Value })
		if len(l.Values) == 0 {
			p.errorf(lines[name], "label %q has no values", name)
		}
		if _, ok := l.Value(l.DefaultValue); !ok && defaultEntry != nil && len(l.Values) > 0 {
			p.errorf(defaultEntry.Line, "defaultValue %d is not a value of label %q", l.DefaultValue, name)
		}
		p.c.Labels = append(p.c.Labels, l)
	}
}

// parseLabelValue reads "<value> <text>", the value maybe with "+".
func parseLabelValue(s string) (LabelValue, bool) {
	s = strings.TrimSpace(s)
	num, text, _ := strings.Cut(s, " ")
	if i := strings.IndexAny(num, "\t"); i >= 0 {
		num, text = num[:i], num[i+1:]+" "+text
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(num, "+"), 10, 16)
	if err != nil {
		return LabelValue{}, false
	}
	return LabelValue{Value: int(n), Text: strings.TrimSpace(text)}, true
}

func (p *configParser) parseSubmitRequirements(raw *gitconfig.Config, entries []gitconfig.Entry) {
	lines := sectionLines(raw, "submit-requirement")
	for _, name := range raw.Subsections("submit-requirement") {
		sr := SubmitRequirement{Name: name}
		for _, e := range entries {
			if e.Section != "submit-requirement" || e.Subsection != name {
				continue
			}
			switch e.Key {
			case "description":
				sr.Description = e.Value
			case "applicableif":
				sr.ApplicableIf = e.Value
			case "submittableif":
				sr.SubmittableIf = e.Value
			case "overrideif":
				sr.OverrideIf = e.Value
			case "canoverrideinchildprojects":
				sr.CanOverrideInChildProjects = p.bool(e, "submit-requirement."+name+".canOverrideInChildProjects")
			}
		}
		if strings.TrimSpace(sr.SubmittableIf) == "" {
			p.errorf(lines[name], "submit requirement %q has no submittableIf", name)
		}
		p.c.SubmitRequirements = append(p.c.SubmitRequirements, sr)
	}
}

var labelKeys = []string{"function", "defaultValue", "description", "copyCondition", "value", "allowPostSubmit", "canOverride", "branch"}

func (w *configWriter) labels(labels []LabelType) {
	w.removeStale("label", func(name string) bool {
		return slices.ContainsFunc(labels, func(l LabelType) bool { return l.Name == name })
	})
	for _, l := range labels {
		for _, k := range labelKeys {
			w.raw.Unset("label", l.Name, k)
		}
		add := func(k, v string) { w.raw.Add("label", l.Name, k, v) }
		fn := l.Function
		if fn == "" {
			fn = FunctionMaxWithBlock
		}
		add("function", fn)
		add("defaultValue", strconv.Itoa(l.DefaultValue))
		if l.Description != "" {
			add("description", l.Description)
		}
		if l.CopyCondition != "" {
			add("copyCondition", l.CopyCondition)
		}
		for _, v := range l.Values {
			add("value", strings.TrimSpace(formatConfigValue(v.Value)+" "+v.Text))
		}
		if !l.AllowPostSubmit {
			add("allowPostSubmit", "false")
		}
		if !l.CanOverride {
			add("canOverride", "false")
		}
		for _, b := range l.Branches {
			add("branch", b)
		}
	}
}

var submitRequirementKeys = []string{"description", "applicableIf", "submittableIf", "overrideIf", "canOverrideInChildProjects"}

func (w *configWriter) submitRequirements(srs []SubmitRequirement) {
	w.removeStale("submit-requirement", func(name string) bool {
		return slices.ContainsFunc(srs, func(sr SubmitRequirement) bool { return sr.Name == name })
	})
	for _, sr := range srs {
		for _, k := range submitRequirementKeys {
			w.raw.Unset("submit-requirement", sr.Name, k)
		}
		for _, kv := range [][2]string{
			{"description", sr.Description},
			{"applicableIf", sr.ApplicableIf},
			{"submittableIf", sr.SubmittableIf},
			{"overrideIf", sr.OverrideIf},
		} {
			if kv[1] != "" {
				w.raw.Add("submit-requirement", sr.Name, kv[0], kv[1])
			}
		}
		if sr.CanOverrideInChildProjects {
			w.raw.Add("submit-requirement", sr.Name, "canOverrideInChildProjects", "true")
		}
	}
}

func (w *configWriter) removeStale(section string, keep func(sub string) bool) {
	for _, sub := range w.raw.Subsections(section) {
		if !keep(sub) {
			w.raw.RemoveSection(section, sub)
		}
	}
}

// ApplicableLabels returns the labels used on changes for branch: the
// project's effective labels (its own, then inherited) restricted by their
// branch keys.
func ApplicableLabels(chain []*Config, branch string) []LabelType {
	var out []LabelType
	for _, l := range EffectiveLabels(chain) {
		if l.AppliesTo(branch) {
			out = append(out, l)
		}
	}
	return out
}
