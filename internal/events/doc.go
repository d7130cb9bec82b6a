// Package events owns Gerrit's events (Documentation/cmd-stream-events.txt,
// json.txt) and the durable event log they live in: the events table.
//
// The event types marshal to Gerrit's JSON; the attribute builders
// (ChangeAttribute, PatchSetAttribute, AccountAttribute, …) turn change and
// account rows into the attributes events carry, and are shared with
// `gerrit query --format=JSON`.
//
// Writing: a use case appends its events with Log.Append inside the SQL
// transaction that makes the change, so an event exists exactly when its
// change does, then calls Log.Notify after the commit. A Recorder does the
// building and appending from change rows and account ids, one method per
// event type. Work done outside SQL
// (a ref written by git, a repository created) is reported afterwards with
// Log.Publish. Ids become visible in increasing order (Append explains how),
// so readers keep "the last id seen" and never skip an event.
//
// Reading: a Tail returns the events after an id, in order. It reads
// `SELECT … WHERE id > last`, and waits for Notify from this process or
// for its poll interval, the fallback for events appended by other masters
// (PostgreSQL LISTEN/NOTIFY is to replace polling when the cluster work
// lands). stream-events starts a Tail at Head; the webhook worker
// (subpackage webhooks) keeps its position in SQL.
//
// Visibility is the reader's business: a Record carries the project, ref
// and change number it is about, so a reader can ask the access package
// before passing it on.
//
// Concurrency: a Log is safe for concurrent use; a Tail belongs to one
// goroutine and holds nothing between calls. Whoever opened the database
// closes it; the Log owns no resources.
package events
