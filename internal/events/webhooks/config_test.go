package webhooks_test

import (
	"reflect"
	"testing"
	"time"

	"tandem/internal/events/webhooks"
	"tandem/internal/gitconfig"
)

func parse(t testing.TB, text string) *gitconfig.Config {
	t.Helper()
	c, err := gitconfig.Parse([]byte(text))
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	return c
}

func TestParseRemotes(t *testing.T) {
	def := webhooks.PluginDefaults
	tests := []struct {
		desc    string
		text    string
		want    []webhooks.Remote
		wantErr bool
	}{{
		desc: "plugin documentation example",
		text: "[remote \"foo\"]\n  url = https://foo.org/gerrit-events\n  maxTries = 3\n  sslVerify = true\n\n" +
			"[remote \"bar\"]\n  url = https://bar.org/\n  event = patchset-created\n  event = ref-updated\n",
		want: []webhooks.Remote{
			{Name: "foo", URL: "https://foo.org/gerrit-events", Settings: webhooks.Settings{
				ConnectionTimeout: 5 * time.Second, SocketTimeout: 5 * time.Second, MaxTries: 3, RetryInterval: time.Second, SSLVerify: true}},
			{Name: "bar", URL: "https://bar.org/", Events: []string{"patchset-created", "ref-updated"}, Settings: def},
		},
	}, {
		desc: "timeouts in milliseconds, maxTries 0 kept",
		text: "[remote \"x\"]\nurl = http://x/\nconnectionTimeout = 250\nsocketTimeout = 1500\nretryInterval = 20\nmaxTries = 0\n",
		want: []webhooks.Remote{{Name: "x", URL: "http://x/", Settings: webhooks.Settings{
			ConnectionTimeout: 250 * time.Millisecond, SocketTimeout: 1500 * time.Millisecond, RetryInterval: 20 * time.Millisecond}}},
	}, {
		desc: "remote without url skipped; other sections ignored",
		text: "[remote \"nourl\"]\nevent = ref-updated\n[plugin \"webhooks\"]\nmaxTries = 9\n",
	}, {
		desc:    "bad number falls back to the default and is reported",
		text:    "[remote \"x\"]\nurl = http://x/\nmaxTries = many\n",
		want:    []webhooks.Remote{{Name: "x", URL: "http://x/", Settings: def}},
		wantErr: true,
	}}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := webhooks.ParseRemotes(parse(t, tc.text), def)
			if (err != nil) != tc.wantErr {
				t.Errorf("error = %v, want error %v", err, tc.wantErr)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("remotes:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestRemoteWants(t *testing.T) {
	all := webhooks.Remote{}
	some := webhooks.Remote{Events: []string{"ref-updated"}}
	if !all.Wants("comment-added") || !some.Wants("ref-updated") || some.Wants("comment-added") {
		t.Error("Wants: no events means all; listed events mean only those")
	}
}

// TestInherit checks Gerrit's merge of an inherited plugin file: per
// section, subsection and key, the child's values replace the parent's;
// keys the child lacks come from the parent.
func TestInherit(t *testing.T) {
	tests := []struct {
		desc          string
		parent, child string
		want          map[string][]string // "remote.NAME.key" -> values
	}{{
		desc:   "parent remote applies to child",
		parent: "[remote \"ci\"]\nurl = http://ci/\nevent = ref-updated\n",
		want:   map[string][]string{"ci.url": {"http://ci/"}, "ci.event": {"ref-updated"}},
	}, {
		desc:   "child overrides a key, keeps the parent's others",
		parent: "[remote \"ci\"]\nurl = http://ci/\nevent = ref-updated\nevent = change-merged\nmaxTries = 3\n",
		child:  "[remote \"ci\"]\nevent = patchset-created\n",
		want: map[string][]string{"ci.url": {"http://ci/"}, "ci.event": {"patchset-created"},
			"ci.maxtries": {"3"}},
	}, {
		desc:   "both sets of remotes",
		parent: "[remote \"a\"]\nurl = http://a/\n",
		child:  "[remote \"b\"]\nurl = http://b/\nsslVerify\n",
		want:   map[string][]string{"a.url": {"http://a/"}, "b.url": {"http://b/"}, "b.sslverify": {""}},
	}}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got := webhooks.Inherit(parse(t, tc.child), parse(t, tc.parent))
			have := map[string][]string{}
			for _, e := range got.Entries() {
				k := e.Subsection + "." + e.Key
				have[k] = append(have[k], e.Value)
			}
			if !reflect.DeepEqual(have, tc.want) {
				t.Errorf("merged entries:\n got %v\nwant %v", have, tc.want)
			}
		})
	}
}
