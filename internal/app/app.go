// Package app is Tandem's composition root: it parses the command line,
// builds every component in order (configuration, database, git, domain
// services, servers) and runs `init`, `daemon`, `hook` and `version`.
// Nothing else in Tandem constructs components or reads the command line.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"tandem/internal/logging"
)

// Version is Tandem's own version; GerritVersion is what Gerrit clients see.
const (
	Version       = "0.1.0"
	GerritVersion = "3.9.0"
)

// Main runs the tandem command line (argv, program name first) and returns
// the process exit status. Started through a hook's symlink, the program
// name is the hook's, and Main runs that hook.
func Main(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var args []string
	if len(argv) > 0 {
		if hook := filepath.Base(argv[0]); hook == "proc-receive" {
			return runHook([]string{hook}, stdin, stdout, stderr)
		}
		args = argv[1:]
	}
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	var err error
	switch args[0] {
	case "init":
		err = runInit(ctx, args[1:], stdout, stderr)
	case "daemon":
		err = runDaemon(ctx, args[1:], stdout, stderr)
	case "hook":
		return runHook(args[1:], stdin, stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "tandem version %s (gerrit %s)\n", Version, GerritVersion)
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "tandem: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.Is(err, errUsage) {
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "tandem %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  tandem init   -d SITE [--batch] [--admin-user NAME --admin-password PW [--admin-ssh-key FILE]]
  tandem daemon -d SITE
  tandem version
`)
}

// flags parses args for a subcommand, printing errors to stderr.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return errUsage
	}
	return nil
}

// newLogger returns the logger of a command and the levels that change it
// at run time; TANDEM_LOG_LEVEL=debug starts it at debug.
func newLogger(w io.Writer) (*slog.Logger, *logging.Levels) {
	level := slog.LevelInfo
	if os.Getenv("TANDEM_LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	return logging.New(w, level)
}
