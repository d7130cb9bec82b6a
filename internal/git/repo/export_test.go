package repo

// Test hooks into unexported parts.
var (
	WriteRefs = (*Repo).writeRefs
	ErrUseGit = errUseGit
)
