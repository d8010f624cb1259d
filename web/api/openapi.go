package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/ciamhq/ciam/internal/credential"
)

// Operation documents one API route for the OpenAPI description.
type Operation struct {
	Summary     string
	Description string
	Tag         string
	// Request is the JSON schema of the body, nil for none.
	Request map[string]any
	// FormRequest is the schema of a form body (the token endpoint).
	FormRequest map[string]any
	// Response is the schema of the success body's data (wrapped in the
	// envelope unless Raw).
	Response map[string]any
	Status   int // success status; 200 when zero
	Raw      bool
	Query    []Param
	Errors   []int
}

// Param is a query parameter.
type Param struct {
	Name     string
	Required bool
	Schema   map[string]any
	Doc      string
}

var (
	opsMu      sync.Mutex
	operations = map[string]Operation{}
)

// Document registers the documentation of the route pattern ("METHOD
// /path"). Each area's file documents its routes next to their handlers.
func Document(pattern string, op Operation) {
	opsMu.Lock()
	defer opsMu.Unlock()
	operations[pattern] = op
}

// Documented reports whether pattern has documentation.
func Documented(pattern string) bool {
	opsMu.Lock()
	defer opsMu.Unlock()
	_, ok := operations[pattern]
	return ok
}

// Schema helpers.
func obj(props map[string]any, required ...string) map[string]any {
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}
func str(doc string) map[string]any { return map[string]any{"type": "string", "description": doc} }
func strEnum(doc string, values ...string) map[string]any {
	return map[string]any{"type": "string", "description": doc, "enum": values}
}
func integer(doc string) map[string]any { return map[string]any{"type": "integer", "description": doc} }
func boolean(doc string) map[string]any { return map[string]any{"type": "boolean", "description": doc} }
func array(items map[string]any) map[string]any {
	return map[string]any{"type": "array", "items": items}
}
func uuidStr(doc string) map[string]any {
	return map[string]any{"type": "string", "format": "uuid", "description": doc}
}

var pathParam = regexp.MustCompile(`\{([^}$]+)\}`)

// RouteInfo is what the spec needs of a route.
type RouteInfo struct {
	Pattern string
	Access  Access
}

// Spec builds the OpenAPI 3.1 document of routes.
func Spec(routes []RouteInfo, serverURL string) map[string]any {
	opsMu.Lock()
	defer opsMu.Unlock()
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		op, ok := operations[rt.Pattern]
		if !ok {
			continue
		}
		o := map[string]any{"summary": op.Summary, "tags": []string{op.Tag}, "operationId": operationID(method, path)}
		if op.Description != "" {
			o["description"] = op.Description
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range op.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "required": q.Required, "schema": q.Schema, "description": q.Doc})
		}
		if rt.Access != AccessPublic {
			params = append(params, map[string]any{"$ref": "#/components/parameters/TenantID"})
			scope, customer := rt.Access.Parse()
			sec := []any{} // tenant-public: no token
			if scope != "" {
				sec = append(sec, map[string]any{"adminToken": []string{scope}})
			}
			if customer {
				sec = append(sec, map[string]any{"customerToken": []string{}})
			}
			o["security"] = sec
			if method == http.MethodPost {
				params = append(params, map[string]any{"$ref": "#/components/parameters/IdempotencyKey"})
			}
		} else {
			o["security"] = []any{}
		}
		if len(params) > 0 {
			o["parameters"] = params
		}
		if op.Request != nil {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": op.Request}}}
		}
		if op.FormRequest != nil {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/x-www-form-urlencoded": map[string]any{"schema": op.FormRequest}}}
		}
		status := op.Status
		if status == 0 {
			status = http.StatusOK
		}
		body := op.Response
		if !op.Raw && body != nil {
			body = obj(map[string]any{"data": op.Response}, "data")
		}
		responses := map[string]any{}
		ok200 := map[string]any{"description": http.StatusText(status)}
		if body != nil {
			ok200["content"] = map[string]any{"application/json": map[string]any{"schema": body}}
		}
		responses[itoa(status)] = ok200
		errs := append([]int{}, op.Errors...)
		switch rt.Access {
		case AccessPublic:
		case AccessTenantPublic:
			errs = append(errs, 400, 403, 404)
		default:
			errs = append(errs, 400, 401, 403, 404)
		}
		errs = slices.Compact(slices.Sorted(slices.Values(errs)))
		for _, e := range errs {
			responses[itoa(e)] = map[string]any{"$ref": "#/components/responses/Error"}
		}
		o["responses"] = responses
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(method)] = o
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "ciam customer API",
			"version":     "2.1",
			"description": "Registration, sessions, KYC, screening and configuration for a fintech's customer apps. Every call but the token endpoint sends X-Tenant-ID; every call but sign-in and refresh also sends a bearer token.",
		},
		"servers": []any{map[string]any{"url": serverURL}},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"adminToken": map[string]any{"type": "oauth2", "description": "The tenant backend's token (client credentials).",
					"flows": map[string]any{"clientCredentials": map[string]any{"tokenUrl": "/oauth/token", "scopes": scopeDocs()}}},
				"customerToken": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
					"description": "A customer's access token from POST /api/v2.1/customer/session."},
			},
			"parameters": map[string]any{
				"TenantID": map[string]any{"name": "X-Tenant-ID", "in": "header", "required": true,
					"description": "The tenant's slug or UUID.", "schema": map[string]any{"type": "string"}},
				"IdempotencyKey": map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
					"description": "A repeat with the same key and body returns the first response (Idempotent-Replayed: true).",
					"schema":      map[string]any{"type": "string", "maxLength": 255}},
			},
			"responses": map[string]any{
				"Error": map[string]any{"description": "The error envelope", "content": map[string]any{"application/json": map[string]any{"schema": errorSchema}}},
			},
		},
	}
}

var errorSchema = obj(map[string]any{"error": obj(map[string]any{
	"code":    str("machine-readable error code, e.g. VALIDATION_FAILED"),
	"message": str("what went wrong, for people"),
	"details": array(obj(map[string]any{"field": str("the field"), "issue": str("what is wrong with it")})),
	"traceId": str("the request's trace id"),
}, "code", "message", "details", "traceId")}, "error")

func scopeDocs() map[string]string {
	out := map[string]string{}
	for _, s := range credential.Scopes {
		out[s.Name] = s.Info
	}
	return out
}

func operationID(method, path string) string {
	path = strings.TrimPrefix(path, Prefix)
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	up := true
	for _, r := range path {
		switch {
		case r == '/' || r == '-' || r == '.' || r == '{' || r == '}' || r == '$' || r == '_':
			up = true
		case up:
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// HandleOpenAPI serves the spec built from routes.
func (a *API) HandleOpenAPI(routes func() []RouteInfo, serverURL string) http.Handler {
	var (
		once sync.Once
		b    []byte
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { b, _ = json.MarshalIndent(Spec(routes(), serverURL), "", "  ") })
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(b)
	})
}

func init() {
	Document("POST /oauth/token", Operation{
		Tag: "Authentication", Summary: "Issue an admin token (OAuth 2.0 client credentials)",
		Description: "Authenticate with client_id and client_secret (form fields or HTTP Basic). Errors follow RFC 6749 ({\"error\",\"error_description\"}).",
		FormRequest: obj(map[string]any{
			"grant_type":    strEnum("must be client_credentials", "client_credentials"),
			"client_id":     str("the API client's id"),
			"client_secret": str("the API client's secret"),
			"scope":         str("space-separated scopes; all of the client's when omitted"),
		}, "grant_type"),
		Response: obj(map[string]any{
			"access_token": str("a signed JWT"), "token_type": strEnum("always Bearer", "Bearer"),
			"expires_in": integer("seconds"), "scope": str("space-separated scopes granted"),
		}, "access_token", "token_type", "expires_in", "scope"),
		Raw: true, Errors: []int{400, 401},
	})
	Document("GET /.well-known/jwks.json", Operation{
		Tag: "Authentication", Summary: "The public keys tokens are signed with",
		Response: obj(map[string]any{"keys": array(map[string]any{"type": "object"})}, "keys"), Raw: true,
	})
	Document("GET "+Prefix+"/openapi.json", Operation{
		Tag: "Meta", Summary: "This description of the API (OpenAPI 3.1)", Response: map[string]any{"type": "object"}, Raw: true,
	})
}
