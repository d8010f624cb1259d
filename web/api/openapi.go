package api

import (
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/ciamhq/ciam/docs/contract"
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
	// Errors are the error statuses of the operation besides the ones
	// every operation of its kind can answer (see commonCodes).
	Errors []int
	// Codes are the error codes the operation can answer, by status,
	// besides the common ones; a status here need not be in Errors.
	Codes map[int][]string
	// OAuthErrors says that errors come in RFC 6749's shape
	// ({"error","error_description"}) instead of the error envelope.
	OAuthErrors bool
	// RequestExamples and ResponseExamples name the guides' examples of
	// the operation (files of docs/contract), published as written.
	RequestExamples, ResponseExamples []string
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
func stringMap(doc string) map[string]any {
	return map[string]any{"type": "object", "description": doc, "additionalProperties": map[string]any{"type": "string"}}
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
	allCodes := map[string]bool{"INTERNAL_ERROR": true, "UNAVAILABLE": true, "SERVICE_UNAVAILABLE": true}
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
			media := map[string]any{"schema": closed(op.Request)}
			if ex := examples(op.RequestExamples); ex != nil {
				media["examples"] = ex
			}
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": media}}
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
			media := map[string]any{"schema": body}
			if ex := examples(op.ResponseExamples); ex != nil {
				media["examples"] = ex
			}
			ok200["content"] = map[string]any{"application/json": media}
		}
		responses[itoa(status)] = ok200
		if op.OAuthErrors {
			for _, e := range op.Errors {
				responses[itoa(e)] = map[string]any{"$ref": "#/components/responses/OAuthError"}
			}
		} else {
			for st, codes := range errorCodes(rt.Access, method, op) {
				for _, c := range codes {
					allCodes[c] = true
				}
				responses[itoa(st)] = map[string]any{
					"description":   http.StatusText(st) + ": " + strings.Join(codes, ", "),
					"x-error-codes": codes,
					"content":       map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}},
				}
			}
		}
		responses["default"] = map[string]any{"$ref": "#/components/responses/Error"}
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
			"schemas": map[string]any{"Error": errorSchema, "OAuthError": oauthErrorSchema,
				"ErrorCode": strEnum("every code the API answers; each response lists its own in x-error-codes", slices.Sorted(maps.Keys(allCodes))...)},
			"responses": map[string]any{
				"Error": map[string]any{"description": "The error envelope: INTERNAL_ERROR (500), UNAVAILABLE (503) or SERVICE_UNAVAILABLE (503 with Retry-After: the database is away for a moment), quoting the trace id",
					"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
				"OAuthError": map[string]any{"description": "An RFC 6749 error",
					"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/OAuthError"}}}},
			},
		},
	}
}

// errorSchema is the error envelope. Each response lists the codes it can
// carry in x-error-codes (and in its description); ErrorCode is them all.
var errorSchema = obj(map[string]any{"error": obj(map[string]any{
	"code":    map[string]any{"$ref": "#/components/schemas/ErrorCode"},
	"message": str("what went wrong, for people"),
	"details": array(obj(map[string]any{"field": str("the field's full JSON path, e.g. individualCustomer.email"), "issue": str("what is wrong with it")}, "field", "issue")),
	"traceId": str("the request's trace id"),
}, "code", "message", "details", "traceId")}, "error")

var oauthErrorSchema = obj(map[string]any{
	"error":             strEnum("", "invalid_request", "invalid_client", "invalid_scope", "unsupported_grant_type"),
	"error_description": str("what went wrong, for people"),
}, "error")

// defaultCodes is the code of an error of each status that carries no
// more precise one (envelope.go's defaults).
var defaultCodes = map[int]string{
	400: "INVALID_REQUEST", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE",
	415: "UNSUPPORTED_MEDIA_TYPE", 422: "VALIDATION_FAILED", 423: "LOCKED", 429: "RATE_LIMITED",
}

// errorCodes is every error code op can answer, by status: its own, the
// default of each of its statuses, and those of the guard, the JSON
// decoder and idempotency that every operation of its kind shares.
func errorCodes(access Access, method string, op Operation) map[int][]string {
	out := map[int][]string{}
	add := func(status int, codes ...string) { out[status] = append(out[status], codes...) }
	for _, st := range op.Errors {
		add(st, defaultCodes[st])
	}
	for st, codes := range op.Codes {
		add(st, codes...)
	}
	if access != AccessPublic {
		add(400, "INVALID_REQUEST")  // no X-Tenant-ID
		add(404, "TENANT_NOT_FOUND") // an unknown one
		add(403, "TENANT_SUSPENDED")
		if access != AccessTenantPublic {
			add(401, "UNAUTHENTICATED", "INVALID_TOKEN", "TOKEN_REVOKED", "SESSION_REVOKED", "SESSION_EXPIRED")
			add(403, "FORBIDDEN", "INSUFFICIENT_SCOPE")
		}
		if method == http.MethodPost {
			add(409, "IDEMPOTENCY_KEY_IN_USE", "IDEMPOTENCY_KEY_RETRY")
			add(422, "IDEMPOTENCY_KEY_REUSED", "VALIDATION_FAILED")
		}
	}
	if op.Request != nil {
		add(400, "INVALID_REQUEST")
		add(413, "PAYLOAD_TOO_LARGE")
		add(415, "UNSUPPORTED_MEDIA_TYPE")
		add(422, "VALIDATION_FAILED")
	}
	for st, codes := range out {
		out[st] = slices.Compact(slices.Sorted(slices.Values(codes)))
	}
	return out
}

// closed is s with additionalProperties false in every object that lists
// its properties and says nothing of others: the JSON decoder refuses
// unknown fields everywhere but in free-form maps, which say so.
func closed(s map[string]any) map[string]any {
	out := maps.Clone(s)
	for k, v := range out {
		switch v := v.(type) {
		case map[string]any:
			if k == "properties" {
				props := map[string]any{}
				for name, p := range v {
					if pm, ok := p.(map[string]any); ok {
						props[name] = closed(pm)
					} else {
						props[name] = p
					}
				}
				out[k] = props
			} else {
				out[k] = closed(v)
			}
		case []any:
			items := make([]any, len(v))
			for i, e := range v {
				if em, ok := e.(map[string]any); ok {
					items[i] = closed(em)
				} else {
					items[i] = e
				}
			}
			out[k] = items
		}
	}
	if _, ok := out["properties"]; ok {
		if _, set := out["additionalProperties"]; !set {
			out["additionalProperties"] = false
		}
	}
	return out
}

// examples are the named guide examples as an OpenAPI examples object.
func examples(names []string) map[string]any {
	if len(names) == 0 {
		return nil
	}
	out := map[string]any{}
	for _, name := range names {
		b, err := contract.Examples.ReadFile(name)
		if err != nil {
			panic("api: no guide example " + name) // a typo in a *_doc.go file
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			panic("api: guide example " + name + ": " + err.Error())
		}
		out[strings.TrimSuffix(name, ".json")] = map[string]any{"summary": "the guide's example (" + name + ")", "value": v}
	}
	return out
}

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
		Description: "Authenticate with client_id and client_secret (form fields or HTTP Basic). Errors follow RFC 6749 ({\"error\",\"error_description\"}). " +
			"Wrong secrets are rate-limited per client and per address (the tenant's rate limits): 429 {\"error\":\"slow_down\"} with Retry-After.",
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
		Raw: true, Errors: []int{400, 401, 429}, OAuthErrors: true,
	})
	Document("GET /.well-known/jwks.json", Operation{
		Tag: "Authentication", Summary: "The public keys tokens are signed with",
		Response: obj(map[string]any{"keys": array(map[string]any{"type": "object"})}, "keys"), Raw: true,
	})
	Document("GET "+Prefix+"/openapi.json", Operation{
		Tag: "Meta", Summary: "This description of the API (OpenAPI 3.1)", Response: map[string]any{"type": "object"}, Raw: true,
	})
}
