package web

import (
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// Every route states who may use it, and only the routes below are open to
// everyone.
func TestEveryRouteNamesItsAccess(t *testing.T) {
	h := newHarness(t)
	wantPublic := []string{"GET /auth/callback", "GET /healthz", "GET /login", "GET /readyz", "GET /static/"}
	wantAPIPublic := []string{"GET /.well-known/jwks.json", "GET /api/v2.1/openapi.json", "POST /oauth/token"}
	// Without a token but for one tenant: signing a customer in.
	wantTenantPublic := []string{"POST /api/v2.1/customer/session", "POST /api/v2.1/customer/session/otp", "POST /api/v2.1/customer/session/refresh"}
	var apiPublic, tenantPublic []string
	var public []string
	for _, rt := range h.s.routes() {
		switch rt.Access {
		case "":
			t.Errorf("route %q has no access rule", rt.Pattern)
		case AccessPublic:
			public = append(public, rt.Pattern)
		case AccessAPIPublic:
			apiPublic = append(apiPublic, rt.Pattern)
		case AccessTenantPublic:
			tenantPublic = append(tenantPublic, rt.Pattern)
		case AccessSignedIn, AccessCustomer:
		default:
			if rt.Access.isAPI() {
				sc, _ := api.Access(rt.Access).Parse()
				if !credential.ValidScope(sc) {
					t.Errorf("API route %q needs unknown scope %q", rt.Pattern, sc)
				}
				continue
			}
			if !slices.Contains(staff.AllPermissions, staff.Permission(rt.Access)) {
				t.Errorf("route %q needs unknown permission %q", rt.Pattern, rt.Access)
			}
		}
	}
	sort.Strings(public)
	if !slices.Equal(public, wantPublic) {
		t.Errorf("public routes = %v; want exactly %v", public, wantPublic)
	}
	sort.Strings(apiPublic)
	if !slices.Equal(apiPublic, wantAPIPublic) {
		t.Errorf("public API routes = %v; want exactly %v", apiPublic, wantAPIPublic)
	}
	sort.Strings(tenantPublic)
	if !slices.Equal(tenantPublic, wantTenantPublic) {
		t.Errorf("tenant-public API routes = %v; want exactly %v", tenantPublic, wantTenantPublic)
	}
}

// A route added without access is refused, not served.
func TestRouteWithoutAccessIsDenied(t *testing.T) {
	h := newHarness(t)
	called := false
	g := h.s.guard(route{Pattern: "GET /x", Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })})
	rec := newRecorder()
	g.ServeHTTP(rec, newRequest("GET", "/x"))
	if called || rec.Code != http.StatusForbidden {
		t.Fatalf("route without access: called=%v status=%d; want not called, 403", called, rec.Code)
	}
}

const (
	an = staff.Analyst
	sr = staff.SeniorReviewer
	ad = staff.TenantAdmin
	au = staff.Auditor
	su = staff.Support
	op = staff.PlatformOperator
)

// allowed is, for every non-public route, the roles that may use it. It
// is written out by hand: the test compares it with what the server does.
var allowed = map[string][]staff.Role{
	"POST /logout":                                           {an, sr, ad, au, su, op},
	"GET /{$}":                                               {an, sr, ad, au, su, op},
	"GET /dashboard":                                         {an, sr, ad, au, su, op},
	"GET /customers":                                         {an, sr, ad, au, su},
	"GET /customers/export.csv":                              {an, sr, ad, au, su},
	"GET /reviews":                                           {an, sr, au},
	"GET /reviews/export.csv":                                {an, sr, au},
	"GET /alerts":                                            {an, sr, au},
	"GET /alerts/export.csv":                                 {an, sr, au},
	"GET /screening":                                         {an, sr, au, op},
	"GET /screening/hits/export.csv":                         {an, sr, au, op},
	"GET /screening/lists":                                   {an, sr, au, op},
	"GET /aml/rules":                                         {an, sr, ad, au},
	"GET /approvals":                                         {an, sr, ad, au},
	"GET /approvals/{id}":                                    {an, sr, ad, au},
	"POST /approvals/{id}/decide":                            {sr, ad},
	"POST /approvals/{id}/cancel":                            {an, sr, ad, au, su, op},
	"GET /config/fees":                                       {ad, au},
	"GET /config/fees/export.csv":                            {ad, au},
	"GET /config/branches":                                   {ad, au},
	"GET /config/connectors":                                 {ad, au},
	"GET /config/preferences":                                {ad, au},
	"POST /config/preferences":                               {ad},
	"GET /config/password-policy":                            {ad, au},
	"POST /config/password-policy":                           {ad},
	"GET /config/compliance-packs":                           {ad, au},
	"POST /config/compliance-packs/{id}":                     {ad},
	"GET /config/kyc-requirements":                           {ad, au},
	"POST /config/kyc-requirements":                          {ad},
	"POST /config/kyc-requirements/{id}/delete":              {ad},
	"GET /config/categories":                                 {ad, au},
	"GET /api-clients":                                       {ad},
	"POST /api-clients":                                      {ad},
	"POST /api-clients/{id}/rotate":                          {ad},
	"POST /api-clients/{id}/revoke":                          {ad},
	"GET /webhooks":                                          {ad},
	"POST /webhooks":                                         {ad},
	"GET /webhooks/{id}":                                     {ad},
	"POST /webhooks/{id}/status":                             {ad},
	"POST /webhooks/{id}/retry":                              {ad},
	"POST /webhooks/{id}/deliveries/{delivery}/resend":       {ad},
	"GET /staff":                                             {ad, au},
	"POST /staff":                                            {ad},
	"POST /staff/{id}/roles":                                 {ad},
	"POST /staff/{id}/roles/{role}/revoke":                   {ad},
	"POST /staff/{id}/status":                                {ad},
	"GET /audit":                                             {ad, au},
	"GET /audit/export.csv":                                  {ad, au},
	"GET /audit/{id}":                                        {ad, au},
	"GET /platform/tenants":                                  {op},
	"POST /platform/tenants":                                 {op},
	"GET /customers/{id}":                                    {an, sr, ad, au, su},
	"POST /customers/{id}/reveal":                            {sr},
	"POST /customers/{id}/standing":                          {sr, su},
	"GET /customers/{id}/hide":                               {sr},
	"POST /customers/{id}/hide":                              {sr},
	"POST /config/categories":                                {ad},
	"POST /config/categories/{id}":                           {ad},
	"POST /config/categories/{id}/status":                    {ad},
	"POST /config/categories/{id}/features":                  {ad},
	"POST /config/categories/{id}/features/{feature}/detach": {ad},
	"POST /api-clients/{id}/certificate":                     {ad},
	"POST /config/features":                                  {ad},
	"POST /config/features/{id}/parameters":                  {ad},
	"POST /config/features/{id}/parameters/{param}/delete":   {ad},
	"GET /config/fees/quote":                                 {ad, au},
	"GET /config/fees/new":                                   {ad},
	"POST /config/fees":                                      {ad},
	"GET /config/fees/{id}":                                  {ad, au},
	"POST /config/fees/{id}":                                 {ad},
	"GET /config/branches/new":                               {ad},
	"POST /config/branches":                                  {ad},
	"GET /config/branches/{id}":                              {ad, au},
	"POST /config/branches/{id}":                             {ad},
	"POST /config/branches/{id}/status":                      {ad},
	"GET /config/connectors/new":                             {ad},
	"POST /config/connectors":                                {ad},
	"GET /config/connectors/{id}":                            {ad, au},
	"POST /config/connectors/{id}":                           {ad},
	"POST /config/connectors/{id}/status":                    {ad},
	"POST /config/connectors/{id}/secret":                    {ad},
	"POST /config/connectors/{id}/test":                      {ad},
	"POST /customers/{id}/wallets/{wallet}/limits":           {sr, su},
	"GET /customers/{id}/identity":                           {sr, su},
	"POST /customers/{id}/subject-access":                    {sr},
	"GET /customers/{id}/subject-access/{export}":            {sr},
	"GET /customers/{id}/subject-access/{export}/download":   {sr},
	"POST /customers/{id}/identity":                          {sr, su},

	"GET /reviews/{id}":                           {an, sr, au},
	"POST /reviews/{id}/assign":                   {an, sr},
	"POST /reviews/{id}/decide":                   {an, sr},
	"POST /reviews/{id}/activate":                 {an, sr},
	"GET /documents/{id}":                         {an, sr, au},
	"GET /documents/{id}/content":                 {an, sr, au},
	"GET /screening/hits/{id}":                    {an, sr, au, op},
	"POST /screening/hits/{id}/decide":            {an, sr},
	"GET /screening/search":                       {an, sr, au, op},
	"GET /screening/lists/versions/{id}":          {an, sr, au, op},
	"GET /screening/lists/upload":                 {op},
	"POST /screening/lists/upload":                {op},
	"GET /screening/lists/uploads/{id}":           {op},
	"POST /screening/lists/sources/{id}/fetch":    {op},
	"POST /screening/lists/sources/{id}/held":     {op},
	"GET /screening/lists/sources/new":            {op},
	"POST /screening/lists/sources":               {op},
	"GET /screening/lists/sources/{id}/settings":  {op},
	"POST /screening/lists/sources/{id}/settings": {op},
	"GET /config/screening":                       {ad, au},
	"POST /config/screening":                      {ad},

	// AML monitoring.
	"GET /alerts/{id}":                            {an, sr, au},
	"POST /alerts/assign":                         {an, sr},
	"POST /alerts/{id}/assign":                    {an, sr},
	"POST /alerts/{id}/comment":                   {an, sr},
	"POST /alerts/{id}/escalate":                  {an, sr},
	"POST /alerts/{id}/close":                     {an, sr},
	"POST /alerts/{id}/sar":                       {an, sr},
	"GET /cases":                                  {an, sr, au},
	"GET /cases/export.csv":                       {an, sr, au},
	"POST /cases":                                 {an, sr},
	"GET /cases/{id}":                             {an, sr, au},
	"POST /cases/{id}/assign":                     {an, sr},
	"POST /cases/{id}/status":                     {an, sr},
	"POST /cases/{id}/comment":                    {an, sr},
	"POST /cases/{id}/close":                      {an, sr},
	"POST /cases/{id}/attachments":                {an, sr},
	"GET /cases/{id}/attachments/{attachment}":    {an, sr, au},
	"GET /config/closing-reasons":                 {ad, au},
	"POST /config/closing-reasons":                {ad},
	"POST /config/closing-reasons/{code}/status":  {ad},
	"GET /aml/rules/new":                          {sr, ad},
	"POST /aml/rules":                             {sr, ad},
	"GET /aml/rules/condition":                    {sr, ad},
	"POST /aml/rules/check":                       {sr, ad},
	"GET /aml/rules/{id}":                         {an, sr, ad, au},
	"GET /aml/rules/{id}/edit":                    {sr, ad},
	"POST /aml/rules/{id}":                        {sr, ad},
	"POST /aml/rules/{id}/shadow":                 {sr, ad},
	"GET /aml/rules/{id}/shadow/{run}":            {an, sr, ad, au},
	"POST /aml/rules/{id}/publish":                {sr, ad},
	"POST /aml/rules/{id}/rollback":               {sr, ad},
	"POST /aml/rules/{id}/deactivate":             {sr, ad},
	"GET /aml/lists":                              {an, sr, ad, au},
	"POST /aml/lists":                             {sr, ad},
	"GET /aml/lists/{id}":                         {an, sr, ad, au},
	"POST /aml/lists/{id}/entries":                {sr, ad},
	"POST /aml/lists/{id}/entries/{entry}/delete": {sr, ad},
	"GET /aml/rates":                              {an, sr, ad, au},
	"POST /aml/rates":                             {sr, ad},

	// Reporting extracts; the goAML export also needs a role that sees
	// customers' data in full.
	"GET /alerts/{id}/goaml":            {sr},
	"GET /reports":                      {sr, ad, au},
	"GET /reports/{id}":                 {sr, ad, au},
	"POST /reports/{id}/run":            {sr, ad, au},
	"POST /reports/{id}/schedule":       {sr, ad, au},
	"POST /reports/schedules/{id}/stop": {sr, ad, au},
	"GET /reports/runs/{id}":            {sr, ad, au},
	"GET /reports/runs/{id}/download":   {sr, ad, au},
	"GET /config/reporting":             {ad, au},
	"POST /config/reporting":            {ad},

	// Retention: the preview, the periods (four-eyes), legal holds.
	"GET /retention":                          {sr, ad, au},
	"POST /config/preferences/retention":      {ad},
	"POST /customers/{id}/legal-hold":         {sr},
	"POST /customers/{id}/legal-hold/release": {sr},

	// Ending another employee's portal session is staff management.
	"POST /staff/{id}/sessions/{sid}/revoke": {ad},
}

var wildcard = regexp.MustCompile(`\{[^}]+\}`)

// concrete turns a route pattern into a request path.
func concrete(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.ReplaceAll(path, "{$}", "")
	path = wildcard.ReplaceAllStringFunc(path, func(w string) string {
		if w == "{role}" {
			return "AUDITOR"
		}
		return uuid.NewString()
	})
	return method, path
}

func TestEveryRoleAgainstEveryRoute(t *testing.T) {
	h := newHarness(t)
	employees := map[staff.Role]staff.Employee{}
	cookies := map[staff.Role]*http.Cookie{}
	for _, r := range staff.Roles {
		employees[r], cookies[r] = h.signIn(r)
	}
	for _, rt := range h.s.routes() {
		if rt.Access == AccessPublic || rt.Access.isAPI() {
			continue // API routes: see api_test.go
		}
		want, ok := allowed[rt.Pattern]
		if !ok {
			t.Errorf("route %q is missing from the allowed table", rt.Pattern)
			continue
		}
		method, path := concrete(rt.Pattern)
		for _, role := range staff.Roles {
			resp := h.do(method, path, map[string][]string{}, nil, cookies[role])
			got := resp.StatusCode != http.StatusForbidden
			if got != slices.Contains(want, role) {
				t.Errorf("%s %s as %s: status %d; want allowed=%v", method, path, role, resp.StatusCode, !got)
			}
			if resp.StatusCode >= 500 {
				t.Errorf("%s %s as %s: status %d", method, path, role, resp.StatusCode)
			}
			if rt.Pattern == "POST /logout" {
				// Signing out ended that session: the next routes need a new one.
				cookies[role] = h.cookieFor(employees[role])
			}
		}
		// Without a session nothing but sign-in is reachable.
		if resp := h.do(method, path, map[string][]string{}, nil); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("%s %s signed out: status %d to %q; want 303 to /login", method, path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

// Navigation shows a link exactly when its page would open.
func TestNavigationFollowsPermissions(t *testing.T) {
	h := newHarness(t)
	for _, role := range staff.Roles {
		_, c := h.signIn(role)
		d := doc(t, h.get("/dashboard", c))
		for _, g := range navGroups {
			for _, e := range g.entries {
				shown := d.Find(`[data-testid="nav-`+e.key+`"]`).Length() == 1
				if want := slices.Contains(allowed["GET "+e.href], role); shown != want {
					t.Errorf("%s: nav %s shown=%v; want %v", role, e.key, shown, want)
				}
			}
		}
	}
}
