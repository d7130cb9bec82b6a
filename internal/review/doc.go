// Package review owns what happens to a change between upload and submit:
// votes and their labels, inline comments and drafts, reviewers and CCs,
// change messages, the abandon/restore state machine, topic, hashtags,
// work-in-progress and private flags, stars, sticky votes (copyCondition),
// and the evaluation of labels, legacy submit records and submit
// requirements that decides whether a change is submittable.
//
// Everything it decides lives in SQL: each use case reads and writes
// through one db.Tx and appends its Gerrit events through the EventSink in
// that same transaction, so a change and its events commit together or not
// at all. Transaction bodies only read and write through the transaction
// and keep no state between attempts, because db.Tx re-runs them on
// serialization failures. Project configuration (labels, submit
// requirements, access rules) comes from a Policies value, read before the
// transaction; it is keyed by refs/meta/config content and needs no
// eviction.
//
// The package is transport-free: callers (REST, SSH, receive, submit) pass
// the caller as an access.Subject, change numbers and patch set numbers
// already resolved, and turn the fail.Error kinds of returned errors into
// status codes; messages are Gerrit's texts where clients read them.
//
// Evaluation is split into pure functions over a Snapshot (EvaluateRecord,
// CheckLabel, LabelInfos, …) and Service methods that load what they need,
// so list views can batch their reads and evaluate in memory.
//
// Concurrency: a Service is safe for concurrent use; it holds no mutable
// state. It owns no resources; whoever opened the database closes it.
package review
