package restapi

import (
	"net/url"
	"strings"
	"time"

	"tandem/internal/account"
)

// timestamp renders Gerrit's "yyyy-mm-dd hh:mm:ss.fffffffff" UTC form.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.000000000")
}

// AccountInfo is Gerrit's AccountInfo.
type AccountInfo struct {
	ID              int64    `json:"_account_id"`
	Name            string   `json:"name,omitempty"`
	DisplayName     string   `json:"display_name,omitempty"`
	Email           string   `json:"email,omitempty"`
	SecondaryEmails []string `json:"secondary_emails,omitempty"`
	Username        string   `json:"username,omitempty"`
	Inactive        bool     `json:"inactive,omitempty"`
	Tags            []string `json:"tags,omitempty"`
	MoreAccounts    bool     `json:"_more_accounts,omitempty"`
}

// AccountDetailInfo adds the registration time.
type AccountDetailInfo struct {
	AccountInfo
	RegisteredOn string `json:"registered_on"`
}

func accountInfo(a *account.Account, secondary bool) AccountInfo {
	info := AccountInfo{ID: a.ID, Name: a.FullName, Email: a.PreferredEmail, Username: a.Username, Inactive: a.Inactive}
	if secondary {
		for _, e := range a.Emails {
			if e != a.PreferredEmail {
				info.SecondaryEmails = append(info.SecondaryEmails, e)
			}
		}
	}
	return info
}

// AccountInput is Gerrit's AccountInput.
type AccountInput struct {
	Username     string   `json:"username" rest:"default"`
	Name         string   `json:"name"`
	DisplayName  string   `json:"display_name"`
	Email        string   `json:"email"`
	SSHKey       string   `json:"ssh_key"`
	HTTPPassword string   `json:"http_password"`
	Groups       []string `json:"groups"`
}

// SSHKeyInfo is Gerrit's SshKeyInfo.
type SSHKeyInfo struct {
	Seq          int    `json:"seq"`
	SSHPublicKey string `json:"ssh_public_key"`
	EncodedKey   string `json:"encoded_key"`
	Algorithm    string `json:"algorithm"`
	Comment      string `json:"comment,omitempty"`
	Valid        bool   `json:"valid"`
}

func sshKeyInfo(k account.SSHKey) SSHKeyInfo {
	return SSHKeyInfo{Seq: k.Seq, SSHPublicKey: k.Line, EncodedKey: k.EncodedKey(), Algorithm: k.Algorithm(), Comment: k.Comment(), Valid: true}
}

// HTTPPasswordInput is Gerrit's HttpPasswordInput.
type HTTPPasswordInput struct {
	Generate     bool    `json:"generate"`
	HTTPPassword *string `json:"http_password"`
}

// GroupInfo is Gerrit's GroupInfo.
type GroupInfo struct {
	ID          string        `json:"id"`
	Name        string        `json:"name,omitempty"`
	URL         string        `json:"url,omitempty"`
	Options     GroupOptions  `json:"options"`
	Description string        `json:"description,omitempty"`
	GroupID     int64         `json:"group_id,omitempty"`
	Owner       string        `json:"owner,omitempty"`
	OwnerID     string        `json:"owner_id,omitempty"`
	CreatedOn   string        `json:"created_on,omitempty"`
	Members     []AccountInfo `json:"members,omitempty"`
	Includes    []GroupInfo   `json:"includes,omitempty"`
	MoreGroups  bool          `json:"_more_groups,omitempty"`
}

// GroupOptions is Gerrit's GroupOptionsInfo.
type GroupOptions struct {
	VisibleToAll bool `json:"visible_to_all,omitempty"`
}

// GroupInput is Gerrit's GroupInput.
type GroupInput struct {
	Name         string   `json:"name" rest:"default"`
	UUID         string   `json:"uuid"`
	Description  string   `json:"description"`
	VisibleToAll bool     `json:"visible_to_all"`
	OwnerID      string   `json:"owner_id"`
	Members      []string `json:"members"`
}

// MembersInput is Gerrit's MembersInput.
type MembersInput struct {
	OneMember string   `json:"_one_member" rest:"default"`
	Members   []string `json:"members"`
}

// ProjectInfo is Gerrit's ProjectInfo.
type ProjectInfo struct {
	ID           string                   `json:"id"`
	Name         string                   `json:"name,omitempty"`
	Parent       string                   `json:"parent,omitempty"`
	Description  string                   `json:"description,omitempty"`
	State        string                   `json:"state,omitempty"`
	Branches     map[string]string        `json:"branches,omitempty"`
	Labels       map[string]LabelTypeInfo `json:"labels,omitempty"`
	MoreProjects bool                     `json:"_more_projects,omitempty"`
}

// ConfigInfo is Gerrit's ConfigInfo: a project's settings, each with its
// own value and the one in effect.
type ConfigInfo struct {
	Description                      string                 `json:"description,omitempty"`
	UseContributorAgreements         InheritedBooleanInfo   `json:"use_contributor_agreements"`
	UseContentMerge                  InheritedBooleanInfo   `json:"use_content_merge"`
	UseSignedOffBy                   InheritedBooleanInfo   `json:"use_signed_off_by"`
	CreateNewChangeForAllNotInTarget InheritedBooleanInfo   `json:"create_new_change_for_all_not_in_target"`
	RequireChangeID                  InheritedBooleanInfo   `json:"require_change_id"`
	EnableSignedPush                 InheritedBooleanInfo   `json:"enable_signed_push"`
	RequireSignedPush                InheritedBooleanInfo   `json:"require_signed_push"`
	RejectImplicitMerges             InheritedBooleanInfo   `json:"reject_implicit_merges"`
	PrivateByDefault                 InheritedBooleanInfo   `json:"private_by_default"`
	WorkInProgressByDefault          InheritedBooleanInfo   `json:"work_in_progress_by_default"`
	MatchAuthorToCommitterDate       InheritedBooleanInfo   `json:"match_author_to_committer_date"`
	RejectEmptyCommit                InheritedBooleanInfo   `json:"reject_empty_commit"`
	MaxObjectSizeLimit               MaxObjectSizeLimitInfo `json:"max_object_size_limit"`
	DefaultSubmitType                SubmitTypeInfo         `json:"default_submit_type"`
	SubmitType                       string                 `json:"submit_type"`
	State                            string                 `json:"state,omitempty"`
	CommentLinks                     map[string]any         `json:"commentlinks"`
}

// InheritedBooleanInfo is Gerrit's InheritedBooleanInfo; InheritedValue
// is absent for the root project, which inherits nothing.
type InheritedBooleanInfo struct {
	Value           bool   `json:"value"`
	ConfiguredValue string `json:"configured_value"`
	InheritedValue  *bool  `json:"inherited_value,omitempty"`
}

// MaxObjectSizeLimitInfo is Gerrit's MaxObjectSizeLimitInfo.
type MaxObjectSizeLimitInfo struct {
	Value           string `json:"value,omitempty"`
	ConfiguredValue string `json:"configured_value,omitempty"`
	Summary         string `json:"summary,omitempty"`
}

// SubmitTypeInfo is Gerrit's SubmitTypeInfo.
type SubmitTypeInfo struct {
	Value           string `json:"value"`
	ConfiguredValue string `json:"configured_value"`
	InheritedValue  string `json:"inherited_value,omitempty"`
}

// LabelTypeInfo is Gerrit's LabelTypeInfo.
type LabelTypeInfo struct {
	Values       map[string]string `json:"values"`
	DefaultValue int               `json:"default_value"`
}

// ProjectInput is Gerrit's ProjectInput.
type ProjectInput struct {
	Name              string   `json:"name" rest:"default"`
	Parent            string   `json:"parent"`
	Description       string   `json:"description"`
	PermissionsOnly   bool     `json:"permissions_only"`
	CreateEmptyCommit bool     `json:"create_empty_commit"`
	SubmitType        string   `json:"submit_type"`
	Branches          []string `json:"branches"`
	Owners            []string `json:"owners"`
	RequireChangeID   string   `json:"require_change_id"`
}

// BranchInfo is Gerrit's BranchInfo.
type BranchInfo struct {
	Ref       string `json:"ref"`
	Revision  string `json:"revision"`
	CanDelete bool   `json:"can_delete,omitempty"`
}

// BranchInput is Gerrit's BranchInput.
type BranchInput struct {
	Ref      string `json:"ref"`
	Revision string `json:"revision" rest:"default"`
}

// HeadInput is Gerrit's HeadInput.
type HeadInput struct {
	Ref string `json:"ref" rest:"default"`
}

// escapeID encodes an id the way Gerrit does (Java's URLEncoder): "a/b" is
// "a%2Fb", "global:Anonymous-Users" is "global%3AAnonymous-Users" and a
// space is "+". unescapeID is its inverse, applied to every path segment.
func escapeID(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "%2A", "*") }

func unescapeID(s string) (string, error) { return url.QueryUnescape(s) }
