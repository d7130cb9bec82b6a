// Package query owns Gerrit's change query language: it parses a query
// ("status:open project:P -is:wip", "label:Code-Review=MAX,user=non_uploader")
// into a tree of Nodes, compiles the tree to SQL over the changes table and
// its satellites (patch_sets, patch_set_files, approvals, reviewers,
// comments, hashtags, stars), runs it newest first with the caller's
// visibility applied in Go, and matches a tree against one change held in
// memory (Match), which submit requirements and copyConditions use.
//
// What SQL cannot decide — is:submittable, is:mergeable, label:X=ok/need/
// reject/may, regular expressions, MAX/MIN of a label whose range depends
// on the change's project — is compiled to a superset condition in SQL plus
// a residual predicate evaluated in Go on each candidate, through the
// Evaluator and Resolver interfaces the caller implements. Accounts, groups
// and label ranges come from a Resolver; this package reads no
// configuration itself.
//
// Errors that are the caller's fault (a query that does not parse, an
// unknown operator or value, self without a signed-in caller) are *Error;
// they unwrap to a *fail.Error of kind Invalid (400) or Forbidden (403).
//
// Nodes are immutable once parsed and safe to share between goroutines.
// Run and Match hold no state between calls; they are safe for concurrent
// use as long as the Resolver, Evaluator and Visible function given are.
// Run reads through the db.Querier it is given and closes every row set it
// opens; the caller owns the Querier.
package query
