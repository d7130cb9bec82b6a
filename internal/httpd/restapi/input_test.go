package restapi

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestLenientJSON checks the rewriting of Gson's lenient syntax into JSON.
func TestLenientJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any // nil: the input is refused
	}{
		{`{"a": 1}`, map[string]any{"a": 1.0}},
		{`{a: 'x', b = "y"; c => true}`, map[string]any{"a": "x", "b": "y", "c": true}},
		{"{a: 1 /* note */, // rest of line\n b: [x, 'y z', null]}", map[string]any{"a": 1.0, "b": []any{"x", "y z", nil}}},
		{`{'it\'s': "say \"hi\"", u: '\u00e9\ud83d\ude00'}`, map[string]any{"it's": `say "hi"`, "u": "é😀"}},
		{`{label: +1, n: -2}`, map[string]any{"label": "+1", "n": -2.0}},
		{`{a: 'unterminated}`, nil},
		{`{a: 1 /* open`, nil},
	} {
		out, err := lenientJSON([]byte(tc.in))
		if tc.want == nil {
			if err == nil {
				var v any
				if json.Unmarshal(out, &v) == nil {
					t.Errorf("lenientJSON(%q) = %s, want an error", tc.in, out)
				}
			}
			continue
		}
		var got any
		if err != nil || json.Unmarshal(out, &got) != nil {
			t.Errorf("lenientJSON(%q) = %s, %v", tc.in, out, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("lenientJSON(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
