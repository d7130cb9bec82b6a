package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"tandem/internal/db"
	"tandem/internal/fail"
)

// Preferences are an account's general preferences, Gerrit's
// GeneralPreferencesInfo, stored and served with its JSON names. A nil
// field is one the account never set; Effective fills in the defaults.
// Tandem itself acts on WorkInProgressByDefault and PublishCommentsOnPush
// (pushes for review); the rest are kept for the clients that show them.
type Preferences struct {
	ChangesPerPage            *int       `json:"changes_per_page,omitempty"`
	Theme                     *string    `json:"theme,omitempty"`
	ExpandInlineDiffs         *bool      `json:"expand_inline_diffs,omitempty"`
	DownloadScheme            *string    `json:"download_scheme,omitempty"`
	DateFormat                *string    `json:"date_format,omitempty"`
	TimeFormat                *string    `json:"time_format,omitempty"`
	RelativeDateInChangeTable *bool      `json:"relative_date_in_change_table,omitempty"`
	DiffView                  *string    `json:"diff_view,omitempty"`
	SizeBarInChangeTable      *bool      `json:"size_bar_in_change_table,omitempty"`
	LegacycidInChangeTable    *bool      `json:"legacycid_in_change_table,omitempty"`
	MuteCommonPathPrefixes    *bool      `json:"mute_common_path_prefixes,omitempty"`
	SignedOffBy               *bool      `json:"signed_off_by,omitempty"`
	EmailStrategy             *string    `json:"email_strategy,omitempty"`
	EmailFormat               *string    `json:"email_format,omitempty"`
	DefaultBaseForMerges      *string    `json:"default_base_for_merges,omitempty"`
	PublishCommentsOnPush     *bool      `json:"publish_comments_on_push,omitempty"`
	DisableKeyboardShortcuts  *bool      `json:"disable_keyboard_shortcuts,omitempty"`
	DisableTokenHighlighting  *bool      `json:"disable_token_highlighting,omitempty"`
	WorkInProgressByDefault   *bool      `json:"work_in_progress_by_default,omitempty"`
	AllowBrowserNotifications *bool      `json:"allow_browser_notifications,omitempty"`
	My                        []MenuItem `json:"my"` // nil: not set; empty: no menu
	ChangeTable               []string   `json:"change_table"`
}

// MenuItem is an entry of the "My" menu.
type MenuItem struct {
	Name   string `json:"name"`
	URL    string `json:"url"`
	Target string `json:"target,omitempty"`
	ID     string `json:"id,omitempty"`
}

// The values Gerrit accepts for the enumerated preferences.
var preferenceValues = map[string][]string{
	"theme":                   {"AUTO", "DARK", "LIGHT"},
	"date_format":             {"STD", "US", "ISO", "EURO", "UK"},
	"time_format":             {"HHMM_12", "HHMM_24"},
	"diff_view":               {"SIDE_BY_SIDE", "UNIFIED_DIFF"},
	"email_strategy":          {"ENABLED", "CC_ON_OWN_COMMENTS", "ATTENTION_SET_ONLY", "DISABLED"},
	"email_format":            {"PLAINTEXT", "HTML_PLAINTEXT"},
	"default_base_for_merges": {"AUTO_MERGE", "FIRST_PARENT"},
}

func ptr[T any](v T) *T { return &v }

// DefaultPreferences are Gerrit's defaults.
func DefaultPreferences() Preferences {
	return Preferences{
		ChangesPerPage: ptr(25), Theme: ptr("AUTO"), DateFormat: ptr("STD"), TimeFormat: ptr("HHMM_12"),
		DiffView: ptr("SIDE_BY_SIDE"), SizeBarInChangeTable: ptr(true), MuteCommonPathPrefixes: ptr(true),
		EmailStrategy: ptr("ENABLED"), EmailFormat: ptr("HTML_PLAINTEXT"), DefaultBaseForMerges: ptr("FIRST_PARENT"),
		AllowBrowserNotifications: ptr(true),
		My: []MenuItem{
			{Name: "Changes", URL: "#/dashboard/self"},
			{Name: "Draft Comments", URL: "#/q/has:draft"},
			{Name: "Edits", URL: "#/q/has:edit"},
			{Name: "Watched Changes", URL: "#/q/is:watched+is:open"},
			{Name: "Starred Changes", URL: "#/q/is:starred"},
			{Name: "Groups", URL: "#/settings/#Groups"},
		},
		ChangeTable: []string{},
	}
}

// overlay returns p with the fields set in over replaced.
func (p Preferences) overlay(over Preferences) Preferences {
	var out Preferences // a deep copy: p's pointers stay untouched
	base, _ := json.Marshal(p)
	json.Unmarshal(base, &out)
	set, _ := json.Marshal(over)
	json.Unmarshal(set, &out)
	out.My, out.ChangeTable = slices.Clone(p.My), slices.Clone(p.ChangeTable)
	if over.My != nil {
		out.My = slices.Clone(over.My)
	}
	if over.ChangeTable != nil {
		out.ChangeTable = slices.Clone(over.ChangeTable)
	}
	return out
}

// check validates the fields set in p.
func (p Preferences) check() error {
	if p.ChangesPerPage != nil && *p.ChangesPerPage <= 0 {
		return fail.Errorf(fail.Invalid, "changes_per_page must be positive")
	}
	var m map[string]any
	data, _ := json.Marshal(p)
	json.Unmarshal(data, &m)
	for key, allowed := range preferenceValues {
		if v, ok := m[key].(string); ok && !slices.Contains(allowed, v) {
			return fail.Errorf(fail.Invalid, "invalid value %q for %s", v, key)
		}
	}
	return nil
}

// storedPreferences reads what the account set itself.
func (s *Service) storedPreferences(ctx context.Context, q db.Querier, id int64) (Preferences, error) {
	var text string
	err := q.QueryRow(ctx, `SELECT general FROM account_preferences WHERE account_id = $1`, id).Scan(&text)
	if errors.Is(err, db.ErrNotFound) {
		return Preferences{}, nil
	}
	if err != nil {
		return Preferences{}, err
	}
	var p Preferences
	if err := json.Unmarshal([]byte(text), &p); err != nil {
		return Preferences{}, fmt.Errorf("preferences of account %d: %w", id, err)
	}
	return p, nil
}

// Preferences returns an account's preferences, defaults filled in.
func (s *Service) Preferences(ctx context.Context, id int64) (Preferences, error) {
	own, err := s.storedPreferences(ctx, s.db, id)
	if err != nil {
		return Preferences{}, err
	}
	return DefaultPreferences().overlay(own), nil
}

// SetPreferences stores the fields set in p over the account's earlier
// ones and returns the result, defaults filled in.
func (s *Service) SetPreferences(ctx context.Context, id int64, p Preferences) (Preferences, error) {
	if err := p.check(); err != nil {
		return Preferences{}, err
	}
	var merged Preferences
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		own, err := s.storedPreferences(ctx, tx, id)
		if err != nil {
			return err
		}
		merged = own.overlay(p)
		data, err := json.Marshal(merged)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM account_preferences WHERE account_id = $1`, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO account_preferences (account_id, general) VALUES ($1, $2)`, id, string(data))
		return err
	})
	if err != nil {
		return Preferences{}, err
	}
	return DefaultPreferences().overlay(merged), nil
}
