package project

import "strings"

// Setting is an inheritable TRUE/FALSE/INHERIT key of project.config, with
// the value it has when no project in the chain sets it.
type Setting struct {
	Key     string // section.key, as in project.config
	get     func(*Config) string
	Default bool
}

// The inheritable settings of project.config that ConfigInfo reports.
var (
	SettingRequireChangeID = Setting{"receive.requireChangeId",
		func(c *Config) string { return c.Receive.RequireChangeID }, true}
	SettingRequireSignedOffBy = Setting{"receive.requireSignedOffBy",
		func(c *Config) string { return c.Receive.RequireSignedOffBy }, false}
	SettingUseContributorAgreements = Setting{"receive.requireContributorAgreement",
		func(c *Config) string { return c.Receive.RequireContributorAgreement }, false}
	SettingRejectImplicitMerges = Setting{"receive.rejectImplicitMerges",
		func(c *Config) string { return c.Receive.RejectImplicitMerges }, false}
	SettingCreateNewChangeForAllNotInTarget = Setting{"receive.createNewChangeForAllNotInTarget",
		func(c *Config) string { return c.Receive.CreateNewChangeForAllNotInTarget }, false}
	SettingEnableSignedPush = Setting{"receive.enableSignedPush",
		func(c *Config) string { return c.Receive.EnableSignedPush }, false}
	SettingRequireSignedPush = Setting{"receive.requireSignedPush",
		func(c *Config) string { return c.Receive.RequireSignedPush }, false}
	SettingMergeContent = Setting{"submit.mergeContent",
		func(c *Config) string { return c.Submit.MergeContent }, true}
	SettingMatchAuthorToCommitterDate = Setting{"submit.matchAuthorToCommitterDate",
		func(c *Config) string { return c.Submit.MatchAuthorToCommitterDate }, false}
	SettingRejectEmptyCommit = Setting{"submit.rejectEmptyCommit",
		func(c *Config) string { return c.Submit.RejectEmptyCommit }, false}
	SettingPrivateByDefault = Setting{"change.privateByDefault",
		func(c *Config) string { return c.Change.PrivateByDefault }, false}
	SettingWorkInProgressByDefault = Setting{"change.workInProgressByDefault",
		func(c *Config) string { return c.Change.WorkInProgressByDefault }, false}
)

// Configured returns what cfg itself says: BoolTrue, BoolFalse or
// BoolInherit.
func (s Setting) Configured(cfg *Config) string {
	switch v := strings.ToUpper(s.get(cfg)); v {
	case BoolTrue, BoolFalse:
		return v
	}
	return BoolInherit
}

// Effective resolves the setting along chain (the project, then its
// parents): the first TRUE or FALSE wins, else the default.
func (s Setting) Effective(chain []*Config) bool {
	for _, cfg := range chain {
		switch s.Configured(cfg) {
		case BoolTrue:
			return true
		case BoolFalse:
			return false
		}
	}
	return s.Default
}
