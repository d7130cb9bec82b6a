package restapi

import (
	"net/http"
	"strconv"
	"strings"

	"tandem/internal/account"
	"tandem/internal/fail"
	"tandem/internal/project"
)

// serveAccounts handles /accounts/...
func (a *API) serveAccounts(q *request) error {
	if len(q.segs) == 1 || q.segs[1] == "" {
		return a.queryAccounts(q)
	}
	id := q.segs[1]
	rest := q.segs[2:]
	if len(rest) == 0 && q.method() == http.MethodPut {
		return a.createAccount(q, id)
	}
	acct, err := a.resolveAccount(q, id)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		if q.method() != http.MethodGet {
			return methodNotAllowed()
		}
		return writeJSON(q, http.StatusOK, accountInfo(acct, false))
	}
	switch rest[0] {
	case "detail":
		return writeJSON(q, http.StatusOK, AccountDetailInfo{AccountInfo: accountInfo(acct, true), RegisteredOn: timestamp(acct.CreatedOn)})
	case "name":
		if q.method() != http.MethodGet {
			return a.setAccountName(q, acct)
		}
		return writeJSON(q, http.StatusOK, acct.FullName)
	case "active":
		return a.serveActive(q, acct)
	case "username":
		return writeJSON(q, http.StatusOK, acct.Username)
	case "emails":
		if err := a.requireSelfOrAdmin(q, acct); err != nil {
			return err
		}
		if len(rest) > 1 {
			return a.serveEmail(q, acct, rest[1:])
		}
		out := []EmailInfo{}
		for _, e := range acct.Emails {
			out = append(out, emailInfo(acct, e))
		}
		return writeJSON(q, http.StatusOK, out)
	case "groups":
		if err := a.requireSelfOrAdmin(q, acct); err != nil {
			return err
		}
		return a.accountGroups(q, acct)
	case "capabilities":
		if err := a.requireSelfOrAdmin(q, acct); err != nil {
			return err
		}
		return a.accountCapabilities(q)
	case "sshkeys":
		if err := a.requireSelfOrAdmin(q, acct); err != nil {
			return err
		}
		return a.serveSSHKeys(q, acct, rest[1:])
	case "preferences":
		if err := a.requireSelfOrAdmin(q, acct); err != nil {
			return err
		}
		return a.servePreferences(q, acct)
	case "watched.projects", "watched.projects:delete":
		if len(rest) > 1 {
			return notFound(q.r.URL.Path)
		}
		return a.serveWatchedProjects(q, acct, rest[0] == "watched.projects:delete")
	case "starred.changes":
		return a.serveStarredChanges(q, acct, rest[1:])
	case "password.http":
		if err := a.requireSignedIn(q); err != nil {
			return err
		}
		// Only administrators may touch another account's password.
		if q.caller.ID() != acct.ID && !a.isAdmin(q) {
			return notPermitted("administrate server")
		}
		return a.setHTTPPassword(q, acct)
	}
	return notFound(q.r.URL.Path)
}

// resolveAccount resolves {account-id}, including self/me.
func (a *API) resolveAccount(q *request, id string) (*account.Account, error) {
	if id == "self" || id == "me" {
		if q.caller.Anonymous() {
			return nil, fail.Errorf(fail.Forbidden, "Authentication required")
		}
		return q.caller.Account, nil
	}
	return a.accounts.Resolve(q.r.Context(), id)
}

func (a *API) isAdmin(q *request) bool {
	if q.caller.Anonymous() {
		return false
	}
	caps, err := a.capabilities(q)
	return err == nil && caps.Has("administrateServer")
}

func (a *API) requireSelfOrAdmin(q *request, acct *account.Account) error {
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	if q.caller.ID() == acct.ID {
		return nil
	}
	return a.requireAccountAdmin(q)
}

// requireAccountAdmin refuses callers who may not modify others' accounts
// (administrateServer or modifyAccount).
func (a *API) requireAccountAdmin(q *request) error {
	return a.requireCapability(q, project.CapModifyAccount, "modify account")
}

func (a *API) createAccount(q *request, username string) error {
	if err := a.requireCapability(q, "createAccount", "create account"); err != nil {
		return err
	}
	var in AccountInput
	if err := readJSON(q, &in); err != nil {
		return err
	}
	if in.Username != "" && in.Username != username {
		return fail.Errorf(fail.Invalid, "username must match URL")
	}
	var keys []string
	if in.SSHKey != "" {
		keys = append(keys, in.SSHKey)
	}
	name := in.Name
	if name == "" {
		name = in.Username // Gerrit's default: the username given in the body, if any
	}
	acct, err := a.accounts.Create(q.r.Context(), account.Input{
		Username:     username,
		FullName:     name,
		Email:        in.Email,
		SSHKeys:      keys,
		HTTPPassword: in.HTTPPassword,
		Groups:       in.Groups,
		By:           q.caller.ID(),
	})
	if err != nil {
		if fail.Is(err, fail.Conflict) && strings.HasPrefix(fail.Message(err, ""), "email") {
			// Gerrit answers a taken email with 422, a taken username with 409.
			return fail.Errorf(fail.Unprocessable, "%s", fail.Message(err, ""))
		}
		return err
	}
	return writeJSON(q, http.StatusCreated, accountInfo(acct, false))
}

func (a *API) queryAccounts(q *request) error {
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	query := strings.TrimSpace(q.query.Get("q"))
	if query == "" {
		query = strings.TrimSpace(q.query.Get("suggest"))
	}
	all, err := a.accounts.List(q.r.Context())
	if err != nil {
		return err
	}
	limit := 500
	if n, err := strconv.Atoi(q.query.Get("n")); err == nil && n > 0 && n < limit {
		limit = n
	}
	detailed := false
	for _, o := range q.query["o"] {
		if o == "DETAILS" || o == "ALL_EMAILS" {
			detailed = true
		}
	}
	out := []AccountInfo{}
	for _, acct := range all {
		if !accountMatches(acct, query) {
			continue
		}
		if len(out) == limit {
			out[len(out)-1].MoreAccounts = true
			break
		}
		info := AccountInfo{ID: acct.ID}
		if detailed {
			info = accountInfo(acct, false)
		}
		out = append(out, info)
	}
	return writeJSON(q, http.StatusOK, out)
}

// accountMatches implements the simple account query forms clients use:
// a bare word, name:, email:, username: and is:active.
func accountMatches(acct *account.Account, query string) bool {
	for _, term := range strings.Fields(query) {
		field, value, ok := strings.Cut(term, ":")
		if !ok {
			value, field = term, ""
		}
		value = strings.ToLower(value)
		has := func(s string) bool { return strings.Contains(strings.ToLower(s), value) }
		switch field {
		case "is":
			if value == "active" && acct.Inactive || value == "inactive" && !acct.Inactive {
				return false
			}
		case "username":
			if strings.ToLower(acct.Username) != value {
				return false
			}
		case "email":
			found := false
			for _, e := range acct.Emails {
				found = found || strings.EqualFold(e, value)
			}
			if !found {
				return false
			}
		case "name":
			if !has(acct.FullName) {
				return false
			}
		default:
			found := has(acct.Username) || has(acct.FullName)
			for _, e := range acct.Emails {
				found = found || has(e)
			}
			if !found {
				return false
			}
		}
	}
	return true
}

func (a *API) accountGroups(q *request, acct *account.Account) error {
	groups, err := a.accounts.GroupsOf(q.r.Context(), acct.ID)
	if err != nil {
		return err
	}
	all, err := a.accounts.ListGroups(q.r.Context(), true)
	if err != nil {
		return err
	}
	out := []GroupInfo{}
	for _, g := range all {
		if groups[g.UUID] {
			out = append(out, a.groupInfo(q, g))
		}
	}
	return writeJSON(q, http.StatusOK, out)
}

func (a *API) accountCapabilities(q *request) error {
	caps, err := a.capabilities(q)
	if err != nil {
		return err
	}
	out := map[string]any{}
	for _, name := range caps.Names() {
		out[name] = true
	}
	return writeJSON(q, http.StatusOK, out)
}

func (a *API) serveSSHKeys(q *request, acct *account.Account, rest []string) error {
	ctx := q.r.Context()
	if len(rest) == 0 || rest[0] == "" {
		switch q.method() {
		case http.MethodGet:
			keys, err := a.accounts.SSHKeys(ctx, acct.ID)
			if err != nil {
				return err
			}
			out := []SSHKeyInfo{}
			for _, k := range keys {
				out = append(out, sshKeyInfo(k))
			}
			return writeJSON(q, http.StatusOK, out)
		case http.MethodPost:
			text, err := readTextOrJSONString(q)
			if err != nil {
				return err
			}
			key, err := a.accounts.AddSSHKey(ctx, acct.ID, text)
			if err != nil {
				return err
			}
			return writeJSON(q, http.StatusCreated, sshKeyInfo(key))
		}
		return methodNotAllowed()
	}
	seq, err := strconv.Atoi(rest[0])
	if err != nil || len(rest) > 1 {
		return notFound(rest[0])
	}
	switch q.method() {
	case http.MethodGet:
		keys, err := a.accounts.SSHKeys(ctx, acct.ID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.Seq == seq {
				return writeJSON(q, http.StatusOK, sshKeyInfo(k))
			}
		}
		return notFound(rest[0])
	case http.MethodDelete:
		if err := a.accounts.DeleteSSHKey(ctx, acct.ID, seq); err != nil {
			return err
		}
		return noContent(q)
	}
	return methodNotAllowed()
}

func (a *API) setHTTPPassword(q *request, acct *account.Account) error {
	var pw string
	switch q.method() {
	case http.MethodPut:
		var in HTTPPasswordInput
		if err := readJSON(q, &in); err != nil {
			return err
		}
		switch {
		case in.Generate:
			pw = account.GeneratePassword()
		case in.HTTPPassword != nil:
			if !a.isAdmin(q) {
				// Gerrit lets only administrators choose a password verbatim.
				return notPermitted("administrate server")
			}
			pw = *in.HTTPPassword
		}
	case http.MethodDelete:
	default:
		return methodNotAllowed()
	}
	if err := a.accounts.SetHTTPPassword(q.r.Context(), acct.ID, pw); err != nil {
		return err
	}
	if pw == "" {
		return noContent(q)
	}
	return writeJSON(q, http.StatusOK, pw)
}

// servePreferences answers GET and PUT /accounts/{id}/preferences: the
// account's GeneralPreferencesInfo, defaults filled in; a PUT changes the
// fields it names.
func (a *API) servePreferences(q *request, acct *account.Account) error {
	var prefs account.Preferences
	var err error
	switch q.method() {
	case http.MethodGet:
		prefs, err = a.accounts.Preferences(q.r.Context(), acct.ID)
	case http.MethodPut:
		var in account.Preferences
		if err := readJSON(q, &in); err != nil {
			return err
		}
		prefs, err = a.accounts.SetPreferences(q.r.Context(), acct.ID, in)
	default:
		return methodNotAllowed()
	}
	if err != nil {
		return err
	}
	return writeJSON(q, http.StatusOK, prefs)
}

// setAccountName answers PUT and DELETE /accounts/{id}/name.
func (a *API) setAccountName(q *request, acct *account.Account) error {
	if err := a.requireSelfOrAdmin(q, acct); err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	switch q.method() {
	case http.MethodPut:
		if err := readJSON(q, &in); err != nil {
			return err
		}
	case http.MethodDelete:
	default:
		return methodNotAllowed()
	}
	name := strings.TrimSpace(in.Name)
	if err := a.accounts.Update(q.r.Context(), acct.ID, &name, nil); err != nil {
		return err
	}
	if name == "" {
		return noContent(q)
	}
	return writeJSON(q, http.StatusOK, name)
}

// serveActive answers /accounts/{id}/active: GET says "ok" for an active
// account and nothing for an inactive one; PUT activates and DELETE
// deactivates, for account administrators, never their own account.
func (a *API) serveActive(q *request, acct *account.Account) error {
	ctx := q.r.Context()
	if q.method() == http.MethodGet {
		if acct.Inactive {
			return noContent(q)
		}
		return writeJSON(q, http.StatusOK, "ok")
	}
	if err := a.requireAccountAdmin(q); err != nil {
		return err
	}
	switch q.method() {
	case http.MethodPut:
		changed, err := a.accounts.SetActive(ctx, acct.ID, true)
		if err != nil {
			return err
		}
		if changed {
			return writeJSON(q, http.StatusCreated, "ok")
		}
		return writeJSON(q, http.StatusOK, "ok")
	case http.MethodDelete:
		if acct.ID == q.caller.ID() {
			return fail.Errorf(fail.Conflict, "cannot deactivate own account")
		}
		changed, err := a.accounts.SetActive(ctx, acct.ID, false)
		if err != nil {
			return err
		}
		if !changed {
			return fail.Errorf(fail.Conflict, "account not active")
		}
		return noContent(q)
	}
	return methodNotAllowed()
}

// EmailInfo is Gerrit's EmailInfo.
type EmailInfo struct {
	Email     string `json:"email"`
	Preferred bool   `json:"preferred,omitempty"`
}

// emailInfo describes one of the account's addresses; addresses compare
// without case, as everywhere in accounts.
func emailInfo(acct *account.Account, email string) EmailInfo {
	return EmailInfo{Email: email, Preferred: strings.EqualFold(email, acct.PreferredEmail)}
}

// serveEmail answers /accounts/{id}/emails/{email}[/preferred]: adding
// an address (only account administrators, as Tandem sends no
// confirmation mail), deleting one and making one preferred.
func (a *API) serveEmail(q *request, acct *account.Account, rest []string) error {
	ctx := q.r.Context()
	email := rest[0]
	if email == "preferred" && acct.PreferredEmail != "" {
		email = acct.PreferredEmail
	}
	has := false
	for _, e := range acct.Emails {
		has = has || strings.EqualFold(e, email)
	}
	switch {
	case len(rest) == 2 && rest[1] == "preferred" && q.method() == http.MethodPut:
		if !has {
			return notFound(email)
		}
		if err := a.accounts.AddEmail(ctx, acct.ID, email, true); err != nil {
			return err
		}
		return writeJSON(q, http.StatusOK, "")
	case len(rest) > 1:
		return notFound(q.r.URL.Path)
	case q.method() == http.MethodGet:
		if !has {
			return notFound(email)
		}
		return writeJSON(q, http.StatusOK, emailInfo(acct, email))
	case q.method() == http.MethodPut:
		if err := a.requireAccountAdmin(q); err != nil {
			return err
		}
		var in struct {
			Preferred bool `json:"preferred"`
		}
		if err := readJSON(q, &in); err != nil {
			return err
		}
		if err := a.accounts.AddEmail(ctx, acct.ID, email, in.Preferred); err != nil {
			return err
		}
		return writeJSON(q, http.StatusCreated, EmailInfo{Email: email, Preferred: in.Preferred})
	case q.method() == http.MethodDelete:
		if err := a.accounts.DeleteEmail(ctx, acct.ID, email); err != nil {
			return err
		}
		return noContent(q)
	}
	return methodNotAllowed()
}
