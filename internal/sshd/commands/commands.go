// Package commands implements the commands Tandem's SSH server runs: git's
// upload-pack and receive-pack, and Gerrit's `gerrit …` administration
// commands with Gerrit's options and output formats. Each command checks
// permissions through the access package, as every other entry point does.
//
// Failures a caller may see are Gerrit's texts ("fatal: …", exit status 1);
// any other error is reported as an internal error, its cause only logged.
// A project the caller may not see is answered exactly like a missing one.
// Commands hold no state between runs and are safe for concurrent use.
package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/cache"
	"tandem/internal/change"
	"tandem/internal/change/hook"
	"tandem/internal/events"
	"tandem/internal/fail"
	"tandem/internal/git"
	"tandem/internal/logging"
	"tandem/internal/metrics"
	"tandem/internal/project"
	"tandem/internal/receive"
	"tandem/internal/sshd"
	"tandem/internal/sshd/cmdflag"
)

// Options are the dependencies of the commands.
type Options struct {
	Runner   *git.Runner
	Accounts *account.Service
	Projects *project.Service
	Access   *access.Control
	Pushes   *receive.Bridge
	Logger   *slog.Logger
	Metrics  *metrics.Registry
	Version  string // Gerrit-style version reported by `gerrit version`
	// Caches are the caches show-caches and flush-caches report on and
	// flush; nil is none.
	Caches *cache.Registry

	// Events is the log stream-events reads; nil disables the command.
	Events *events.Log
	// Changes tells stream-events who may see a change; nil shows events
	// about existing changes to nobody.
	Changes *change.Store
	// Review holds what query, review and set-reviewers need.
	Review ReviewOptions
	// LogLevels are what gerrit logging shows and sets; nil disables it.
	LogLevels *logging.Levels
}

// Commands holds the handlers.
type Commands struct {
	runner   *git.Runner
	accounts *account.Service
	projects *project.Service
	access   *access.Control
	pushes   *receive.Bridge
	log      *slog.Logger
	version  string
	ops      *metrics.Counter
	seconds  *metrics.Histogram

	events  *events.Log
	changes *change.Store
	rv      ReviewOptions
	caches  *cache.Registry
	started time.Time // for show-caches' uptime
	levels  *logging.Levels
}

// New returns the commands.
func New(o Options) *Commands {
	c := &Commands{runner: o.Runner, accounts: o.Accounts, projects: o.Projects, access: o.Access,
		pushes: o.Pushes, log: o.Logger.With("component", "sshcmd"), version: o.Version}
	c.events, c.changes = o.Events, o.Changes
	c.rv = o.Review
	c.caches, c.started = o.Caches, time.Now()
	c.levels = o.LogLevels
	if c.caches == nil {
		c.caches = cache.NewRegistry()
	}
	if o.Metrics != nil {
		c.ops = o.Metrics.NewCounter("tandem_ssh_commands_total", "SSH commands run, by command and result.", "command", "result")
		c.seconds = o.Metrics.NewHistogram("tandem_ssh_command_seconds", "Duration of SSH commands.", nil, "command")
	}
	return c
}

// Register adds every command to m.
func (c *Commands) Register(m *sshd.Mux) {
	for name, h := range c.handlers() {
		m.Handle(name, c.instrument(name, h))
	}
}

// handlers maps each command name to its handler.
func (c *Commands) handlers() map[string]sshd.HandlerFunc {
	return map[string]sshd.HandlerFunc{
		"git-upload-pack":           c.uploadPack,
		"git-receive-pack":          c.receivePack,
		"git upload-pack":           c.uploadPack,
		"git receive-pack":          c.receivePack,
		"gerrit version":            c.gerritVersion,
		"gerrit create-account":     c.createAccount,
		"gerrit create-group":       c.createGroup,
		"gerrit ls-groups":          c.lsGroups,
		"gerrit ls-members":         c.lsMembers,
		"gerrit set-members":        c.setMembers,
		"gerrit rename-group":       c.renameGroup,
		"gerrit create-project":     c.createProject,
		"gerrit ls-projects":        c.lsProjects,
		"gerrit create-branch":      c.createBranch,
		"gerrit stream-events":      c.streamEvents,
		"gerrit query":              c.query,
		"gerrit review":             c.review,
		"gerrit set-reviewers":      c.setReviewers,
		"gerrit set-project":        c.setProject,
		"gerrit set-project-parent": c.setProjectParent,
		"gerrit set-head":           c.setHead,
		"gerrit gc":                 c.gc,
		"gerrit ban-commit":         c.banCommit,
		"gerrit set-account":        c.setAccount,
		"gerrit set-topic":          c.setTopic,
		"gerrit ls-user-refs":       c.lsUserRefs,
		"gerrit apropos":            c.apropos,
		"gerrit plugin":             c.plugin,
		"gerrit flush-caches":       c.flushCaches,
		"gerrit show-caches":        c.showCaches,
		"gerrit show-connections":   c.showConnections,
		"gerrit close-connection":   c.closeConnection,
		"gerrit logging":            c.logging,
		// Legacy `scp -f hooks/commit-msg` (git review -s, scp -O).
		"scp": sshd.SCPSource(hook.File),
	}
}

// instrument counts and times a command, and makes sure an unexpected
// error reaches the client as an internal error (its text only in the log).
func (c *Commands) instrument(name string, h sshd.HandlerFunc) sshd.HandlerFunc {
	if c.ops == nil {
		return func(ctx context.Context, s *sshd.Session) error { return internal(h(ctx, s)) }
	}
	return func(ctx context.Context, s *sshd.Session) error {
		stop := c.seconds.Timer(name)
		err := internal(h(ctx, s))
		stop()
		result := "ok"
		if err != nil {
			result = "error"
		}
		c.ops.Inc(name, result)
		return err
	}
}

// ParseKey validates an SSH public key in authorized_keys form and returns
// its canonical line and SHA256 fingerprint; it is account.KeyParser.
func ParseKey(text string) (line, fingerprint string, err error) {
	pub, comment, _, rest, err := ssh.ParseAuthorizedKey([]byte(text))
	if err != nil {
		return "", "", err
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return "", "", fmt.Errorf("more than one key")
	}
	line = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	if comment != "" {
		line += " " + comment
	}
	return line, ssh.FingerprintSHA256(pub), nil
}

// Authenticate checks a public key for user; it is sshd.Options.Authenticate.
func (c *Commands) Authenticate(ctx context.Context, user string, key ssh.PublicKey) (sshd.Identity, error) {
	acct, err := c.accounts.ByKey(ctx, user, ssh.FingerprintSHA256(key))
	if err != nil {
		return sshd.Identity{}, err
	}
	return sshd.Identity{AccountID: acct.ID, Username: acct.Username}, nil
}

// caller is the account behind a session, with its groups.
type caller struct {
	account *account.Account
	groups  map[string]bool
}

func (cl *caller) subject() access.Subject {
	return access.Subject{AccountID: cl.account.ID, Username: cl.account.Username, Groups: cl.groups}
}

// author names the caller in the commits its commands write.
func (cl *caller) author() project.Ident {
	return project.Ident{Name: cl.account.DisplayName(), Email: cl.account.PreferredEmail}
}

func (c *Commands) caller(ctx context.Context, s *sshd.Session) (*caller, error) {
	acct, err := c.accounts.Get(ctx, s.Identity.AccountID)
	if err != nil {
		return nil, err
	}
	groups, err := c.accounts.GroupsOf(ctx, acct.ID)
	if err != nil {
		return nil, err
	}
	return &caller{account: acct, groups: groups}, nil
}

// requireCapability refuses a caller who holds none of the capabilities
// names (as Gerrit's commands that take any of several); what names the
// action in the refusal.
func (c *Commands) requireCapability(ctx context.Context, cl *caller, what string, names ...string) error {
	caps, err := c.access.Capabilities(ctx, cl.subject())
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(names, caps.Has) {
		// Gerrit's permission text, with the "fatal: " every other
		// failure carries.
		return die("not permitted: %s", what)
	}
	return nil
}

// die ends a command with a message the caller may see, as Gerrit's
// commands do: "fatal: …" on stderr and exit status 1.
func die(format string, args ...any) error {
	return &sshd.ExitError{Code: 1, Msg: "fatal: " + fmt.Sprintf(format, args...)}
}

// userError turns a domain error into its caller-safe SSH text; internal
// errors pass through to be reported (and logged) as such.
func userError(err error) error {
	if err == nil || fail.KindOf(err) == fail.Internal {
		return err
	}
	return die("%s", fail.Message(err, "internal server error"))
}

// internal marks an error that carries no caller-safe text as internal, so
// that the client sees "internal server error" and only the log has the
// cause (a database error, say). Command-line mistakes, exit errors, domain
// errors and a client that went away pass unchanged.
func internal(err error) error {
	var (
		ee *sshd.ExitError
		ce *cmdflag.Error
		fe *fail.Error
	)
	if err == nil || errors.As(err, &ee) || errors.As(err, &ce) || errors.As(err, &fe) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &fail.Error{Kind: fail.Internal, Err: err}
}

// Index versions reported by `gerrit version --verbose`, the same figures
// as the REST version endpoint reports for Gerrit 3.9.
const (
	noteDbVersion       = 185
	changeIndexVersion  = 84
	accountIndexVersion = 13
	projectIndexVersion = 8
	groupIndexVersion   = 10
)

func (c *Commands) gerritVersion(ctx context.Context, s *sshd.Session) error {
	var verbose, asJSON bool
	fs := cmdflag.New("gerrit version")
	fs.Bool(&verbose, "--verbose|-v", "verbose version info")
	fs.Bool(&asJSON, "--json", "json output format, assumes verbose output")
	fs.Args("", 0, 0)
	if _, err := fs.Parse(s.Args); err != nil {
		return err
	}
	var out string
	switch {
	case asJSON:
		b, err := json.Marshal(struct {
			GerritVersion       string `json:"gerrit_version"`
			NoteDbVersion       int    `json:"note_db_version"`
			ChangeIndexVersion  int    `json:"change_index_version"`
			AccountIndexVersion int    `json:"account_index_version"`
			ProjectIndexVersion int    `json:"project_index_version"`
			GroupIndexVersion   int    `json:"group_index_version"`
		}{c.version, noteDbVersion, changeIndexVersion, accountIndexVersion, projectIndexVersion, groupIndexVersion})
		if err != nil {
			return err
		}
		out = string(b) + "\n"
	case verbose:
		out = fmt.Sprintf("gerrit version %s\nNoteDb version %d\nindex versions\n  %3d changes\n  %3d accounts\n  %3d projects\n  %3d groups\n",
			c.version, noteDbVersion, changeIndexVersion, accountIndexVersion, projectIndexVersion, groupIndexVersion)
	default:
		out = fmt.Sprintf("gerrit version %s\n", c.version)
	}
	_, err := io.WriteString(s.Stdout, out)
	return err
}
