package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"tandem/internal/account"
	"tandem/internal/fail"
	"tandem/internal/gitconfig"
	"tandem/internal/project"
	"tandem/internal/site"
)

// hostKeyNames are the SSH host keys every master shares through the
// database, so clients see one server identity behind a load balancer.
var hostKeyNames = []string{"ssh_host_ed25519_key", "ssh_host_ecdsa_key"}

func runInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	dir := fs.String("d", "", "site directory")
	fs.StringVar(dir, "site-path", "", "site directory")
	fs.Bool("batch", false, "never prompt (init never prompts; accepted for Gerrit compatibility)")
	adminUser := fs.String("admin-user", "", "user name of the first administrator")
	adminPassword := fs.String("admin-password", "", "HTTP password of the first administrator")
	adminKey := fs.String("admin-ssh-key", "", "file with the first administrator's SSH public key")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "init: -d SITE is required")
		return errUsage
	}
	if *adminPassword != "" && *adminUser == "" {
		return errors.New("--admin-password needs --admin-user")
	}
	var keyText string
	if *adminKey != "" {
		b, err := os.ReadFile(*adminKey)
		if err != nil {
			return fmt.Errorf("read --admin-ssh-key: %w", err)
		}
		keyText = string(b)
	}

	created, err := writeDefaultConfig(*dir)
	if err != nil {
		return err
	}
	cfg, err := site.Load(*dir)
	if err != nil {
		return err
	}
	log, _ := newLogger(stderr)
	c, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.Close()

	if err := c.ensureServerID(ctx); err != nil {
		return err
	}
	admins, err := c.ensureGroup(ctx, account.Administrators, "Gerrit Site Administrators")
	if err != nil {
		return err
	}
	serviceUsers, err := c.ensureGroup(ctx, account.ServiceUsers, "Service accounts that interact with Tandem")
	if err != nil {
		return err
	}
	blocked, err := c.ensureGroup(ctx, account.BlockedUsers, "Accounts that may not read anything")
	if err != nil {
		return err
	}
	ref := func(g *account.Group) project.GroupRef { return project.GroupRef{UUID: g.UUID, Name: g.Name} }
	if err := c.projects.CreateRoot(ctx, project.AllProjects, project.DefaultAllProjects(ref(admins), ref(serviceUsers), ref(blocked))); err != nil {
		return fmt.Errorf("create %s: %w", project.AllProjects, err)
	}
	if err := c.projects.CreateRoot(ctx, project.AllUsers, project.DefaultAllUsers(ref(admins), project.RegisteredUsers)); err != nil {
		return fmt.Errorf("create %s: %w", project.AllUsers, err)
	}
	for _, name := range hostKeyNames {
		if _, err := c.secret(ctx, name, func() (string, error) { return newHostKey(name) }); err != nil {
			return fmt.Errorf("ssh host key: %w", err)
		}
	}

	generated := ""
	if *adminUser == "" {
		n, err := c.accounts.Count(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			*adminUser = "admin"
			generated = account.GeneratePassword()
			*adminPassword = generated
		}
	}
	if *adminUser != "" {
		if err := c.ensureAdmin(ctx, *adminUser, *adminPassword, keyText, admins); err != nil {
			return err
		}
	}

	if created {
		fmt.Fprintf(stdout, "Initialized %s (config %s)\n", cfg.Dir, cfg.Path(site.ConfigFile))
	} else {
		fmt.Fprintf(stdout, "Initialized %s using the existing %s\n", cfg.Dir, cfg.Path(site.ConfigFile))
	}
	if generated != "" {
		fmt.Fprintf(stdout, "First administrator: user %q, HTTP password %s\n", *adminUser, generated)
	} else if *adminUser != "" {
		fmt.Fprintf(stdout, "First administrator: user %q\n", *adminUser)
	}
	fmt.Fprintf(stdout, "Start it with: tandem daemon -d %s\n", *dir)
	return nil
}

// writeDefaultConfig writes SITE/etc/tandem.config unless one exists.
func writeDefaultConfig(dir string) (bool, error) {
	path := filepath.Join(dir, site.ConfigFile)
	if _, err := os.Stat(path); err == nil {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	cfg := gitconfig.New()
	cfg.Set("gerrit", "", "basePath", "git")
	cfg.Set("httpd", "", "listenUrl", "http://*:8080/")
	cfg.Set("sshd", "", "listenAddress", "*:29418")
	cfg.Set("database", "", "type", "sqlite")
	return true, os.WriteFile(path, cfg.Bytes(), 0o644)
}

// ensureServerID makes gerrit.serverId the same on every master: the
// configured value wins, else the one in the database, else a new one; the
// result is written into the site's config file.
func (c *components) ensureServerID(ctx context.Context) error {
	id, err := c.secret(ctx, "server_id", func() (string, error) {
		if c.cfg.ServerID != "" {
			return c.cfg.ServerID, nil
		}
		return site.NewServerID(), nil
	})
	if err != nil {
		return err
	}
	if c.cfg.ServerID != "" {
		if c.cfg.ServerID != id {
			return fmt.Errorf("gerrit.serverId %s differs from the database's %s", c.cfg.ServerID, id)
		}
		return nil
	}
	path := c.cfg.Path(site.ConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	raw, err := gitconfig.Parse(data)
	if err != nil {
		return err
	}
	raw.Set("gerrit", "", "serverId", id)
	return os.WriteFile(path, raw.Bytes(), 0o644)
}

func (c *components) ensureAdmin(ctx context.Context, user, password, key string, admins *account.Group) error {
	acct, err := c.accounts.ByUsername(ctx, user)
	if fail.Is(err, fail.NotFound) {
		var keys []string
		if strings.TrimSpace(key) != "" {
			keys = []string{key}
		}
		acct, err = c.accounts.Create(ctx, account.Input{
			Username:     user,
			FullName:     "Administrator",
			Email:        user + "@example.com",
			SSHKeys:      keys,
			HTTPPassword: password,
		})
	} else if err == nil {
		if password != "" {
			err = c.accounts.SetHTTPPassword(ctx, acct.ID, password)
		}
		if err == nil && strings.TrimSpace(key) != "" {
			_, err = c.accounts.AddSSHKey(ctx, acct.ID, key)
		}
	}
	if err != nil {
		return fmt.Errorf("administrator %q: %w", user, err)
	}
	_, err = c.accounts.AddMember(ctx, admins, acct.ID, acct.ID)
	return err
}

// newHostKey generates a host key and returns it as PEM.
func newHostKey(name string) (string, error) {
	var key any
	switch {
	case strings.Contains(name, "ed25519"):
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", err
		}
		key = priv
	default:
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return "", err
		}
		key = priv
	}
	block, err := ssh.MarshalPrivateKey(key, "tandem host key")
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(block)), nil
}
