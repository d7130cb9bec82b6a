// Package sshd is Tandem's SSH front door: it accepts connections on the
// Gerrit SSH port, authenticates public keys through a caller-supplied
// function, and runs exec requests as commands registered on a [Mux]
// ("git-upload-pack", "gerrit ls-groups", "scp", …). It owns the listener,
// every accepted connection and every session channel; commands never see
// the SSH library.
//
// Behaviour, following Gerrit:
//   - No shell, port forwarding or subsystems (no SFTP); a pty request is
//     accepted and ignored. A "shell" request prints the Welcome text on
//     stderr and exits with status 127.
//   - The exec line is split with [Split] (Gerrit's quoting rules) and
//     dispatched on its first one or two words.
//   - A handler's nil error is exit status 0; an [*ExitError] sets status and
//     message exactly; a *fail.Error prints its caller-safe message; any other
//     error prints "fatal: <error>" and exits 1.
//   - The exit status is sent as an "exit-status" request, then EOF and
//     close, after everything the handler wrote has been handed to the
//     connection.
//
// Concurrency: each connection and each session runs on its own goroutines,
// all owned by the [Server]; [Server.Serve] and [Server.Shutdown] wait for
// them. A handler runs on its own goroutine with a context that is cancelled
// when the client closes the channel or drops the connection, or when
// Shutdown gives up waiting; handlers must return soon after. A handler must
// not keep using its [Session] after it returns. [Mux] registration is
// expected before serving but is safe at any time.
//
// The subpackage cmdflag parses a command's options the way Gerrit's args4j
// parser does.
package sshd
