// Package commands implements the commands Tandem's SSH server runs: git's
// upload-pack and receive-pack, and Gerrit's `gerrit …` administration
// commands with Gerrit's options and output formats. Each command checks
// permissions through the access package, as every other entry point does.
package commands

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"golang.org/x/crypto/ssh"

	"tandem/internal/access"
	"tandem/internal/account"
	"tandem/internal/fail"
	"tandem/internal/git"
	"tandem/internal/metrics"
	"tandem/internal/project"
	"tandem/internal/receive"
	"tandem/internal/sshd"
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
}

// New returns the commands.
func New(o Options) *Commands {
	c := &Commands{runner: o.Runner, accounts: o.Accounts, projects: o.Projects, access: o.Access,
		pushes: o.Pushes, log: o.Logger.With("component", "sshcmd"), version: o.Version}
	if o.Metrics != nil {
		c.ops = o.Metrics.NewCounter("tandem_ssh_commands_total", "SSH commands run, by command and result.", "command", "result")
		c.seconds = o.Metrics.NewHistogram("tandem_ssh_command_seconds", "Duration of SSH commands.", nil, "command")
	}
	return c
}

// Register adds every command to m.
func (c *Commands) Register(m *sshd.Mux) {
	for name, h := range map[string]sshd.HandlerFunc{
		"git-upload-pack":       c.uploadPack,
		"git-receive-pack":      c.receivePack,
		"gerrit version":        c.gerritVersion,
		"gerrit create-account": c.createAccount,
		"gerrit create-group":   c.createGroup,
		"gerrit ls-groups":      c.lsGroups,
		"gerrit ls-members":     c.lsMembers,
		"gerrit set-members":    c.setMembers,
		"gerrit create-project": c.createProject,
		"gerrit ls-projects":    c.lsProjects,
		"gerrit create-branch":  c.createBranch,
	} {
		m.Handle(name, c.instrument(name, h))
	}
}

func (c *Commands) instrument(name string, h sshd.HandlerFunc) sshd.HandlerFunc {
	if c.ops == nil {
		return h
	}
	return func(ctx context.Context, s *sshd.Session) error {
		stop := c.seconds.Timer(name)
		err := h(ctx, s)
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

func (c *Commands) requireCapability(ctx context.Context, cl *caller, name, what string) error {
	caps, err := c.access.Capabilities(ctx, cl.subject())
	if err != nil {
		return err
	}
	if !caps.Has(name) {
		return &sshd.ExitError{Code: 1, Msg: fmt.Sprintf("fatal: %s not permitted", what)}
	}
	return nil
}

// userError turns a domain error into the SSH error text.
func userError(err error) error {
	if err == nil {
		return nil
	}
	if fail.KindOf(err) == fail.Internal {
		return err
	}
	return fmt.Errorf("%s", fail.Message(err, "internal server error"))
}

func (c *Commands) gerritVersion(ctx context.Context, s *sshd.Session) error {
	_, err := fmt.Fprintf(s.Stdout, "gerrit version %s\n", c.version)
	return err
}
