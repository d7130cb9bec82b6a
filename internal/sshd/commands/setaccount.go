package commands

import (
	"context"
	"fmt"
	"io"
	"strings"

	"tandem/internal/account"
	"tandem/internal/project"
	"tandem/internal/sshd"
	"tandem/internal/sshd/cmdflag"
)

// setAccount is `gerrit set-account`: a user changes their own account,
// and holders of administrateServer or modifyAccount any account: full
// name, active state (administrators, never their own), email addresses,
// SSH keys and the HTTP password. The changes apply in the order listed.
func (c *Commands) setAccount(ctx context.Context, s *sshd.Session) error {
	var fullName, preferred, httpPassword string
	var addEmails, deleteEmails, addKeys, deleteKeys []string
	var active, inactive, generate, clearPassword bool
	nameSet := false
	fs := cmdflag.New("gerrit set-account")
	fs.Func("--full-name", "NAME", "display name of the account", func(v string) error {
		fullName, nameSet = v, true
		return nil
	})
	fs.Bool(&active, "--active", "activate the account")
	fs.Bool(&inactive, "--inactive", "deactivate the account")
	fs.Strings(&addEmails, "--add-email", "EMAIL", "address to add (repeatable)")
	fs.Strings(&deleteEmails, "--delete-email", "EMAIL", "address to delete, or ALL (repeatable)")
	fs.String(&preferred, "--preferred-email", "EMAIL", "address to make preferred (added if new)")
	fs.Strings(&addKeys, "--add-ssh-key", "-|KEY", "public key to add; - reads one per line from standard input (repeatable)")
	fs.Strings(&deleteKeys, "--delete-ssh-key", "-|KEY", "public key (or its comment) to delete, or ALL (repeatable)")
	fs.String(&httpPassword, "--http-password", "PASSWORD", "HTTP password of the account")
	fs.Bool(&generate, "--generate-http-password", "generate an HTTP password and print it")
	fs.Bool(&clearPassword, "--clear-http-password", "remove the HTTP password")
	fs.Args("USER", 1, 1)
	args, err := fs.Parse(s.Args)
	if err != nil {
		return err
	}
	switch {
	case active && inactive:
		return die("--active and --inactive options are mutually exclusive.")
	case generate && httpPassword != "", generate && clearPassword, clearPassword && httpPassword != "":
		return die("--http-password, --generate-http-password and --clear-http-password options are mutually exclusive.")
	}
	cl, err := c.caller(ctx, s)
	if err != nil {
		return err
	}
	who, err := c.userArg(ctx, args[0])
	if err != nil {
		return err
	}
	if who.ID != cl.account.ID || active || inactive {
		if err := c.requireCapability(ctx, cl, "modify account", project.CapAdministrateServer, project.CapModifyAccount); err != nil {
			return err
		}
	}
	if inactive && who.ID == cl.account.ID {
		return die("unable to deactivate own account")
	}

	if nameSet {
		if err := c.accounts.Update(ctx, who.ID, &fullName, nil); err != nil {
			return userError(err)
		}
	}
	if active || inactive {
		if _, err := c.accounts.SetActive(ctx, who.ID, active); err != nil {
			return userError(err)
		}
	}
	for _, e := range addEmails {
		if err := c.accounts.AddEmail(ctx, who.ID, e, false); err != nil {
			return userError(err)
		}
	}
	for _, e := range deleteEmails {
		if err := c.deleteEmails(ctx, who, e); err != nil {
			return err
		}
	}
	if preferred != "" {
		if err := c.accounts.AddEmail(ctx, who.ID, preferred, true); err != nil {
			return userError(err)
		}
	}
	if err := c.changeKeys(ctx, s, who, addKeys, deleteKeys); err != nil {
		return err
	}
	switch {
	case generate:
		pw := account.GeneratePassword()
		if err := c.accounts.SetHTTPPassword(ctx, who.ID, pw); err != nil {
			return userError(err)
		}
		_, err := fmt.Fprintf(s.Stdout, "New password: %s\n", pw)
		return err
	case httpPassword != "" || clearPassword:
		return userError(c.accounts.SetHTTPPassword(ctx, who.ID, httpPassword))
	}
	return nil
}

// deleteEmails removes one address of the account, or with ALL every one.
func (c *Commands) deleteEmails(ctx context.Context, who *account.Account, email string) error {
	if email != "ALL" {
		return userError(c.accounts.DeleteEmail(ctx, who.ID, email))
	}
	fresh, err := c.accounts.Get(ctx, who.ID)
	if err != nil {
		return err
	}
	for _, e := range fresh.Emails {
		if err := c.accounts.DeleteEmail(ctx, who.ID, e); err != nil {
			return userError(err)
		}
	}
	return nil
}

// changeKeys adds and deletes the account's SSH keys; "-" reads keys from
// standard input, one per line, and ALL deletes every key.
func (c *Commands) changeKeys(ctx context.Context, s *sshd.Session, who *account.Account, add, del []string) error {
	var stdin []string
	read := func(list []string) ([]string, error) {
		var out []string
		for _, k := range list {
			if k != "-" {
				out = append(out, k)
				continue
			}
			if stdin == nil {
				b, err := io.ReadAll(io.LimitReader(s.Stdin, maxKeyInput))
				if err != nil {
					return nil, err
				}
				stdin = []string{}
				for _, line := range strings.Split(string(b), "\n") {
					if line = strings.TrimSpace(line); line != "" {
						stdin = append(stdin, line)
					}
				}
			}
			out = append(out, stdin...)
		}
		return out, nil
	}
	add, err := read(add)
	if err != nil {
		return err
	}
	if del, err = read(del); err != nil {
		return err
	}
	for _, k := range add {
		if _, err := c.accounts.AddSSHKey(ctx, who.ID, k); err != nil {
			return userError(err)
		}
	}
	if len(del) == 0 {
		return nil
	}
	keys, err := c.accounts.SSHKeys(ctx, who.ID)
	if err != nil {
		return err
	}
	deleted := map[int]bool{}
	for _, want := range del {
		found := false
		for _, k := range keys {
			if !keyMatches(want, k) {
				continue
			}
			found = true
			if !deleted[k.Seq] {
				deleted[k.Seq] = true
				if err := c.accounts.DeleteSSHKey(ctx, who.ID, k.Seq); err != nil {
					return userError(err)
				}
			}
		}
		if !found {
			return die("SSH key %s not found", want)
		}
	}
	return nil
}

// keyMatches says whether a --delete-ssh-key argument names key: ALL, the
// key itself (its comment may differ) or its comment.
func keyMatches(arg string, key account.SSHKey) bool {
	f := strings.Fields(arg)
	switch {
	case arg == "ALL":
		return true
	case len(f) >= 2:
		return f[0] == key.Algorithm() && f[1] == key.EncodedKey()
	}
	return arg != "" && arg == key.Comment()
}
