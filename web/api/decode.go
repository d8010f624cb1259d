package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/ciamhq/ciam/internal/apperr"
)

// MaxBody is the default limit of a JSON request body.
const MaxBody = 1 << 20

// Decode reads one JSON object from r's body into v: at most limit bytes,
// no unknown fields, nothing after the object. Problems become domain
// errors naming the field where one can be named.
func Decode(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return apperr.New(apperr.Unsupported, "send the body as application/json")
		}
	}
	if limit <= 0 {
		limit = MaxBody
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	return decodeJSON(body, v, limit)
}

// DecodeBytes is Decode for a body already read.
func DecodeBytes(b []byte, v any) error {
	return decodeJSON(bytes.NewReader(b), v, int64(len(b))+1)
}

func decodeJSON(body io.Reader, v any, limit int64) error {
	// The body is read whole first: its raw text is scanned for what the
	// decoder would let through (bad UTF-8, lone surrogates, NULs,
	// duplicate keys), and an unknown field can be named by its whole
	// path (individualCustomer.nickname), which the decoder's own error
	// leaves out.
	raw, err := io.ReadAll(body)
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return tooLarge(limit)
		}
		return malformed("the body could not be read")
	}
	if err := scanJSONText(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return malformed("the body must hold a single JSON object and nothing after it")
		}
		return nil
	}
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		maxErr    *http.MaxBytesError
	)
	switch {
	case errors.As(err, &maxErr):
		return tooLarge(limit)
	case errors.As(err, &syntaxErr):
		return malformed(fmt.Sprintf("the body is not valid JSON (at byte %d)", syntaxErr.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("the body is not valid JSON (it ends too early)")
	case errors.Is(err, io.EOF):
		return malformed("the body is empty; send a JSON object")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return malformed(fmt.Sprintf("the body must be a JSON object, not %s", typeErr.Value))
		}
		e := malformed(fmt.Sprintf("field %s must be %s, not %s", field, jsonType(typeErr.Type.Kind().String()), typeErr.Value))
		e.Fields = []apperr.FieldError{{Field: field, Issue: fmt.Sprintf("must be %s, not %s", jsonType(typeErr.Type.Kind().String()), typeErr.Value)}}
		return e
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if path := unknownFieldPath(raw, reflect.TypeOf(v)); path != "" {
			field = path
		}
		e := malformed(fmt.Sprintf("unknown field %q", field))
		e.Fields = []apperr.FieldError{{Field: field, Issue: "is not a field of this request"}}
		return e
	default:
		return malformed("the body could not be read: " + err.Error())
	}
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	default:
		return "another type"
	}
}

func malformed(msg string) *apperr.Error {
	return apperr.New(apperr.Malformed, "%s", msg).WithAPI("INVALID_REQUEST")
}

func tooLarge(limit int64) error {
	return apperr.New(apperr.TooLarge, "the body is larger than %d bytes", limit).WithAPI("PAYLOAD_TOO_LARGE")
}

// unknownFieldPath finds the first key of the JSON object in body that t
// (a struct, or a pointer to one) has no field for, and returns its path
// from the root ("individualCustomer.address.floor",
// "documents[1].metadata.colour"). It returns "" when it finds none.
func unknownFieldPath(body []byte, t reflect.Type) string {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return ""
	}
	return walkUnknown(doc, t, "")
}

func walkUnknown(v any, t reflect.Type, path string) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t == reflect.TypeFor[json.RawMessage]() {
		return ""
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys) // the same answer for the same body
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			f, ok := jsonField(t, k)
			if !ok {
				return p
			}
			if found := walkUnknown(obj[k], f.Type, p); found != "" {
				return found
			}
		}
	case reflect.Slice, reflect.Array:
		arr, ok := v.([]any)
		if !ok {
			return ""
		}
		for i, e := range arr {
			if found := walkUnknown(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); found != "" {
				return found
			}
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		for k, e := range obj {
			if found := walkUnknown(e, t.Elem(), path+"."+k); found != "" {
				return found
			}
		}
	}
	return ""
}

// jsonField finds the field of struct type t that the JSON key k decodes
// into, as encoding/json matches them (exact name first, then without
// regard to case), looking into embedded structs.
func jsonField(t reflect.Type, k string) (reflect.StructField, bool) {
	var fold *reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if sf, ok := jsonField(et, k); ok {
					return sf, true
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == k {
			return f, true
		}
		if fold == nil && strings.EqualFold(name, k) {
			fold = &f
		}
	}
	if fold != nil {
		return *fold, true
	}
	return reflect.StructField{}, false
}
