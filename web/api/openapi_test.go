package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

// documentedRoutes is every documented pattern as an admin-token route.
func documentedRoutes() []RouteInfo {
	opsMu.Lock()
	defer opsMu.Unlock()
	var out []RouteInfo
	for p := range operations {
		out = append(out, RouteInfo{Pattern: p, Access: "scope:customers:read"})
	}
	return out
}

// formSchema is the token endpoint's form, whose other fields are ignored.
const formSchema = "/paths//oauth/token/post/requestBody/content/application/x-www-form-urlencoded/schema"

// TestSpecTypesAreExact: one type per field (a nullable one as OpenAPI
// 3.1's [T, "null"]), request objects closed to unknown fields, and every
// error response naming its codes.
func TestSpecTypesAreExact(t *testing.T) {
	spec := Spec(documentedRoutes(), "http://localhost")
	var walk func(path string, v any, inRequest bool)
	walk = func(path string, v any, inRequest bool) {
		switch v := v.(type) {
		case map[string]any:
			if ty, ok := v["type"].([]any); ok && (len(ty) != 2 || ty[1] != "null") {
				t.Errorf("%s: type %v; want one type, or one and null", path, ty)
			}
			if _, ok := v["properties"]; ok && inRequest && v["additionalProperties"] == nil && path != formSchema {
				t.Errorf("%s: a request object without additionalProperties", path)
			}
			for k, e := range v {
				if k == "examples" {
					continue
				}
				walk(path+"/"+k, e, inRequest || k == "requestBody")
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s/%d", path, i), e, inRequest)
			}
		}
	}
	var doc map[string]any
	b, _ := json.Marshal(spec)
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	walk("", doc, false)
	for path, ops := range spec["paths"].(map[string]map[string]any) {
		for method, op := range ops {
			for status, r := range op.(map[string]any)["responses"].(map[string]any) {
				resp := r.(map[string]any)
				if status[0] != '4' || resp["$ref"] != nil {
					continue
				}
				codes, _ := resp["x-error-codes"].([]string)
				if len(codes) == 0 || !slices.IsSorted(codes) {
					t.Errorf("%s %s %s: x-error-codes %v", method, path, status, codes)
				}
			}
		}
	}
}

func TestSpecPublishesTheGuidesExamples(t *testing.T) {
	spec := Spec(documentedRoutes(), "http://localhost")
	reg := spec["paths"].(map[string]map[string]any)[Prefix+"/customer/individual/registration"]["post"].(map[string]any)
	media := reg["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)
	ex, _ := media["examples"].(map[string]any)["001-registration.request"].(map[string]any)
	if ex == nil || ex["value"].(map[string]any)["individualCustomer"] == nil {
		t.Fatalf("registration examples: %v", media["examples"])
	}
}
