package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ciamhq/ciam/internal/apperr"
)

type sample struct {
	Name    string   `json:"name"`
	Age     int      `json:"age"`
	Tags    []string `json:"tags"`
	Address struct {
		City string `json:"city"`
	} `json:"address"`
}

func decodeString(body, contentType string, limit int64) error {
	req := httptest.NewRequest("POST", "/", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	var v sample
	return Decode(httptest.NewRecorder(), req, &v, limit)
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		ct     string
		limit  int64
		code   apperr.Code
		field  string
		status int
	}{
		{name: "good", body: `{"name":"Ana","age":30,"tags":["a"],"address":{"city":"Lisbon"}}`, ct: "application/json; charset=utf-8"},
		{name: "malformed", body: `{"name":`, code: apperr.Malformed, status: 400},
		{name: "not json", body: `name=Ana`, code: apperr.Malformed, status: 400},
		{name: "empty", body: ``, code: apperr.Malformed, status: 400},
		{name: "unknown field", body: `{"name":"Ana","nickname":"A"}`, code: apperr.Malformed, field: "nickname", status: 400},
		{name: "wrong type", body: `{"age":"thirty"}`, code: apperr.Malformed, field: "age", status: 400},
		{name: "wrong nested type", body: `{"address":{"city":5}}`, code: apperr.Malformed, field: "address.city", status: 400},
		{name: "array instead of object", body: `[1,2]`, code: apperr.Malformed, status: 400},
		{name: "trailing data", body: `{"name":"Ana"} {"name":"Bob"}`, code: apperr.Malformed, status: 400},
		{name: "too large", body: `{"name":"` + strings.Repeat("x", 2000) + `"}`, limit: 1000, code: apperr.TooLarge, status: 413},
		{name: "wrong media type", body: `{}`, ct: "text/plain", code: apperr.Unsupported, status: 415},
		// Text the database would refuse, or the decoder would quietly
		// change, is refused with the field's path.
		{name: "escaped NUL", body: `{"name":"A\u0000na"}`, code: apperr.Malformed, field: "name", status: 400},
		{name: "invalid UTF-8", body: "{\"address\":{\"city\":\"Lis\xffbon\"}}", code: apperr.Malformed, field: "address.city", status: 400},
		{name: "lone high surrogate", body: `{"tags":["a","\ud800x"]}`, code: apperr.Malformed, field: "tags[1]", status: 400},
		{name: "lone low surrogate", body: `{"name":"\udc00"}`, code: apperr.Malformed, field: "name", status: 400},
		{name: "surrogate pair is fine", body: `{"name":"\ud83d\ude00"}`},
		{name: "escaped quote then NUL", body: `{"name":"a\"\u0000"}`, code: apperr.Malformed, field: "name", status: 400},
		{name: "duplicate key", body: `{"name":"Ana","name":"Bob"}`, code: apperr.Malformed, field: "name", status: 400},
		{name: "duplicate key in another case", body: `{"name":"Ana","Name":"Bob"}`, code: apperr.Malformed, field: "Name", status: 400},
		{name: "duplicate key in a folding case", body: `{"name":"Ana","nameſ":"x","NAMEs":"Bob"}`, code: apperr.Malformed, field: "NAMEs", status: 400},
		{name: "duplicate nested key", body: `{"address":{"city":"A","city":"B"}}`, code: apperr.Malformed, field: "address.city", status: 400},
		{name: "same key in two objects is fine", body: `{"name":"A","address":{"name":"x"}}`, code: apperr.Malformed, field: "address.name", status: 400},
		{name: "nested too deep", body: `{"tags":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`, code: apperr.Malformed, status: 400},
		{name: "NUL in a key", body: `{"na\u0000me":"A"}`, code: apperr.Malformed, field: "body", status: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := decodeString(tc.body, tc.ct, tc.limit)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != tc.code || StatusOf(e.Code) != tc.status {
				t.Fatalf("err = %v; want %s (%d)", err, tc.code, tc.status)
			}
			if tc.field != "" && (len(e.Fields) != 1 || e.Fields[0].Field != tc.field) {
				t.Fatalf("fields = %+v; want %s", e.Fields, tc.field)
			}
		})
	}
}

// Whatever the body, decoding ends in success or a domain error a caller
// can answer with a 4xx: never a panic, never an internal error.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{`{"name":"Ana","age":3}`, `{"tags":[1]}`, `{"address":{"city":null}}`, `[]`, `{`, `"x"`, `{"age":1e999}`, "\x00", `{"name":"\u0000"}`, `{"name":"\ud800\udc00"}`, `{"tags":["\udc00"]}`, `{"a":{"b":1,"B":2}}`, "{\"name\":\"\xff\"}"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		err := decodeString(body, "application/json", 4096)
		if err == nil {
			return
		}
		e, ok := apperr.As(err)
		if !ok {
			t.Fatalf("body %q: error %v is not a domain error", body, err)
		}
		if s := StatusOf(e.Code); s < 400 || s >= 500 {
			t.Fatalf("body %q: status %d", body, s)
		}
	})
}

func TestWriteErrorEnvelope(t *testing.T) {
	a := New(Deps{})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	a.WriteError(rec, req, apperr.Validation(apperr.FieldError{Field: "email", Issue: "is not an e-mail address"}))
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"code":"VALIDATION_FAILED"`) ||
		!strings.Contains(rec.Body.String(), `"details":[{"field":"email","issue":"is not an e-mail address"}]`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	a.WriteError(rec, req, errNoToken)
	if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") == "" || !strings.Contains(rec.Body.String(), `"details":[]`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}
