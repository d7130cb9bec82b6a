package restapi

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"

	"tandem/internal/fail"
)

// Request bodies are read as Gerrit reads them, since scripts written
// against Gerrit send every one of these forms:
//
//   - application/json, parsed leniently as Gerrit's Gson does: comments,
//     unquoted names and values, single quotes, "=" for ":" and ";" for
//     ",". A bare JSON string fills the input's default field;
//   - text/plain: the whole body fills the default field;
//   - application/x-www-form-urlencoded on POST: each field is an input
//     field ("labels.Code-Review=+1" one level deep), its text converted
//     to the field's type;
//   - no body: the input keeps its zero value.
//
// The default field is the one tagged `rest:"default"` (Gerrit's
// @DefaultInput), or the input itself when it is a string.

// readJSON decodes the request body into v, which points at an input.
// Without a Content-Type a body that looks like JSON is JSON (Debian's
// pygerrit2 sends its reviews that way).
func readJSON(q *request, v any) error {
	body, err := readBody(q)
	if err != nil {
		return err
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	ct := q.r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	switch {
	case mt == "application/json" || ct == "" && (trimmed[0] == '{' || trimmed[0] == '['):
		return decodeJSON(trimmed, v)
	case mt == "text/plain":
		return setDefault(v, string(trimmed))
	case mt == "application/x-www-form-urlencoded" && q.method() == http.MethodPost:
		form, err := url.ParseQuery(string(trimmed))
		if err != nil {
			return fail.Errorf(fail.Invalid, "Invalid form in request")
		}
		data, err := json.Marshal(coerce(reflect.TypeOf(v).Elem(), formObject(form)))
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, v); err != nil {
			return fail.Wrap(fail.Invalid, err, "Invalid form in request")
		}
		return nil
	}
	return fail.Errorf(fail.Invalid, "Expected Content-Type: application/json")
}

// decodeJSON decodes JSON into v, as strict JSON or, when that fails, in
// Gson's lenient syntax.
func decodeJSON(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if _, malformed := err.(*json.SyntaxError); malformed {
		if strict, lerr := lenientJSON(data); lerr == nil {
			data = strict
			err = json.Unmarshal(data, v)
		}
	}
	var s string
	if _, wrongType := err.(*json.UnmarshalTypeError); wrongType && json.Unmarshal(data, &s) == nil {
		// A string where the input is an object fills its default field.
		return setDefault(v, s)
	}
	if err != nil {
		return fail.Wrap(fail.Invalid, err, "Invalid application/json in request")
	}
	return nil
}

// setDefault stores s in the default field of the input v points at.
func setDefault(v any, s string) error {
	rv := reflect.ValueOf(v).Elem()
	if rv.Kind() == reflect.String {
		rv.SetString(s)
		return nil
	}
	if rv.Kind() == reflect.Struct {
		for i := 0; i < rv.NumField(); i++ {
			if rv.Type().Field(i).Tag.Get("rest") == "default" && rv.Field(i).Kind() == reflect.String {
				rv.Field(i).SetString(strings.TrimSpace(s))
				return nil
			}
		}
	}
	return fail.Errorf(fail.Invalid, "Expected JSON object")
}

// formObject turns form fields into a JSON object as Gerrit does: a
// "name.key" field is key of the object name; a repeated field is a list.
func formObject(form url.Values) map[string]any {
	out := map[string]any{}
	for key, values := range form {
		obj := out
		if name, sub, ok := strings.Cut(key, "."); ok {
			inner, _ := out[name].(map[string]any)
			if inner == nil {
				if _, taken := out[name]; taken {
					continue
				}
				inner = map[string]any{}
				out[name] = inner
			}
			obj, key = inner, sub
		}
		if len(values) == 1 {
			obj[key] = values[0]
		} else {
			obj[key] = values
		}
	}
	return out
}

// coerce converts the form texts in v to the JSON types of t, which the
// JSON decoder then checks: "true" for a bool, "+1" for a number, one
// text for a list. Names t does not know are dropped, as JSON decoding
// would ignore them.
func coerce(t reflect.Type, v any) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := map[string]any{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			if x, ok := obj[name]; ok {
				out[name] = coerce(f.Type, x)
			}
		}
		return out
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := map[string]any{}
		for k, x := range obj {
			out[k] = coerce(t.Elem(), x)
		}
		return out
	case reflect.Slice:
		var out []any
		switch x := v.(type) {
		case []string:
			for _, s := range x {
				out = append(out, coerce(t.Elem(), s))
			}
		case string:
			out = append(out, coerce(t.Elem(), x))
		default:
			return v
		}
		return out
	}
	s, ok := v.(string)
	if !ok {
		if list, isList := v.([]string); isList && len(list) > 0 {
			s, ok = list[len(list)-1], true
		}
	}
	if !ok {
		return v
	}
	switch t.Kind() {
	case reflect.Bool:
		return strings.EqualFold(s, "true")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64); err == nil {
			return n
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		if n, err := strconv.ParseFloat(strings.TrimPrefix(s, "+"), 64); err == nil {
			return n
		}
	}
	return s
}

// lenientJSON rewrites the JSON that Gson's lenient reader accepts into
// strict JSON: comments (//, # and /* */) go, single-quoted strings and
// unquoted names and values become double-quoted strings, "=" and "=>"
// become ":", ";" becomes ",".
func lenientJSON(in []byte) ([]byte, error) {
	var out bytes.Buffer
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			out.WriteByte(c)
			i++
		case c == '#' || c == '/' && i+1 < len(in) && in[i+1] == '/':
			for i < len(in) && in[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(in) && in[i+1] == '*':
			end := bytes.Index(in[i+2:], []byte("*/"))
			if end < 0 {
				return nil, errLenient
			}
			i += end + 4
		case c == '"' || c == '\'':
			s, n, err := quoted(in[i:])
			if err != nil {
				return nil, err
			}
			b, _ := json.Marshal(s)
			out.Write(b)
			i += n
		case c == '=':
			out.WriteByte(':')
			i++
			if i < len(in) && in[i] == '>' {
				i++
			}
		case c == ';':
			out.WriteByte(',')
			i++
		case strings.IndexByte("{}[]:,", c) >= 0:
			out.WriteByte(c)
			i++
		default:
			j := i
			for j < len(in) && strings.IndexByte("{}[]:,;=#/\"' \t\n\r", in[j]) < 0 {
				j++
			}
			word := string(in[i:j])
			var probe any
			if word == "true" || word == "false" || word == "null" || json.Unmarshal([]byte(word), &probe) == nil {
				out.WriteString(word)
			} else {
				b, _ := json.Marshal(word)
				out.Write(b)
			}
			i = j
		}
	}
	return out.Bytes(), nil
}

var errLenient = fail.Errorf(fail.Invalid, "malformed JSON")

// quoted reads the single- or double-quoted string at the start of in,
// with JSON's escapes, and returns it and its length in bytes.
func quoted(in []byte) (string, int, error) {
	q := in[0]
	var b strings.Builder
	for i := 1; i < len(in); i++ {
		c := in[i]
		switch {
		case c == q:
			return b.String(), i + 1, nil
		case c == '\\' && i+1 < len(in):
			i++
			switch e := in[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'u':
				if i+4 >= len(in) {
					return "", 0, errLenient
				}
				r, err := strconv.ParseUint(string(in[i+1:i+5]), 16, 16)
				if err != nil {
					return "", 0, errLenient
				}
				i += 4
				if utf16.IsSurrogate(rune(r)) && i+6 < len(in) && in[i+1] == '\\' && in[i+2] == 'u' {
					if low, err := strconv.ParseUint(string(in[i+3:i+7]), 16, 16); err == nil {
						b.WriteRune(utf16.DecodeRune(rune(r), rune(low)))
						i += 6
						continue
					}
				}
				b.WriteRune(rune(r))
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errLenient
}
