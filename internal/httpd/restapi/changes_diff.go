package restapi

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"tandem/internal/change"
	"tandem/internal/fail"
)

// defaultDiffContext is Gerrit's default number of context lines around
// each edit in a DiffInfo; more common lines are "skip"ped.
const defaultDiffContext = 10

// maxDiffEdits bounds the edit distance the line diff searches for; past
// it the differing middle of the files is shown as one replaced block.
const maxDiffEdits = 2000

// getDiff answers …/files/{file}/diff.
func (a *API) getDiff(q *request, rc *resolvedChange, ps *change.PatchSet, file string) error {
	ctx := q.r.Context()
	contextLines, err := diffContext(q.query.Get("context"))
	if err != nil {
		return err
	}
	b := a.builderFor(q, rc, 0)
	pv := b.projects[rc.change.Project]
	base, err := a.diffBase(q, rc, ps)
	if err != nil {
		return err
	}
	var (
		oldPath, status string
		aData, bData    []byte
		aOK, bOK        bool
	)
	oldPath = file
	if text, ok, err := a.magicContent(ctx, b, pv, ps, file); ok {
		if err != nil {
			return err
		}
		bData, bOK = []byte(text), true
		if base.ps != nil {
			if old, _, err := a.magicContent(ctx, b, pv, base.ps, file); err == nil {
				aData, aOK = []byte(old), true
			}
		}
	} else {
		r, err := b.repoOf(pv)
		if err != nil {
			return err
		}
		// Renames and copies are known from the file list: the stored one
		// against the first parent, else git's.
		var fcs []change.File
		if base.ps == nil && base.commit == ps.FirstParent() {
			if fcs, err = a.changes.Files(ctx, a.db, ps.Change, ps.Number); err != nil {
				return err
			}
		} else {
			changed, err := r.DiffFiles(ctx, base.commit, ps.Commit)
			if err != nil {
				return err
			}
			for _, f := range changed {
				fcs = append(fcs, change.File{Path: f.Path, OldPath: f.OldPath, Status: f.Status})
			}
		}
		for _, f := range fcs {
			if f.Path == file {
				status = f.Status
				if f.OldPath != "" {
					oldPath = f.OldPath
				}
			}
		}
		if data, err := readBlob(ctx, r, ps.Commit, file); err == nil {
			bData, bOK = data, true
		} else if !fail.Is(err, fail.NotFound) {
			return err
		}
		if base.commit != "" {
			if data, err := readBlob(ctx, r, base.commit, oldPath); err == nil {
				aData, aOK = data, true
			} else if !fail.Is(err, fail.NotFound) {
				return err
			}
		}
		if !aOK && !bOK {
			return notFound(file)
		}
	}
	return writeJSON(q, http.StatusOK, buildDiffInfo(oldPath, file, status, aData, bData, aOK, bOK, contextLines))
}

// diffContext reads ?context=: a number of lines, or ALL (also -1).
func diffContext(v string) (int, error) {
	switch strings.ToUpper(v) {
	case "":
		return defaultDiffContext, nil
	case "ALL", "-1":
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fail.Errorf(fail.Invalid, "\"%s\" is not a valid value for \"--context\"", v)
	}
	return n, nil
}

// buildDiffInfo describes the change of one file from side A (oldPath,
// absent when !aOK) to side B (newPath, absent when !bOK).
func buildDiffInfo(oldPath, newPath, status string, aData, bData []byte, aOK, bOK bool, contextLines int) DiffInfo {
	d := DiffInfo{ChangeType: "MODIFIED", Content: []DiffContent{}}
	switch {
	case !aOK:
		d.ChangeType = "ADDED"
	case !bOK:
		d.ChangeType = "DELETED"
	case status == "R":
		d.ChangeType = "RENAMED"
	case status == "C":
		d.ChangeType = "COPIED"
	}
	aLines, bLines := splitLines(string(aData)), splitLines(string(bData))
	if aOK {
		d.MetaA = &DiffFileMeta{Name: oldPath, ContentType: contentType(oldPath, aData), Lines: len(aLines)}
	}
	if bOK {
		d.MetaB = &DiffFileMeta{Name: newPath, ContentType: contentType(newPath, bData), Lines: len(bLines)}
	}
	d.Binary = isBinary(aData) || isBinary(bData)
	d.DiffHeader = diffHeader(oldPath, newPath, d.ChangeType, aData, bData, aOK, bOK, d.Binary)
	if d.Binary {
		return d
	}
	d.Content = diffChunks(diffLines(aLines, bLines), aLines, bLines, contextLines)
	return d
}

// diffHeader is the "diff --git" header git would print for the file.
func diffHeader(oldPath, newPath, changeType string, aData, bData []byte, aOK, bOK, binary bool) []string {
	oldPath, newPath = strings.TrimPrefix(oldPath, "/"), strings.TrimPrefix(newPath, "/")
	h := []string{"diff --git a/" + oldPath + " b/" + newPath}
	switch changeType {
	case "ADDED":
		h = append(h, "new file mode 100644")
	case "DELETED":
		h = append(h, "deleted file mode 100644")
	case "RENAMED":
		h = append(h, "rename from "+oldPath, "rename to "+newPath)
	case "COPIED":
		h = append(h, "copy from "+oldPath, "copy to "+newPath)
	}
	aID, bID := strings.Repeat("0", 7), strings.Repeat("0", 7)
	if aOK {
		aID = blobID(aData)[:7]
	}
	if bOK {
		bID = blobID(bData)[:7]
	}
	if aID == bID {
		return h
	}
	h = append(h, "index "+aID+".."+bID)
	if binary {
		return append(h, "Binary files differ")
	}
	from, to := "a/"+oldPath, "b/"+newPath
	if !aOK {
		from = "/dev/null"
	}
	if !bOK {
		to = "/dev/null"
	}
	return append(h, "--- "+from, "+++ "+to)
}

// blobID is the git object id of a blob with this content.
func blobID(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// splitLines splits text into lines without their newlines.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// An edit script is one op per line: '=' common, '-' only in A, '+' only
// in B, A's lines before B's within a replaced block.
type edit byte

// diffLines computes a shortest edit script from a to b with Myers'
// algorithm, after stripping the common prefix and suffix. Past
// maxDiffEdits the middle becomes one replaced block.
func diffLines(a, b []string) []edit {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	out := make([]edit, 0, max(len(a), len(b))+1)
	for i := 0; i < pre; i++ {
		out = append(out, '=')
	}
	out = append(out, myers(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for i := 0; i < suf; i++ {
		out = append(out, '=')
	}
	return out
}

func myers(a, b []string) []edit {
	n, m := len(a), len(b)
	replace := func() []edit {
		out := make([]edit, 0, n+m)
		for i := 0; i < n; i++ {
			out = append(out, '-')
		}
		for i := 0; i < m; i++ {
			out = append(out, '+')
		}
		return out
	}
	if n == 0 || m == 0 {
		return replace()
	}
	// trace[d][k+d] is the furthest x reached on diagonal k with d edits.
	var trace [][]int32
	found := false
	for d := 0; d <= n+m && d <= maxDiffEdits && !found; d++ {
		v := make([]int32, 2*d+1)
		for k := -d; k <= d; k += 2 {
			var x int
			switch {
			case d == 0:
				x = 0
			case k == -d || k != d && trace[d-1][k-1+d-1] < trace[d-1][k+1+d-1]:
				x = int(trace[d-1][k+1+d-1])
			default:
				x = int(trace[d-1][k-1+d-1]) + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[k+d] = int32(x)
			if x >= n && y >= m {
				found = true
				break
			}
		}
		trace = append(trace, v)
	}
	if !found {
		return replace()
	}
	var rev []edit
	x, y := n, m
	for d := len(trace) - 1; d > 0; d-- {
		prev := trace[d-1]
		k := x - y
		var pk int
		if k == -d || k != d && prev[k-1+d-1] < prev[k+1+d-1] {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := int(prev[pk+d-1])
		py := px - pk
		for x > px && y > py {
			rev = append(rev, '=')
			x, y = x-1, y-1
		}
		if x == px {
			rev = append(rev, '+')
			y--
		} else {
			rev = append(rev, '-')
			x--
		}
	}
	for x > 0 && y > 0 {
		rev = append(rev, '=')
		x, y = x-1, y-1
	}
	// Reverse, then put each block's deletions before its insertions.
	out := make([]edit, len(rev))
	for i, e := range rev {
		out[len(rev)-1-i] = e
	}
	for i := 0; i < len(out); {
		if out[i] == '=' {
			i++
			continue
		}
		j := i
		dels := 0
		for j < len(out) && out[j] != '=' {
			if out[j] == '-' {
				dels++
			}
			j++
		}
		for p := i; p < j; p++ {
			if p-i < dels {
				out[p] = '-'
			} else {
				out[p] = '+'
			}
		}
		i = j
	}
	return out
}

// diffStat counts inserted and deleted lines.
func diffStat(a, b []string) (ins, del int) {
	for _, e := range diffLines(a, b) {
		switch e {
		case '+':
			ins++
		case '-':
			del++
		}
	}
	return ins, del
}

// diffChunks turns an edit script into DiffInfo content: "ab" for common
// lines, "a"/"b" for replaced blocks, and "skip" for common lines further
// than contextLines from an edit (contextLines < 0 keeps everything).
func diffChunks(script []edit, a, b []string, contextLines int) []DiffContent {
	type block struct {
		common   bool
		aLo, aHi int
		bLo, bHi int
	}
	var blocks []block
	x, y := 0, 0
	for i := 0; i < len(script); {
		j := i
		if script[i] == '=' {
			for j < len(script) && script[j] == '=' {
				j++
			}
			n := j - i
			blocks = append(blocks, block{true, x, x + n, y, y + n})
			x, y = x+n, y+n
		} else {
			nx, ny := x, y
			for j < len(script) && script[j] != '=' {
				if script[j] == '-' {
					nx++
				} else {
					ny++
				}
				j++
			}
			blocks = append(blocks, block{false, x, nx, y, ny})
			x, y = nx, ny
		}
		i = j
	}
	out := []DiffContent{}
	for i, bl := range blocks {
		if !bl.common {
			c := DiffContent{}
			if bl.aHi > bl.aLo {
				c.A = a[bl.aLo:bl.aHi]
			}
			if bl.bHi > bl.bLo {
				c.B = b[bl.bLo:bl.bHi]
			}
			out = append(out, c)
			continue
		}
		lines := a[bl.aLo:bl.aHi]
		first, last := i == 0, i == len(blocks)-1
		if contextLines < 0 || len(blocks) == 1 {
			out = append(out, DiffContent{AB: lines})
			continue
		}
		head, tail := contextLines, contextLines
		if first {
			head = 0
		}
		if last {
			tail = 0
		}
		if head+tail >= len(lines) {
			out = append(out, DiffContent{AB: lines})
			continue
		}
		if head > 0 {
			out = append(out, DiffContent{AB: lines[:head]})
		}
		out = append(out, DiffContent{Skip: len(lines) - head - tail})
		if tail > 0 {
			out = append(out, DiffContent{AB: lines[len(lines)-tail:]})
		}
	}
	return out
}
