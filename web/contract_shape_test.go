package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// contract reads one of the guides' examples (docs/contract, copied from
// the published guides as they stand).
func contract(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../docs/contract/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// contractMap is an example decoded, numbers kept as written.
func contractMap(t testing.TB, name string) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(contract(t, name)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// valueRule says how a value of a response example is compared when it
// naturally differs from the server's: by a pattern, by a set of values,
// or by type alone.
type valueRule func(got any) error

var (
	isUUID valueRule = func(got any) error {
		if _, err := uuid.Parse(fmt.Sprint(got)); err != nil {
			return fmt.Errorf("%v is not a UUID", got)
		}
		return nil
	}
	anyString valueRule = func(got any) error {
		if _, ok := got.(string); !ok {
			return fmt.Errorf("%v (%T) is not a string", got, got)
		}
		return nil
	}
)

func oneOf(values ...string) valueRule {
	return func(got any) error {
		for _, v := range values {
			if got == v {
				return nil
			}
		}
		return fmt.Errorf("%v is not one of %v", got, values)
	}
}

func matches(re string) valueRule {
	r := regexp.MustCompile(re)
	return func(got any) error {
		s, ok := got.(string)
		if !ok || !r.MatchString(s) {
			return fmt.Errorf("%v does not match %s", got, re)
		}
		return nil
	}
}

var (
	dateOnly = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	allCaps  = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// sameShape compares a response with a guide's example field by field:
// every field of the example is in the response, under the same name and
// nesting, with the same JSON type; strings keep their format (RFC 3339
// times, dates, upper-case codes equal unless a rule says otherwise);
// numbers keep their scale (an example of 98 means 0–100, not 0–1).
// rules, by dotted path (arrays as []), decide values that naturally
// differ. It returns every difference.
func sameShape(want, got any, rules map[string]valueRule) []string {
	var out []string
	var walk func(path string, want, got any)
	walk = func(path string, want, got any) {
		if rule, ok := rules[path]; ok {
			if err := rule(got); err != nil {
				out = append(out, fmt.Sprintf("%s: %v", path, err))
			}
			return
		}
		switch w := want.(type) {
		case map[string]any:
			g, ok := got.(map[string]any)
			if !ok {
				out = append(out, fmt.Sprintf("%s: want an object, got %T %v", path, got, got))
				return
			}
			for k, wv := range w {
				p := k
				if path != "" {
					p = path + "." + k
				}
				gv, ok := g[k]
				if !ok {
					out = append(out, fmt.Sprintf("%s: missing", p))
					continue
				}
				walk(p, wv, gv)
			}
		case []any:
			g, ok := got.([]any)
			if !ok {
				out = append(out, fmt.Sprintf("%s: want an array, got %T %v", path, got, got))
				return
			}
			if len(w) > 0 && len(g) == 0 {
				out = append(out, fmt.Sprintf("%s: empty, the example has %d items", path, len(w)))
			}
			for _, gv := range g {
				walk(path+"[]", w[0], gv)
			}
		case string:
			g, ok := got.(string)
			if !ok {
				out = append(out, fmt.Sprintf("%s: want a string, got %T %v", path, got, got))
				return
			}
			switch {
			case isTime(w):
				if !isTime(g) {
					out = append(out, fmt.Sprintf("%s: %q is not an RFC 3339 time like %q", path, g, w))
				}
			case dateOnly.MatchString(w):
				if !dateOnly.MatchString(g) {
					out = append(out, fmt.Sprintf("%s: %q is not a date like %q", path, g, w))
				}
			case allCaps.MatchString(w):
				if g != w {
					out = append(out, fmt.Sprintf("%s: %q, the example says %q", path, g, w))
				}
			}
		case json.Number:
			var g float64
			switch n := got.(type) {
			case float64:
				g = n
			case json.Number:
				g, _ = n.Float64()
			default:
				out = append(out, fmt.Sprintf("%s: want a number, got %T %v", path, got, got))
				return
			}
			wf, _ := w.Float64()
			if wf > 1 && wf <= 100 && (g < 0 || g > 100 || (g <= 1 && g != math.Trunc(g))) {
				out = append(out, fmt.Sprintf("%s: %v is not on the example's 0–100 scale (%v)", path, g, wf))
			}
		case bool:
			if g, ok := got.(bool); !ok || g != w {
				out = append(out, fmt.Sprintf("%s: %v, the example says %v", path, got, w))
			}
		case nil:
		default:
			out = append(out, fmt.Sprintf("%s: unexpected example value %T", path, want))
		}
	}
	walk("", want, got)
	return out
}

func isTime(s string) bool {
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}

// decodeNumbers decodes a response body keeping numbers as written.
func decodeNumbers(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, b)
	}
	return m
}

// TestSameShapeFindsDifferences proves the comparison fails where a
// customer app would break: a missing field, another nesting, another
// type, another scale, another code, another format.
func TestSameShapeFindsDifferences(t *testing.T) {
	want := decodeNumbers(t, contract(t, "004-upload.response.json"))
	good := decodeNumbers(t, contract(t, "004-upload.response.json"))
	if d := sameShape(want, good, nil); len(d) != 0 {
		t.Fatalf("the example differs from itself: %v", d)
	}
	tests := []struct {
		name   string
		change func(m map[string]any)
		want   string
	}{
		{"missing field", func(m map[string]any) { delete(m["data"].(map[string]any), "nextStep") }, "data.nextStep: missing"},
		{"flattened", func(m map[string]any) {
			d := m["data"].(map[string]any)
			d["identityDocument"] = d["processingDetails"].(map[string]any)["identityDocument"]
			delete(d, "processingDetails")
		}, "data.processingDetails: missing"},
		{"score on another scale", func(m map[string]any) {
			m["data"].(map[string]any)["processingDetails"].(map[string]any)["identityDocument"].(map[string]any)["extractedData"].(map[string]any)["matchScore"] = 0.98
		}, "0–100 scale"},
		{"number as text", func(m map[string]any) { m["data"].(map[string]any)["documentsProcessed"] = "2" }, "want a number"},
		{"another status", func(m map[string]any) {
			m["data"].(map[string]any)["processingDetails"].(map[string]any)["proofOfAddress"].(map[string]any)["status"] = "RECEIVED"
		}, `"RECEIVED", the example says "VALIDATED"`},
		{"another date format", func(m map[string]any) {
			m["data"].(map[string]any)["processingDetails"].(map[string]any)["identityDocument"].(map[string]any)["extractedData"].(map[string]any)["dateOfBirth"] = "15/05/1985"
		}, "is not a date"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := decodeNumbers(t, contract(t, "004-upload.response.json"))
			tc.change(got)
			d := sameShape(want, got, nil)
			if !strings.Contains(strings.Join(d, "; "), tc.want) {
				t.Fatalf("differences %v; want one saying %q", d, tc.want)
			}
		})
	}
}
