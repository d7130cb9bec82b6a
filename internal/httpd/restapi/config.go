package restapi

import (
	"net/http"
	"strings"
	"unicode"

	"tandem/internal/project"
)

func (a *API) serveConfig(q *request) error {
	if len(q.segs) < 3 || q.segs[1] != "server" {
		return notFound(q.r.URL.Path)
	}
	if q.segs[2] == "caches" {
		return a.serveCaches(q)
	}
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	switch q.segs[2] {
	case "version":
		if _, verbose := q.query["verbose"]; verbose {
			return writeJSON(q, http.StatusOK, map[string]any{
				"gerrit_version":        a.info.Version,
				"tandem_version":        a.info.TandemVersion,
				"note_db_version":       185,
				"change_index_version":  84,
				"account_index_version": 13,
				"project_index_version": 8,
				"group_index_version":   10,
			})
		}
		return writeJSON(q, http.StatusOK, a.info.Version)
	case "info":
		return writeJSON(q, http.StatusOK, a.serverInfo())
	case "capabilities":
		return writeJSON(q, http.StatusOK, capabilityInfos())
	case "top-menus":
		// Menus come from plugins, and Tandem has none.
		return writeJSON(q, http.StatusOK, []any{})
	case "healthcheck~status":
		checks, ok := map[string]any{}, true
		if a.health != nil {
			checks, ok = a.health(q.r)
		}
		status := http.StatusOK
		if !ok {
			status = http.StatusServiceUnavailable
		}
		return writeJSON(q, status, checks)
	}
	return notFound(q.r.URL.Path)
}

func (a *API) serverInfo() map[string]any {
	web := a.info.CanonicalWebURL
	schemes := map[string]any{
		"http": map[string]any{
			"url":               strings.Replace(web, "://", "://${username}@", 1) + "a/${project}",
			"is_auth_required":  true,
			"is_auth_supported": true,
			"commands":          map[string]string{},
			"clone_commands":    map[string]string{},
		},
		"anonymous http": map[string]any{
			"url":            web + "${project}",
			"commands":       map[string]string{},
			"clone_commands": map[string]string{},
		},
	}
	sshd := map[string]any{}
	if a.info.SSHAddress != "" {
		host, port := splitHostPort(a.info.SSHAddress)
		schemes["ssh"] = map[string]any{
			"url":               "ssh://${username}@" + host + ":" + port + "/${project}",
			"is_auth_required":  true,
			"is_auth_supported": true,
			"commands":          map[string]string{},
			"clone_commands":    map[string]string{},
		}
	} else {
		sshd = nil
	}
	info := map[string]any{
		"accounts": map[string]any{"visibility": "ALL", "default_display_name": "FULL_NAME"},
		"auth": map[string]any{
			"auth_type":               a.info.AuthType,
			"editable_account_fields": []string{"FULL_NAME", "REGISTER_NEW_EMAIL"},
			"git_basic_auth_policy":   "HTTP",
		},
		"change": map[string]any{
			"allow_blame":                       true,
			"update_delay":                      300,
			"mergeability_computation_behavior": "API_REF_UPDATED_AND_CHANGE_REINDEX",
			"enable_robot_comments":             false,
		},
		"download": map[string]any{"schemes": schemes, "archives": append([]string{}, a.info.Archives...)},
		"gerrit": map[string]any{
			"all_projects":         project.AllProjects,
			"all_users":            project.AllUsers,
			"doc_search":           false,
			"instance_id":          a.info.ServerID,
			"primary_weblink_name": "",
		},
		"suggest":                              map[string]any{"from": 0},
		"user":                                 map[string]any{"anonymous_coward_name": "Name of user not set"},
		"receive":                              map[string]any{"enable_signed_push": false},
		"submit_requirement_dashboard_columns": []string{},
	}
	if sshd != nil {
		info["sshd"] = sshd
	}
	return info
}

// CapabilityInfo is Gerrit's CapabilityInfo.
type CapabilityInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// capabilityNames are the display names of Gerrit's core capabilities
// that are not their ids in words (runGC), or not only that.
var capabilityNames = map[string]string{
	project.CapRunGC: "Run Garbage Collection",
}

// capabilityInfos lists the global capabilities by id, as GET
// /config/server/capabilities does: "createProject" is "Create Project".
func capabilityInfos() map[string]CapabilityInfo {
	out := map[string]CapabilityInfo{}
	for _, id := range project.Capabilities() {
		name, ok := capabilityNames[id]
		if !ok {
			var b strings.Builder
			for i, r := range id {
				switch {
				case i == 0:
					r = unicode.ToUpper(r)
				case unicode.IsUpper(r):
					b.WriteByte(' ')
				}
				b.WriteRune(r)
			}
			name = b.String()
		}
		out[id] = CapabilityInfo{ID: id, Name: name}
	}
	return out
}

// servePlugins is /plugins/: Tandem has no plugins, so the list, for
// those who may see it, is empty and every plugin is unknown.
func (a *API) servePlugins(q *request) error {
	if len(q.segs) > 1 && q.segs[1] != "" {
		return notFound(q.segs[1])
	}
	if q.method() != http.MethodGet {
		return methodNotAllowed()
	}
	if err := a.requireSignedIn(q); err != nil {
		return err
	}
	caps, err := a.capabilities(q)
	if err != nil {
		return err
	}
	if !caps.Has(project.CapViewPlugins) && !caps.Has(project.CapMaintainServer) {
		return notPermitted("view plugin list")
	}
	return writeJSON(q, http.StatusOK, map[string]any{})
}
