package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"tandem/internal/events/webhooks"
	"tandem/internal/git/repo"
	"tandem/internal/httpd"
	"tandem/internal/httpd/auth"
	"tandem/internal/httpd/githttp"
	"tandem/internal/httpd/restapi"
	"tandem/internal/metrics"
	"tandem/internal/project"
	"tandem/internal/receive"
	"tandem/internal/site"
	"tandem/internal/sshd"
	"tandem/internal/sshd/commands"
)

// drainTimeout bounds how long SIGTERM waits for requests in flight.
const drainTimeout = 30 * time.Second

// recoverEvery is how often a master looks for submits left half done.
const recoverEvery = 30 * time.Second

func runDaemon(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("daemon", flag.ContinueOnError)
	dir := fs.String("d", "", "site directory")
	fs.StringVar(dir, "site-path", "", "site directory")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "daemon: -d SITE is required")
		return errUsage
	}
	cfg, err := site.Load(*dir)
	if err != nil {
		return err
	}
	logger, levels := newLogger(stderr)
	log := logger.With("node", cfg.NodeID)
	c, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.Close()
	if !c.projects.Exists(ctx, project.AllProjects) {
		return fmt.Errorf("site %s is not initialized: run tandem init -d %s", cfg.Dir, *dir)
	}
	if err := writeHooks(cfg); err != nil {
		return err
	}

	reg := metrics.NewRegistry()
	reg.NewGaugeFunc("tandem_goroutines", "Goroutines in this master.", func() float64 { return float64(runtime.NumGoroutine()) })
	reg.NewGaugeFunc("tandem_memory_heap_bytes", "Heap bytes in use.", func() float64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapInuse)
	})

	receiver := receive.NewReceiver(c.runner, c.projects, c.access, log)
	receiver.SetEvents(c.events)
	receiver.EnableUploads(&receive.Uploads{
		DB:        c.db,
		Changes:   c.changes,
		Accounts:  c.accounts,
		WebURL:    cfg.CanonicalWebURL,
		Events:    c.recorder,
		Labels:    c.reviews,
		Drafts:    c.reviews,
		Merger:    pushMerger{c},
		Committed: c.events.Notify,
	})
	bridge, err := receive.NewBridge(receiver, log)
	if err != nil {
		return err
	}
	housekeeper := repo.NewHousekeeper(c.runner, log)
	bridge.SetHousekeeper(housekeeper)
	authn := &auth.Authenticator{Accounts: c.accounts, Type: cfg.AuthType, Header: cfg.AuthHTTPHeader}

	var draining atomic.Bool
	health := func(r *http.Request) (map[string]any, bool) {
		ok := true
		checks := map[string]any{}
		check := func(name string, err error) {
			entry := map[string]any{"result": "passed"}
			if err != nil {
				ok = false
				entry = map[string]any{"result": "failed", "reason": err.Error()}
			}
			checks[name] = entry
		}
		pctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		check("database", c.db.Ping(pctx))
		_, err := c.projects.Load(pctx, project.AllProjects)
		check("git", err)
		if draining.Load() {
			check("draining", errors.New("shutting down"))
		}
		return checks, ok
	}
	api := restapi.New(restapi.Options{
		Accounts:    c.accounts,
		Projects:    c.projects,
		Access:      c.access,
		Auth:        authn,
		Logger:      log,
		Health:      health,
		Caches:      c.caches,
		Housekeeper: housekeeper,
		Changes:     c.changes,
		DB:          c.db,
		// The change API's domain services (restwiring.go).
		Query:        restQuery{c},
		Labeler:      restLabels{c: c},
		Requirements: restRequirements{c},
		Reviews:      restReviews{c},
		Edits:        restEdits{c},
		Creator:      restCreator{c},
		Submitter:    restSubmitter{c},
		Mergeability: restMergeability{c},
		Server: restapi.ServerInfo{
			Version:         GerritVersion,
			TandemVersion:   Version,
			CanonicalWebURL: cfg.CanonicalWebURL,
			SSHAddress:      cfg.SSHAdvertised,
			AuthType:        cfg.AuthType,
			ServerID:        cfg.ServerID,
			Archives:        archiveFormats(cfg.Archives),
		},
	})
	gitHTTP := githttp.New(githttp.Options{
		Runner: c.runner, Projects: c.projects, Access: c.access, Auth: authn, Pushes: bridge, Changes: c.changes, Logger: log, Metrics: reg,
	})
	web := httpd.New(httpd.Options{
		Listen:  cfg.Listen,
		REST:    api,
		Git:     gitHTTP,
		Metrics: reg,
		Logger:  log,
	})
	if err := web.Listen(); err != nil {
		return err
	}

	var sshServer *sshd.Server
	if cfg.SSHListen != "" {
		var signers []ssh.Signer
		for _, name := range hostKeyNames {
			pemText, err := c.secret(ctx, name, nil)
			if err != nil {
				return fmt.Errorf("ssh host key %s: %w (run tandem init)", name, err)
			}
			signer, err := ssh.ParsePrivateKey([]byte(pemText))
			if err != nil {
				return fmt.Errorf("ssh host key %s: %w", name, err)
			}
			signers = append(signers, signer)
		}
		cmds := commands.New(commands.Options{
			Runner: c.runner, Accounts: c.accounts, Projects: c.projects, Access: c.access,
			Pushes: bridge, Logger: log, Metrics: reg, Version: GerritVersion,
			Events: c.events, Changes: c.changes, Caches: c.caches, LogLevels: levels,
			Review: commands.ReviewOptions{Reviews: c.reviews, Submitter: c.submit, Query: c.queryOptions,
				NewPatchSet: c.serverPatchSet, WebURL: cfg.CanonicalWebURL},
		})
		mux := sshd.NewMux()
		cmds.Register(mux)
		sshServer, err = sshd.New(sshd.Options{
			Listen:       cfg.SSHListen,
			HostKeys:     signers,
			Logger:       log,
			Authenticate: cmds.Authenticate,
			Version:      Version,
			Commands:     mux,
			Algorithms:   sshd.Algorithms{KeyExchanges: cfg.SSHKex, Ciphers: cfg.SSHCiphers, MACs: cfg.SSHMACs},
			Welcome: func(id sshd.Identity) string {
				return fmt.Sprintf("\n  ****    Welcome to Tandem Code Review    ****\n\n  Hi %s, you have successfully connected over SSH.\n\n  Unfortunately, interactive shells are disabled.\n  To clone a hosted Git repository, use:\n\n  git clone ssh://%s@%s/REPOSITORY_NAME.git\n\n", id.Username, id.Username, cfg.SSHAdvertised)
			},
		})
		if err != nil {
			return err
		}
		if err := sshServer.Listen(); err != nil {
			web.Close()
			return err
		}
	}

	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	var wg sync.WaitGroup
	errc := make(chan error, 6)
	start := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	start("hook bridge", func() error { return bridge.Serve(runCtx) })
	// Submits that a master (this one, before a crash, or a peer) left
	// half done are finished or rolled back now and then: each branch's
	// lock keeps this away from submits still running.
	start("submit recovery", func() error {
		tick := time.NewTicker(recoverEvery)
		defer tick.Stop()
		for {
			if err := c.submit.Recover(runCtx); err != nil && runCtx.Err() == nil {
				log.Warn("recover submits", "err", err)
			}
			select {
			case <-runCtx.Done():
				return nil
			case <-tick.C:
			}
		}
	})
	hooks := webhooks.New(webhooks.Options{DB: c.db, Log: c.events, Projects: c.projects, Poster: newWebhookPoster(), Logger: log})
	start("webhooks", func() error { return hooks.Run(runCtx) })
	start("housekeeping", func() error { housekeeper.Run(runCtx); return nil })
	start("http", web.Serve)
	if sshServer != nil {
		start("sshd", func() error { return sshServer.Serve(runCtx) })
	}

	fmt.Fprintf(stdout, "Tandem %s ready on node %s\n", Version, cfg.NodeID)
	fmt.Fprintf(stdout, "  web and REST: %s (listening on %s)\n", cfg.CanonicalWebURL, web.Addr())
	if sshServer != nil {
		fmt.Fprintf(stdout, "  ssh:          ssh -p %s USER@%s (listening on %s)\n", port(cfg.SSHAdvertised), host(cfg.SSHAdvertised), sshServer.Addr())
	}
	fmt.Fprintf(stdout, "  sign in with the administrator's user name and HTTP password from tandem init,\n  e.g. curl -u admin:PASSWORD %sa/accounts/self\n", cfg.CanonicalWebURL)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	log.Info("draining")
	draining.Store(true)
	c.events.Shutdown() // ends stream-events sessions, which would hold up the drain
	sctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	web.Shutdown(sctx)
	if sshServer != nil {
		sshServer.Shutdown(sctx)
	}
	stopRun()
	wg.Wait()
	log.Info("stopped")
	return runErr
}

// writeHooks installs this master's hooks as symlinks to the running
// binary (which recognizes the hook by its name, saving a shell per push);
// git runs them through core.hooksPath, so nothing is written into the
// shared repositories.
func writeHooks(cfg *site.Config) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	dir := hooksDir(cfg)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dir, ".proc-receive.tmp")
	os.Remove(tmp)
	if err := os.Symlink(exe, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "proc-receive"))
}

func runHook(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] != "proc-receive" {
		fmt.Fprintln(stderr, "usage: tandem hook proc-receive")
		return 2
	}
	return receive.RunHook(args[0], os.Getenv, stdin, stdout, stderr)
}

func host(hp string) string {
	h, _, err := net.SplitHostPort(hp)
	if err != nil {
		return hp
	}
	return h
}

func port(hp string) string {
	_, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "29418"
	}
	return p
}

// archiveFormats are the download.archive formats the machine can write,
// in the configured order; all it can write when the key is unset.
func archiveFormats(configured []string) []string {
	available := repo.ArchiveFormats()
	if configured == nil {
		return available
	}
	var out []string
	for _, f := range configured {
		if slices.Contains(available, f) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
