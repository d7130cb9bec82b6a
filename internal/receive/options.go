package receive

import (
	"fmt"
	"net/url"
	"strings"
)

// maxTopicLength is Gerrit's limit on topic names.
const maxTopicLength = 2048

// uploadOptions are the options of a push for review, from the magic ref
// ("refs/for/main%topic=x,r=bob") and from `git push -o`.
type uploadOptions struct {
	topic         string
	topicSet      bool
	reviewers     []string
	ccs           []string
	wip, ready    bool
	private       bool
	removePrivate bool
	hashtags      []string
	message       string
	labels        map[string]int
	notify        string
	submit        bool
	base          []string
	publish       bool
	edit          bool // the commits become the pusher's change edits
	// ignoreAttention leaves the attention set as it is (ias).
	ignoreAttention bool
	// noPublish keeps drafts despite the pusher's preference to publish
	// them; wipByDefault is the pusher's preference for new changes.
	noPublish, wipByDefault bool
}

// parseUploadOptions merges the magic ref's options and the push options.
// A mistake is returned with Gerrit's text.
func parseUploadOptions(fromRef string, pushOptions []string) (*uploadOptions, error) {
	o := &uploadOptions{labels: map[string]int{}}
	var items []string
	if fromRef != "" {
		for _, it := range strings.Split(fromRef, ",") {
			if it != "" {
				items = append(items, it)
			}
		}
	}
	refItems := len(items)
	items = append(items, pushOptions...)
	for i, it := range items {
		inRef := i < refItems
		key, val, hasVal := strings.Cut(it, "=")
		if inRef && hasVal {
			if strings.Contains(val, ":") && key == "custom-keyed-value" {
				return nil, fmt.Errorf("custom-keyed-value needs -o (':' is not allowed in a ref)")
			}
			v, err := url.PathUnescape(strings.ReplaceAll(strings.ReplaceAll(val, "_", " "), "+", " "))
			if err != nil {
				return nil, fmt.Errorf("%q is not a valid value for \"--%s\"", val, key)
			}
			if key == "m" || key == "message" {
				val = v
			}
		}
		switch key {
		case "topic":
			o.topic, o.topicSet = val, true
		case "r", "reviewer":
			o.reviewers = append(o.reviewers, val)
		case "cc":
			o.ccs = append(o.ccs, val)
		case "wip", "work-in-progress":
			o.wip = true
		case "ready":
			o.ready = true
		case "private":
			o.private = true
		case "remove-private":
			o.removePrivate = true
		case "hashtag", "t":
			o.hashtags = append(o.hashtags, val)
		case "m", "message":
			o.message = val
		case "l", "label":
			name, v, err := parseLabelVote(val)
			if err != nil {
				return nil, err
			}
			o.labels[name] = v
		case "notify":
			switch strings.ToUpper(val) {
			case "NONE", "OWNER", "OWNER_REVIEWERS", "ALL":
				o.notify = strings.ToUpper(val)
			default:
				return nil, fmt.Errorf("%q is not a valid value for \"--notify\"", val)
			}
		case "ias", "ignore-attention-set", "ignore-automatic-attention-set-rules":
			o.ignoreAttention = true
		case "no-publish-comments", "np":
			o.noPublish = true
		case "notify-to", "notify-cc", "notify-bcc", "trace", "deadline", "skip-validation":
			// Accepted; mail and tracing are not Tandem's business yet.
		case "publish-comments":
			o.publish = true
		case "submit":
			o.submit = true
		case "base":
			o.base = append(o.base, val)
		case "custom-keyed-value":
		case "edit", "e":
			o.edit = true
		case "merged":
			return nil, fmt.Errorf("\"--merged\" is not supported")
		case "help", "h":
			return nil, fmt.Errorf("see help")
		default:
			return nil, fmt.Errorf("\"--%s\" is not a valid option", key)
		}
	}
	switch {
	case o.edit && (o.submit || len(o.base) > 0):
		return nil, fmt.Errorf("the option 'edit' cannot be combined with 'submit' or 'base'")
	case o.wip && o.ready:
		return nil, fmt.Errorf("the options 'wip' and 'ready' are mutually exclusive")
	case o.private && o.removePrivate:
		return nil, fmt.Errorf("the options 'private' and 'remove-private' are mutually exclusive")
	case len(o.topic) > maxTopicLength:
		return nil, fmt.Errorf("topic length exceeds the limit (%d)", maxTopicLength)
	}
	return o, nil
}

// parseLabelVote reads "Code-Review+2", "Code-Review=2" or "Verified" (+1).
func parseLabelVote(s string) (string, int, error) {
	if s == "" {
		return "", 0, fmt.Errorf("\"\" is not a valid value for \"--label\"")
	}
	if name, v, ok := strings.Cut(s, "="); ok {
		n, err := parseVote(v)
		if err != nil {
			return "", 0, fmt.Errorf("%q is not a valid value for \"--label\"", s)
		}
		return name, n, nil
	}
	if i := strings.LastIndexAny(s, "+-"); i > 0 {
		n, err := parseVote(s[i:])
		if err == nil {
			return s[:i], n, nil
		}
	}
	return s, 1, nil
}

func parseVote(v string) (int, error) {
	var n int
	_, err := fmt.Sscanf(strings.TrimPrefix(v, "+"), "%d", &n)
	if err != nil || strings.TrimLeft(strings.TrimPrefix(v, "+"), "-0123456789") != "" {
		return 0, fmt.Errorf("bad vote %q", v)
	}
	return n, nil
}
