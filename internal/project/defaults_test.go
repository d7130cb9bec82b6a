package project

import (
	"reflect"
	"strings"
	"testing"
)

func TestDefaultAllProjects(t *testing.T) {
	admins := GroupRef{UUID: "a1", Name: "Administrators"}
	service := GroupRef{UUID: "s1", Name: "Service Users"}
	blocked := GroupRef{UUID: "b1", Name: "Blocked Users"}
	c := DefaultAllProjects(admins, service, blocked)
	pc, groups := c.Files()
	for _, line := range []string{
		"[capability]\n\tadministrateServer = group Administrators\n\tpriority = batch group Service Users\n\tstreamEvents = group Service Users\n",
		"[access \"refs/*\"]\n\tread = group Administrators\n\tread = block group Blocked Users\n\tpostReviewComment = group Registered Users\n",
		"\tread = group Anonymous Users\n\tlabel-Code-Review = -1..+1 group Registered Users\n",
		"\teditTopicName = +force group Project Owners\n",
		"[access \"refs/for/*\"]\n\tpush = group Registered Users\n\taddPatchSet = group Registered Users\n\tpushMerge = group Registered Users\n",
		"[access \"refs/meta/config\"]\n\texclusiveGroupPermissions = read\n\tread = group Administrators\n\tread = group Project Owners\n",
		"[access \"refs/meta/version\"]\n\tread = group Anonymous Users\n",
		"[receive]\n\trequireChangeId = true\n",
		"[submit]\n\tmergeContent = true\n",
		"\tvalue = -2 This shall not be submitted\n",
		"[submit-requirement \"No-Unresolved-Comments\"]\n\tdescription = Changes with unresolved comments cannot be submitted.\n\tapplicableIf = has:unresolved\n\tsubmittableIf = -has:unresolved\n",
	} {
		if !strings.Contains(string(pc), line) {
			t.Errorf("project.config lacks %q", line)
		}
	}
	for _, g := range []GroupRef{admins, service, blocked, AnonymousUsers, RegisteredUsers, ProjectOwners} {
		if !strings.Contains(string(groups), g.UUID) {
			t.Errorf("groups lacks %+v:\n%s", g, groups)
		}
	}
	if t.Failed() {
		t.Logf("project.config:\n%s", pc)
	}
}

func TestDefaultsWithoutOptionalGroups(t *testing.T) {
	c := DefaultAllProjects(GroupRef{UUID: "a1", Name: "Administrators"}, GroupRef{}, GroupRef{})
	pc, groups := c.Files()
	if strings.Contains(string(pc), "block") || strings.Contains(string(pc), "priority") {
		t.Fatalf("zero groups got grants:\n%s", pc)
	}
	if strings.Count(string(groups), "\n") != 2+4 {
		t.Fatalf("groups =\n%s", groups)
	}
	u := DefaultAllUsers(GroupRef{}, RegisteredUsers)
	if u.AccessSection("refs/users/default") != nil {
		t.Fatalf("All-Users without administrators has refs/users/default")
	}
}

func TestDefaultAllUsers(t *testing.T) {
	c := DefaultAllUsers(GroupRef{UUID: "a1", Name: "Administrators"}, RegisteredUsers)
	sec := c.AccessSection("refs/users/${shardeduserid}")
	if sec == nil {
		t.Fatalf("no refs/users/${shardeduserid} section")
	}
	var names []string
	for _, p := range sec.Permissions {
		if !p.Exclusive {
			t.Errorf("%s is not exclusive", p.Name)
		}
		names = append(names, p.Name)
	}
	if want := []string{"read", "push", "submit", "label-Code-Review"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("permissions = %q, want %q", names, want)
	}
	if c.Description != "Individual user settings and preferences." || len(c.Labels) != 1 {
		t.Fatalf("All-Users = %+v", c)
	}
}

func TestNewChild(t *testing.T) {
	owners := []GroupRef{{UUID: "d1", Name: "Devs"}, {UUID: "l1", Name: "Leads"}}
	c := NewChild("Platform", "tools", owners)
	want := []AccessSection{{Pattern: "refs/*", Permissions: []Permission{{Name: "owner", Rules: []Rule{{Group: owners[0]}, {Group: owners[1]}}}}}}
	if !reflect.DeepEqual(c.Access, want) || !reflect.DeepEqual(c.Groups, owners) {
		t.Fatalf("NewChild access = %+v groups = %+v", c.Access, c.Groups)
	}
	if c.InheritFrom != "Platform" || c.Description != "tools" || c.StateOrDefault() != StateActive {
		t.Fatalf("NewChild = %+v", c)
	}
	if empty := NewChild(AllProjects, "", nil); empty.Access != nil || empty.Groups != nil {
		t.Fatalf("NewChild without owners = %+v", empty)
	}
}
