package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// badJSON are the bad texts a JSON string can carry, as they are written
// in the body: the marker in a marshalled body is replaced by each.
var badJSON = map[string]string{
	"escaped NUL":         `\u0000`,
	"invalid UTF-8":       "\xff",
	"lone surrogate":      `\ud800`,
	"lone low surrogate":  `\udfff`,
	"raw invalid UTF-8 2": "\xc3\x28",
}

// badText are the bad texts of form fields, query parameters and path
// values, before percent-encoding.
var badText = map[string]string{"NUL": "a\x00b", "invalid UTF-8": "a\xffb"}

const marker = "@@BAD@@"

// probe is one request of the walk.
type probe struct {
	name    string
	method  string
	path    string
	body    []byte
	ctype   string
	headers map[string]string
	cookie  *http.Cookie
	// want4xx asks for a 400 naming field, besides no 5xx; "" asks only
	// for no 5xx.
	field string
}

// walkContext is what the probes need: tokens, a session, real ids.
type walkContext struct {
	tenant       string
	admin        string
	customer     string
	customerID   string
	email        string
	verification string
	cookie       *http.Cookie
}

// Every route the server registers, sent text the database would refuse
// or the server would silently change (NUL, invalid UTF-8, lone
// surrogates, duplicate keys) in every JSON field, form field, path
// parameter, query parameter and header, with and without a token, and
// the portal's forms as a tenant administrator: no answer is a 5xx, and
// the bad text in a JSON body, form or query is refused with 400 naming
// the field.
func TestBadTextNeverReachesTheDatabase(t *testing.T) {
	h := newHarness(t)
	var scopes []string
	for _, s := range credential.Scopes {
		scopes = append(scopes, s.Name)
	}
	admin := h.adminToken(h.tenant, scopes...)
	body := variant(t, func(m map[string]any) { delete(m, "categorization") })
	resp, out := h.apiCall("POST", registerPath, h.tenant.Slug, admin, body, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %v", resp.StatusCode, out)
	}
	var reg map[string]any
	_ = json.Unmarshal([]byte(body), &reg)
	wc := walkContext{tenant: h.tenant.Slug, admin: admin, customerID: data(out)["customerId"].(string),
		verification: data(out)["verificationRequestId"].(string), email: reg["email"].(string)}
	wc.customer, _ = h.customerTokens(wc.email)
	_, wc.cookie = h.signIn(staff.TenantAdmin)

	probes := apiProbes(t, h, wc)
	probes = append(probes, portalProbes(t, h, wc)...)
	probes = append(probes, tokenProbes(wc)...)

	type failure struct {
		p      probe
		status int
		body   string
	}
	var (
		mu       sync.Mutex
		failures []failure
		jobs     = make(chan probe)
		wg       sync.WaitGroup
	)
	client := &http.Client{Timeout: time.Minute, CheckRedirect: noRedirect.CheckRedirect}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				status, b := send(t, client, h.srv.URL, p)
				// Refused for want of a token, a scope or a tenant is
				// fine; taken, or refused for anything but the bad text,
				// means it got past the check.
				bad := status >= 500 || status == 0
				if p.field != "" && !bad {
					bad = status < 400 || status == http.StatusUnprocessableEntity || status == http.StatusConflict ||
						(status == http.StatusBadRequest && !strings.Contains(b, p.field))
				}
				if bad {
					mu.Lock()
					failures = append(failures, failure{p, status, b})
					mu.Unlock()
				}
			}
		}()
	}
	for _, p := range probes {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	sort.Slice(failures, func(i, j int) bool { return failures[i].p.name < failures[j].p.name })
	if len(failures) > 0 {
		n := 0
		for _, f := range failures {
			if f.status >= 500 {
				n++
			}
		}
		t.Errorf("%d of %d requests got past the check, %d of them with a 5xx", len(failures), len(probes), n)
	}
	for i, f := range failures {
		if i == 40 {
			t.Errorf("... and %d more", len(failures)-i)
			break
		}
		t.Errorf("%s: %s %s: %d %.200s", f.p.name, f.p.method, f.p.path, f.status, f.body)
	}
	t.Logf("%d requests", len(probes))
}

func send(t *testing.T, client *http.Client, base string, p probe) (int, string) {
	req, err := http.NewRequestWithContext(t.Context(), p.method, base+p.path, bytes.NewReader(p.body))
	if err != nil {
		return 0, err.Error()
	}
	if p.ctype != "" {
		req.Header.Set("Content-Type", p.ctype)
	}
	for k, v := range p.headers {
		req.Header.Set(k, v)
	}
	if p.cookie != nil {
		req.AddCookie(p.cookie)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// apiProbes are the probes of the API's routes, as its OpenAPI description
// lists them: JSON bodies built from each operation's schema (or the
// guide's example), with every string in turn made bad.
func apiProbes(t *testing.T, h *harness, wc walkContext) []probe {
	resp, spec := h.apiCall("GET", api.Prefix+"/openapi.json", "", "", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("spec: %d", resp.StatusCode)
	}
	schemas, _ := spec["components"].(map[string]any)["schemas"].(map[string]any)
	var out []probe
	paths := spec["paths"].(map[string]any)
	for path, ops := range paths {
		for method, v := range ops.(map[string]any) {
			op, ok := v.(map[string]any)
			if !ok || path == "/oauth/token" {
				continue
			}
			method = strings.ToUpper(method)
			name := method + " " + path
			concrete := pathWith(path, func(param string) string { return realID(param, wc) })
			auths := map[string]map[string]string{
				"no token":       {"X-Tenant-ID": wc.tenant},
				"admin token":    {"X-Tenant-ID": wc.tenant, "Authorization": "Bearer " + wc.admin},
				"customer token": {"X-Tenant-ID": wc.tenant, "Authorization": "Bearer " + wc.customer},
			}
			for who, hd := range auths {
				// Path parameters.
				for kind, bad := range badText {
					if strings.Contains(path, "{") {
						p := pathWith(path, func(string) string { return url.PathEscape(bad) })
						out = append(out, probe{name: name + " path " + kind + " " + who, method: method, path: p, headers: hd})
					}
					// Query parameters: the documented ones, and one nobody knows.
					q := url.Values{"unknownParam": {bad}}
					if params, ok := op["parameters"].([]any); ok {
						for _, pv := range params {
							pm, _ := pv.(map[string]any)
							if pm["in"] == "query" {
								q.Set(pm["name"].(string), bad)
							}
						}
					}
					out = append(out, probe{name: name + " query " + kind + " " + who, method: method, path: concrete + "?" + q.Encode(),
						headers: hd, field: firstKey(q)})
					// Headers that reach the database.
					for _, hn := range []string{"X-Tenant-ID", "Idempotency-Key", "User-Agent"} {
						if kind == "NUL" {
							continue // net/http refuses NUL in headers itself
						}
						hd2 := map[string]string{}
						for k, v := range hd {
							hd2[k] = v
						}
						hd2[hn] = bad
						out = append(out, probe{name: name + " header " + hn + " " + who, method: method, path: concrete, headers: hd2,
							body: []byte(`{}`), ctype: "application/json"})
					}
				}
				rb, _ := op["requestBody"].(map[string]any)
				content, _ := rb["content"].(map[string]any)
				js, ok := content["application/json"].(map[string]any)
				if !ok {
					continue
				}
				base := exampleOf(js)
				if base == nil {
					base = synth(js["schema"], schemas, "", 0)
				}
				fill(base, wc)
				for _, leaf := range stringLeaves(base, "") {
					for kind, bad := range badJSON {
						b := marshalWithBad(base, leaf, bad)
						out = append(out, probe{name: name + " body " + leaf + " " + kind + " " + who, method: method, path: concrete,
							body: b, ctype: "application/json", headers: hd, field: leafField(leaf)})
					}
				}
				// A key given twice, at the top and one level down.
				for _, leaf := range dupTargets(base) {
					b := marshalWithDup(base, leaf)
					out = append(out, probe{name: name + " body duplicate " + leaf + " " + who, method: method, path: concrete,
						body: b, ctype: "application/json", headers: hd, field: leaf})
				}
				if strings.HasSuffix(path, "/documents/upload") {
					out = append(out, multipartProbes(name+" multipart "+who, concrete, hd, wc)...)
				}
			}
		}
	}
	return out
}

// firstKey is m's first key in order: the field a check that goes through
// them in order names first.
func firstKey[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// leafField is the field a probe of leaf expects the answer to name; the
// answer prints it escaped as JSON would.
func leafField(leaf string) string { return leaf }

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

func pathWith(path string, value func(param string) string) string {
	return pathParam.ReplaceAllStringFunc(path, func(m string) string { return value(strings.Trim(m, "{}.")) })
}

func realID(param string, wc walkContext) string {
	switch param {
	case "tenantId":
		return wc.tenant
	case "id":
		return wc.customerID
	}
	return uuid.NewString()
}

func exampleOf(js map[string]any) map[string]any {
	exs, _ := js["examples"].(map[string]any)
	keys := make([]string, 0, len(exs))
	for k := range exs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v, ok := exs[k].(map[string]any)["value"].(map[string]any); ok {
			b, _ := json.Marshal(v)
			var c map[string]any
			_ = json.Unmarshal(b, &c)
			return c
		}
	}
	return nil
}

// synth is a value that fits schema s, good enough to get past decoding.
func synth(s any, schemas map[string]any, name string, depth int) map[string]any {
	v, _ := synthValue(s, schemas, name, depth).(map[string]any)
	if v == nil {
		v = map[string]any{}
	}
	return v
}

func synthValue(s any, schemas map[string]any, name string, depth int) any {
	m, _ := s.(map[string]any)
	if m == nil || depth > 6 {
		return "x"
	}
	if ref, ok := m["$ref"].(string); ok {
		return synthValue(schemas[strings.TrimPrefix(ref, "#/components/schemas/")], schemas, name, depth+1)
	}
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		if alts, ok := m[k].([]any); ok && len(alts) > 0 {
			return synthValue(alts[0], schemas, name, depth+1)
		}
	}
	if enum, ok := m["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	typ := m["type"]
	if ts, ok := typ.([]any); ok && len(ts) > 0 {
		typ = ts[0]
	}
	switch typ {
	case "object":
		out := map[string]any{}
		props, _ := m["properties"].(map[string]any)
		for k, p := range props {
			out[k] = synthValue(p, schemas, k, depth+1)
		}
		return out
	case "array":
		return []any{synthValue(m["items"], schemas, name, depth+1)}
	case "integer", "number":
		return 1
	case "boolean":
		return true
	}
	switch m["format"] {
	case "uuid":
		return uuid.NewString()
	case "date":
		return "1990-01-01"
	case "date-time":
		return time.Now().UTC().Format(time.RFC3339)
	}
	return "x"
}

// fill puts real values where the server would otherwise stop before the
// database: the registered customer, its verification request, its e-mail.
func fill(v any, wc walkContext) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			switch k {
			case "customerId":
				v[k] = wc.customerID
			case "verificationRequestId":
				v[k] = wc.verification
			case "tenantId":
				v[k] = wc.tenant
			case "email":
				if _, ok := e.(string); ok && !strings.Contains(e.(string), "@") {
					v[k] = wc.email
				}
			case "amount":
				v[k] = "10.00"
			case "currency", "walletCurrency":
				v[k] = "EUR"
			case "country", "nationality", "issuingCountry":
				if _, ok := e.(string); ok {
					v[k] = "GB"
				}
			case "content":
				if _, ok := e.(string); ok {
					v[k] = base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nnot really a picture"))
				}
			case "timestamp":
				v[k] = time.Now().UTC().Format(time.RFC3339)
			default:
				fill(e, wc)
			}
		}
	case []any:
		for _, e := range v {
			fill(e, wc)
		}
	}
}

// stringLeaves are the paths of v's strings ("counterparty.name",
// "documents[0].fileName").
func stringLeaves(v any, path string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out = append(out, stringLeaves(e, p)...)
		}
	case []any:
		for i, e := range v {
			out = append(out, stringLeaves(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case string:
		out = append(out, path)
	}
	sort.Strings(out)
	return out
}

// marshalWithBad is v with the string at leaf followed by bad, as raw
// JSON text.
func marshalWithBad(v map[string]any, leaf, bad string) []byte {
	c := deepCopy(v)
	setLeaf(c, leaf, func(s any) any { return fmt.Sprint(s) + marker })
	b, _ := json.Marshal(c)
	return bytes.Replace(b, []byte(marker), []byte(bad), 1)
}

func deepCopy(v map[string]any) map[string]any {
	b, _ := json.Marshal(v)
	var c map[string]any
	_ = json.Unmarshal(b, &c)
	return c
}

var leafPart = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)

func setLeaf(v any, leaf string, change func(any) any) {
	parts := leafPart.FindAllStringSubmatch(leaf, -1)
	cur := v
	for i, p := range parts {
		last := i == len(parts)-1
		if p[1] != "" {
			m := cur.(map[string]any)
			if last {
				m[p[1]] = change(m[p[1]])
				return
			}
			cur = m[p[1]]
		} else {
			var n int
			fmt.Sscan(p[2], &n)
			a := cur.([]any)
			if last {
				a[n] = change(a[n])
				return
			}
			cur = a[n]
		}
	}
}

// dupTargets are the keys of v's top level, and of its objects one level
// down, that a probe gives twice.
func dupTargets(v map[string]any) []string {
	var out []string
	for k, e := range v {
		out = append(out, k)
		if m, ok := e.(map[string]any); ok && len(m) > 0 {
			out = append(out, k+"."+firstKey(m))
		}
	}
	sort.Strings(out)
	return out
}

// marshalWithDup is v with the key at path written twice, the second time
// with another value.
func marshalWithDup(v map[string]any, path string) []byte {
	c := deepCopy(v)
	parent := any(c)
	key := path
	if a, b, ok := strings.Cut(path, "."); ok {
		parent, key = c[a], b
	}
	m := parent.(map[string]any)
	m[key+marker] = m[key]
	b, _ := json.Marshal(c)
	return bytes.Replace(b, []byte(`"`+key+marker+`"`), []byte(`"`+key+`"`), 1)
}

func multipartProbes(name, path string, hd map[string]string, wc walkContext) []probe {
	var out []probe
	for kind, bad := range badText {
		for _, target := range []string{"filename", "documents[0].fileName", "documents[0].type", "documents[0].subType", "documents[0].mimeType"} {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			_ = mw.WriteField("verificationRequestId", wc.verification)
			for _, f := range []string{"documents[0].type", "documents[0].subType", "documents[0].fileName", "documents[0].mimeType"} {
				val := map[string]string{"documents[0].type": "IDENTITY_DOCUMENT", "documents[0].subType": "PASSPORT",
					"documents[0].fileName": "passport.png", "documents[0].mimeType": "image/png"}[f]
				if f == target {
					val += bad
				}
				_ = mw.WriteField(f, val)
			}
			fn := "passport.png"
			if target == "filename" {
				fn += bad
			}
			fw, _ := mw.CreateFormFile("documents[0].content", fn)
			_, _ = fw.Write([]byte("\x89PNG\r\n\x1a\nnot really"))
			_ = mw.Close()
			field := target
			if target == "filename" {
				field = "documents[0].fileName"
				if kind == "NUL" {
					// A NUL breaks the part's header: "could not be read".
					field = ""
				}
			}
			out = append(out, probe{name: name + " " + target + " " + kind, method: "POST", path: path, body: buf.Bytes(),
				ctype: mw.FormDataContentType(), headers: hd, field: field})
		}
	}
	return out
}

// portalProbes are the portal's POST routes as a tenant administrator,
// with every form field any portal page offers given bad text, and their
// path parameters made bad.
func portalProbes(t *testing.T, h *harness, wc walkContext) []probe {
	names := map[string]bool{}
	input := regexp.MustCompile(`name="([^"]+)"`)
	var out []probe
	for _, rt := range h.s.routes() {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if rt.Access.isAPI() || strings.HasPrefix(path, "/static/") || path == "/auth/callback" || path == "/login" {
			continue
		}
		if method == http.MethodGet && !strings.Contains(path, "{") {
			resp := h.get(strings.TrimSuffix(path, "{$}"), wc.cookie)
			b, _ := io.ReadAll(resp.Body)
			for _, m := range input.FindAllStringSubmatch(string(b), -1) {
				names[m[1]] = true
			}
		}
	}
	for _, rt := range h.s.routes() {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if rt.Access.isAPI() || strings.HasPrefix(path, "/static/") {
			continue
		}
		for kind, bad := range badText {
			if strings.Contains(path, "{") {
				p := pathWith(path, func(string) string { return url.PathEscape(bad) })
				out = append(out, probe{name: rt.Pattern + " path " + kind, method: method, path: p, cookie: wc.cookie})
			}
			concrete := pathWith(strings.TrimSuffix(path, "{$}"), func(string) string { return uuid.NewString() })
			out = append(out, probe{name: rt.Pattern + " query " + kind, method: method, path: concrete + "?q=" + url.QueryEscape(bad),
				cookie: wc.cookie, field: "q"})
			if method != http.MethodPost {
				continue
			}
			for _, who := range []string{"signed in", "signed out"} {
				f := url.Values{}
				for n := range names {
					f.Set(n, "x"+bad)
				}
				p := probe{name: rt.Pattern + " form " + kind + " " + who, method: method, path: concrete, body: []byte(f.Encode()),
					ctype: "application/x-www-form-urlencoded", field: firstKey(f)}
				if who == "signed in" {
					p.cookie = wc.cookie
				}
				out = append(out, p)
			}
		}
	}
	return out
}

// tokenProbes are the token endpoint's: bad text in every form field and
// in HTTP Basic credentials, each answered in RFC 6749's shape.
func tokenProbes(wc walkContext) []probe {
	var out []probe
	for kind, bad := range badText {
		for _, field := range []string{"client_id", "client_secret", "scope", "grant_type"} {
			f := url.Values{"grant_type": {"client_credentials"}, "client_id": {"a"}, "client_secret": {"b"}}
			f.Set(field, "a"+bad)
			out = append(out, probe{name: "token " + field + " " + kind, method: "POST", path: "/oauth/token", body: []byte(f.Encode()),
				ctype: "application/x-www-form-urlencoded", field: `"error":"invalid_request"`})
		}
	}
	return out
}
