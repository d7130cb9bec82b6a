// Command tandem is a Gerrit-compatible code review server that runs as
// several active masters. See internal/app for the commands it offers.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"tandem/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
