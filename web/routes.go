package web

import (
	"net/http"
	"strings"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/staff"
	"github.com/ciamhq/ciam/web/api"
)

// Access says who may use a route: anyone (AccessPublic), any signed-in
// employee (AccessSignedIn), or an employee holding a permission.
type Access string

const (
	// AccessPublic routes need no session: sign-in, health, assets.
	AccessPublic Access = "public"
	// AccessSignedIn routes need a session and no particular permission.
	AccessSignedIn Access = "signed-in"
)

func need(p staff.Permission) Access { return Access(p) }

// API access rules (see api.Access).
const (
	// AccessAPIPublic API routes need no token: the token endpoint, the
	// signing keys and the API description.
	AccessAPIPublic Access = "api-public"
	// AccessCustomer routes take a customer's token.
	AccessCustomer Access = "customer"
	// AccessTenantPublic API routes need X-Tenant-ID and no token: the
	// customer's app signing in or refreshing its session.
	AccessTenantPublic Access = Access(api.AccessTenantPublic)
)

// scope is an API route for admin tokens holding sc.
func scope(sc string) Access { return Access("scope:" + sc) }

// scopeOrCustomer is an API route for an admin token holding sc or a
// customer token (acting on its own customer only).
func scopeOrCustomer(sc string) Access { return Access("scope:" + sc + "|customer") }

func (a Access) isAPI() bool {
	return a == AccessAPIPublic || a == AccessTenantPublic || a == AccessCustomer || strings.HasPrefix(string(a), "scope:")
}

type route struct {
	Pattern string
	Access  Access
	Handler http.Handler
}

// bodyLimited is a handler that takes bodies larger than api.MaxBody.
type bodyLimited struct {
	http.Handler
	limit int64
}

// withBodyLimit lets h's requests carry up to limit bytes.
func withBodyLimit(limit int64, h http.Handler) http.Handler { return bodyLimited{h, limit} }

// BodyLimit is the route's body limit.
func (rt route) BodyLimit() int64 {
	if b, ok := rt.Handler.(bodyLimited); ok {
		return b.limit
	}
	return api.MaxBody
}

// routes is every route the server answers, each with the access it needs.
// A test walks this table: a route without an Access fails it.
func (s *server) routes() []route {
	return []route{
		// Operability and assets.
		{"GET /healthz", AccessPublic, s.handleHealthz()},
		{"GET /readyz", AccessPublic, s.handleReadyz()},
		{"GET /static/", AccessPublic, s.handleStatic()},

		// Sign-in and sign-out.
		{"GET /login", AccessPublic, s.handleLogin()},
		{"GET /auth/callback", AccessPublic, s.handleCallback()},
		{"POST /logout", AccessSignedIn, s.handleLogout()},

		// Portal.
		{"GET /{$}", AccessSignedIn, s.handleHome()},
		{"GET /dashboard", need(staff.PermDashboard), s.handleDashboard()},

		{"GET /customers", need(staff.PermCustomersRead), s.handleCustomerSearch()},
		{"GET /customers/export.csv", need(staff.PermCustomersRead), s.handleCustomerExport()},
		{"GET /customers/{id}", need(staff.PermCustomersRead), s.handleCustomerShow()},
		{"POST /customers/{id}/reveal", need(staff.PermCustomersPII), s.handleCustomerReveal()},
		{"POST /customers/{id}/standing", need(staff.PermCustomersEdit), s.handleCustomerStanding()},
		{"GET /customers/{id}/hide", need(staff.PermCustomersHide), s.handleCustomerHideConfirm()},
		{"POST /customers/{id}/hide", need(staff.PermCustomersHide), s.handleCustomerHide()},
		{"POST /customers/{id}/wallets/{wallet}/limits", need(staff.PermCustomersEdit), s.handleWalletLimits()},
		{"GET /customers/{id}/identity", need(staff.PermCustomersEdit), s.handleCustomerCorrectionForm()},
		{"POST /customers/{id}/legal-hold", need(staff.PermLegalHold), s.handleLegalHoldSet()},
		{"POST /customers/{id}/legal-hold/release", need(staff.PermLegalHold), s.handleLegalHoldRelease()},
		{"GET /retention", need(staff.PermRetentionRead), s.handleRetentionPreview()},
		{"POST /customers/{id}/identity", need(staff.PermCustomersEdit), s.handleCustomerCorrection()},
		{"GET /reviews", need(staff.PermReviewsRead), s.handleReviewList()},
		{"GET /reviews/export.csv", need(staff.PermReviewsRead), s.handleReviewExport()},
		{"GET /reviews/{id}", need(staff.PermReviewsRead), s.handleReviewShow()},
		{"POST /reviews/{id}/assign", need(staff.PermReviewsDecide), s.handleReviewAssign()},
		// HIGH risk also needs staff.PermReviewsHigh, checked with the risk.
		{"POST /reviews/{id}/decide", need(staff.PermReviewsDecide), s.handleReviewDecide()},
		{"POST /reviews/{id}/activate", need(staff.PermReviewsDecide), s.handleReviewActivate()},
		{"GET /documents/{id}", need(staff.PermDocumentsView), s.handleDocumentView()},
		{"GET /documents/{id}/content", need(staff.PermDocumentsView), s.handleDocumentContent()},
		{"GET /alerts", need(staff.PermAlertsRead), s.handleAlertQueue()},
		{"GET /alerts/export.csv", need(staff.PermAlertsRead), s.handleAlertExport()},
		{"GET /alerts/{id}", need(staff.PermAlertsRead), s.handleAlertShow()},
		{"POST /alerts/assign", need(staff.PermAlertsManage), s.handleAlertBulkAssign()},
		{"POST /alerts/{id}/assign", need(staff.PermAlertsManage), s.handleAlertAssign()},
		{"POST /alerts/{id}/comment", need(staff.PermAlertsManage), s.handleAlertComment()},
		{"POST /alerts/{id}/escalate", need(staff.PermAlertsManage), s.handleAlertEscalate()},
		{"POST /alerts/{id}/close", need(staff.PermAlertsManage), s.handleAlertClose()},
		{"POST /alerts/{id}/sar", need(staff.PermAlertsManage), s.handleAlertSAR()},
		// The report holds the customer's data in full: the handler also
		// asks for a role that sees all of it.
		{"GET /alerts/{id}/goaml", need(staff.PermAlertsManage), s.handleAlertGoAML()},
		{"GET /cases", need(staff.PermCasesRead), s.handleCaseList()},
		{"POST /cases", need(staff.PermCasesManage), s.handleCaseCreate()},
		{"GET /cases/export.csv", need(staff.PermCasesRead), s.handleCaseExport()},
		{"GET /cases/{id}", need(staff.PermCasesRead), s.handleCaseShow()},
		{"POST /cases/{id}/assign", need(staff.PermCasesManage), s.handleCaseAssign()},
		{"POST /cases/{id}/status", need(staff.PermCasesManage), s.handleCaseStatus()},
		{"POST /cases/{id}/comment", need(staff.PermCasesManage), s.handleCaseComment()},
		{"POST /cases/{id}/close", need(staff.PermCasesManage), s.handleCaseClose()},
		{"POST /cases/{id}/attachments", need(staff.PermCasesManage), s.handleCaseAttach()},
		{"GET /cases/{id}/attachments/{attachment}", need(staff.PermCasesRead), s.handleCaseAttachment()},
		{"GET /screening", need(staff.PermScreeningRead), s.handleScreeningHits()},
		{"GET /screening/hits/export.csv", need(staff.PermScreeningRead), s.handleScreeningHitExport()},
		{"GET /screening/hits/{id}", need(staff.PermScreeningRead), s.handleScreeningHitShow()},
		{"POST /screening/hits/{id}/decide", need(staff.PermScreeningDo), s.handleScreeningHitDecide()},
		{"GET /screening/search", need(staff.PermScreeningRead), s.handleScreeningSearch()},
		{"GET /screening/lists", need(staff.PermScreeningRead), s.handleScreeningLists()},
		{"GET /screening/lists/versions/{id}", need(staff.PermScreeningRead), s.handleScreeningVersion()},
		{"GET /screening/lists/upload", need(staff.PermListsManage), s.handleScreeningUploadForm()},
		{"POST /screening/lists/upload", need(staff.PermListsManage), s.handleScreeningUpload()},
		{"GET /screening/lists/uploads/{id}", need(staff.PermListsManage), s.handleScreeningUploadShow()},
		{"POST /screening/lists/sources/{id}/fetch", need(staff.PermListsManage), s.handleScreeningFetchNow()},
		{"POST /screening/lists/sources/{id}/held", need(staff.PermListsManage), s.handleScreeningHeld()},
		{"GET /screening/lists/sources/new", need(staff.PermListsManage), s.handleScreeningSourceNew()},
		{"POST /screening/lists/sources", need(staff.PermListsManage), s.handleScreeningSourceSave()},
		{"GET /screening/lists/sources/{id}/settings", need(staff.PermListsManage), s.handleScreeningSourceSettings()},
		{"POST /screening/lists/sources/{id}/settings", need(staff.PermListsManage), s.handleScreeningSourceSave()},
		{"GET /aml/rules", need(staff.PermAMLRulesRead), s.handleAMLRuleList()},
		{"GET /aml/rules/new", need(staff.PermAMLRulesEdit), s.handleAMLRuleNew()},
		{"POST /aml/rules", need(staff.PermAMLRulesEdit), s.handleAMLRuleCreate()},
		{"GET /aml/rules/condition", need(staff.PermAMLRulesEdit), s.handleAMLCondition()},
		{"POST /aml/rules/check", need(staff.PermAMLRulesEdit), s.handleAMLCheck()},
		{"GET /aml/rules/{id}", need(staff.PermAMLRulesRead), s.handleAMLRuleShow()},
		{"GET /aml/rules/{id}/edit", need(staff.PermAMLRulesEdit), s.handleAMLRuleEdit()},
		{"POST /aml/rules/{id}", need(staff.PermAMLRulesEdit), s.handleAMLRuleSave()},
		{"POST /aml/rules/{id}/shadow", need(staff.PermAMLRulesEdit), s.handleAMLShadowStart()},
		{"GET /aml/rules/{id}/shadow/{run}", need(staff.PermAMLRulesRead), s.handleAMLShadowShow()},
		{"POST /aml/rules/{id}/publish", need(staff.PermAMLRulesEdit), s.handleAMLPublish()},
		{"POST /aml/rules/{id}/rollback", need(staff.PermAMLRulesEdit), s.handleAMLRollback()},
		{"POST /aml/rules/{id}/deactivate", need(staff.PermAMLRulesEdit), s.handleAMLDeactivate()},
		{"GET /aml/lists", need(staff.PermAMLRulesRead), s.handleAMLLists()},
		{"POST /aml/lists", need(staff.PermAMLRulesEdit), s.handleAMLListCreate()},
		{"GET /aml/lists/{id}", need(staff.PermAMLRulesRead), s.handleAMLListShow()},
		{"POST /aml/lists/{id}/entries", need(staff.PermAMLRulesEdit), s.handleAMLListEntryAdd()},
		{"POST /aml/lists/{id}/entries/{entry}/delete", need(staff.PermAMLRulesEdit), s.handleAMLListEntryRemove()},
		{"GET /aml/rates", need(staff.PermAMLRulesRead), s.handleAMLRates()},
		{"POST /aml/rates", need(staff.PermAMLRulesEdit), s.handleAMLRateSet()},
		{"GET /approvals", need(staff.PermApprovalsRead), s.handleApprovalList()},
		{"GET /approvals/{id}", need(staff.PermApprovalsRead), s.handleApprovalShow()},
		{"POST /approvals/{id}/decide", need(staff.PermApprovalsDo), s.handleApprovalDecide()},
		{"POST /approvals/{id}/cancel", AccessSignedIn, s.handleApprovalCancel()},
		{"GET /config/fees", need(staff.PermConfigRead), s.handleFeeList()},
		{"GET /config/fees/quote", need(staff.PermConfigRead), s.handleFeeQuotePreview()},
		{"GET /config/fees/new", need(staff.PermConfigEdit), s.handleFeeNew()},
		{"POST /config/fees", need(staff.PermConfigEdit), s.handleFeeCreate()},
		{"GET /config/fees/export.csv", need(staff.PermConfigRead), s.handleFeeExport()},
		{"GET /config/fees/{id}", need(staff.PermConfigRead), s.handleFeeShow()},
		{"POST /config/fees/{id}", need(staff.PermConfigEdit), s.handleFeeUpdate()},
		{"GET /config/branches", need(staff.PermConfigRead), s.handleBranchList()},
		{"GET /config/branches/new", need(staff.PermConfigEdit), s.handleBranchNew()},
		{"POST /config/branches", need(staff.PermConfigEdit), s.handleBranchCreate()},
		{"GET /config/branches/{id}", need(staff.PermConfigRead), s.handleBranchShow()},
		{"POST /config/branches/{id}", need(staff.PermConfigEdit), s.handleBranchUpdate()},
		{"POST /config/branches/{id}/status", need(staff.PermConfigEdit), s.handleBranchStatus()},
		{"GET /config/connectors", need(staff.PermConfigRead), s.handleConnectorList()},
		{"GET /config/connectors/new", need(staff.PermConfigEdit), s.handleConnectorNew()},
		{"POST /config/connectors", need(staff.PermConfigEdit), s.handleConnectorCreate()},
		{"GET /config/connectors/{id}", need(staff.PermConfigRead), s.handleConnectorShow()},
		{"POST /config/connectors/{id}", need(staff.PermConfigEdit), s.handleConnectorUpdate()},
		{"POST /config/connectors/{id}/status", need(staff.PermConfigEdit), s.handleConnectorStatus()},
		{"POST /config/connectors/{id}/secret", need(staff.PermConfigEdit), s.handleConnectorSecret()},
		{"POST /config/connectors/{id}/test", need(staff.PermConfigEdit), s.handleConnectorTest()},
		{"GET /config/preferences", need(staff.PermConfigRead), s.handlePreferences()},
		{"POST /config/preferences", need(staff.PermConfigEdit), s.handlePreferencesSave()},
		{"POST /config/preferences/retention", need(staff.PermConfigEdit), s.handleRetentionSettingsPropose()},
		{"GET /config/closing-reasons", need(staff.PermConfigRead), s.handleClosingReasons()},
		{"POST /config/closing-reasons", need(staff.PermConfigEdit), s.handleClosingReasonAdd()},
		{"POST /config/closing-reasons/{code}/status", need(staff.PermConfigEdit), s.handleClosingReasonStatus()},
		{"GET /config/password-policy", need(staff.PermConfigRead), s.handlePasswordPolicy()},
		{"POST /config/password-policy", need(staff.PermConfigEdit), s.handlePasswordPolicyPropose()},
		{"GET /config/compliance-packs", need(staff.PermConfigRead), s.handleCompliancePacks()},
		{"POST /config/compliance-packs/{id}", need(staff.PermConfigEdit), s.handleCompliancePackPropose()},
		{"GET /config/kyc-requirements", need(staff.PermConfigRead), s.handleRequirements()},
		{"POST /config/kyc-requirements", need(staff.PermConfigEdit), s.handleRequirementSave()},
		{"POST /config/kyc-requirements/{id}/delete", need(staff.PermConfigEdit), s.handleRequirementDelete()},
		{"GET /config/screening", need(staff.PermConfigRead), s.handleScreeningSettings()},
		{"POST /config/screening", need(staff.PermConfigEdit), s.handleScreeningSettingsSave()},
		{"GET /config/categories", need(staff.PermConfigRead), s.handleCategoryList()},
		{"POST /config/categories", need(staff.PermConfigEdit), s.handleCategoryCreate()},
		{"POST /config/categories/{id}", need(staff.PermConfigEdit), s.handleCategoryUpdate()},
		{"POST /config/categories/{id}/status", need(staff.PermConfigEdit), s.handleCategoryStatus()},
		{"POST /config/categories/{id}/features", need(staff.PermConfigEdit), s.handleCategoryFeatureAttach()},
		{"POST /config/categories/{id}/features/{feature}/detach", need(staff.PermConfigEdit), s.handleCategoryFeatureDetach()},
		{"POST /config/features", need(staff.PermConfigEdit), s.handleFeatureCreate()},
		{"POST /config/features/{id}/parameters", need(staff.PermConfigEdit), s.handleParameterAdd()},
		{"POST /config/features/{id}/parameters/{param}/delete", need(staff.PermConfigEdit), s.handleParameterRemove()},
		{"GET /api-clients", need(staff.PermAPIClients), s.handleAPIClientList()},
		{"POST /api-clients", need(staff.PermAPIClients), s.handleAPIClientCreate()},
		{"POST /api-clients/{id}/rotate", need(staff.PermAPIClients), s.handleAPIClientRotate()},
		{"POST /api-clients/{id}/revoke", need(staff.PermAPIClients), s.handleAPIClientRevoke()},
		{"POST /api-clients/{id}/certificate", need(staff.PermAPIClients), s.handleAPIClientCertificate()},
		{"GET /webhooks", need(staff.PermWebhooks), s.handleWebhookList()},
		{"POST /webhooks", need(staff.PermWebhooks), s.handleWebhookCreate()},
		{"GET /webhooks/{id}", need(staff.PermWebhooks), s.handleWebhookShow()},
		{"POST /webhooks/{id}/status", need(staff.PermWebhooks), s.handleWebhookStatus()},
		{"POST /webhooks/{id}/retry", need(staff.PermWebhooks), s.handleWebhookRetry()},
		{"POST /webhooks/{id}/deliveries/{delivery}/resend", need(staff.PermWebhooks), s.handleWebhookResend()},

		{"GET /staff", need(staff.PermStaffRead), s.handleStaffList()},
		{"POST /staff", need(staff.PermStaffManage), s.handleStaffCreate()},
		{"POST /staff/{id}/roles", need(staff.PermStaffManage), s.handleStaffRoleGrant()},
		{"POST /staff/{id}/roles/{role}/revoke", need(staff.PermStaffManage), s.handleStaffRoleRevoke()},
		{"POST /staff/{id}/status", need(staff.PermStaffManage), s.handleStaffStatus()},
		{"POST /staff/{id}/sessions/{sid}/revoke", need(staff.PermStaffManage), s.handleStaffSessionRevoke()},

		// Subject access (GDPR art. 15): proposed here, approved on the
		// approvals page; the download also asks for a role that sees the
		// customer's data in full.
		{"POST /customers/{id}/subject-access", need(staff.PermSubjectAccess), s.handleSubjectAccessRequest()},
		{"GET /customers/{id}/subject-access/{export}", need(staff.PermSubjectAccess), s.handleSubjectAccessShow()},
		{"GET /customers/{id}/subject-access/{export}/download", need(staff.PermSubjectAccess), s.handleSubjectAccessDownload()},

		{"GET /reports", need(staff.PermReportsRun), s.handleReportList()},
		{"GET /reports/{id}", need(staff.PermReportsRun), s.handleReportShow()},
		{"POST /reports/{id}/run", need(staff.PermReportsRun), s.handleReportRun()},
		{"POST /reports/{id}/schedule", need(staff.PermReportsRun), s.handleReportSchedule()},
		{"POST /reports/schedules/{id}/stop", need(staff.PermReportsRun), s.handleReportScheduleStop()},
		{"GET /reports/runs/{id}", need(staff.PermReportsRun), s.handleReportRunShow()},
		{"GET /reports/runs/{id}/download", need(staff.PermReportsRun), s.handleReportDownload()},
		{"GET /config/reporting", need(staff.PermConfigRead), s.handleReportingSettings()},
		{"POST /config/reporting", need(staff.PermConfigEdit), s.handleReportingSettingsSave()},

		{"GET /audit", need(staff.PermAuditRead), s.handleAuditList()},
		{"GET /audit/export.csv", need(staff.PermAuditRead), s.handleAuditExport()},
		{"GET /audit/{id}", need(staff.PermAuditRead), s.handleAuditShow()},

		{"GET /platform/tenants", need(staff.PermTenantsManage), s.handleTenantList()},
		{"POST /platform/tenants", need(staff.PermTenantsManage), s.handleTenantCreate()},

		// The customer API (web/api), documented at /api/v2.1/openapi.json.
		{"POST /oauth/token", AccessAPIPublic, s.API.HandleToken()},
		{"GET /.well-known/jwks.json", AccessAPIPublic, s.API.HandleJWKS()},
		{"GET " + api.Prefix + "/openapi.json", AccessAPIPublic, s.API.HandleOpenAPI(s.apiRoutes, s.Config.PublicURL.String())},

		{"GET " + api.Prefix + "/customer/individual/categorization/hierarchy/{tenantId}", scope(credential.ScopeCustomersRead), s.API.HandleCategoryHierarchy()},
		{"POST " + api.Prefix + "/customer/individual/registration", scope(credential.ScopeCustomersWrite), s.API.HandleRegistration()},
		{"POST " + api.Prefix + "/customer/individual/email/verification", scope(credential.ScopeCustomersWrite), s.API.HandleVerifyEmail()},
		{"GET " + api.Prefix + "/customers/{id}", scopeOrCustomer(credential.ScopeCustomersRead), s.API.HandleGetCustomer()},
		// A customer token changes only its own contact data (see the handler).
		{"PATCH " + api.Prefix + "/customers/{id}", scopeOrCustomer(credential.ScopeCustomersWrite), s.API.HandlePatchCustomer()},
		{"POST " + api.Prefix + "/customers/{id}/standing", scope(credential.ScopeCustomersWrite), s.API.HandleCustomerStanding()},
		{"POST " + api.Prefix + "/customers/{id}/oauth", scope(credential.ScopeCustomersOAuth), s.API.HandleCustomerOAuth()},
		{"GET " + api.Prefix + "/events", scope(credential.ScopeEventsRead), s.API.HandleEvents()},

		{"POST " + api.Prefix + "/verification/documents/upload", scopeOrCustomer(credential.ScopeVerificationWrite), withBodyLimit(api.MaxUploadBody, s.API.HandleDocumentUpload())},
		{"GET " + api.Prefix + "/verification/status/{id}", scopeOrCustomer(credential.ScopeVerificationWrite), s.API.HandleVerificationStatus()},
		{"GET " + api.Prefix + "/compliance/requirements", scope(credential.ScopeCatalogRead), s.API.HandleComplianceRequirements()},
		{"POST " + api.Prefix + "/aml/transactions/screen", scope(credential.ScopeAML), s.API.HandleAMLScreen()},
		{"GET " + api.Prefix + "/fees/quote", scope(credential.ScopeCatalogRead), s.API.HandleFeeQuote()},
		{"GET " + api.Prefix + "/branches", scope(credential.ScopeCatalogRead), s.API.HandleBranches()},
		{"POST " + api.Prefix + "/screening/search", scope(credential.ScopeScreening), s.API.HandleScreeningSearch()},

		{"POST " + api.Prefix + "/customer/session", AccessTenantPublic, s.API.HandleLogin()},
		{"POST " + api.Prefix + "/customer/session/otp", AccessTenantPublic, s.API.HandleLoginOTP()},
		{"POST " + api.Prefix + "/customer/session/refresh", AccessTenantPublic, s.API.HandleRefresh()},
		{"DELETE " + api.Prefix + "/customer/session", AccessCustomer, s.API.HandleLogout()},
		{"POST " + api.Prefix + "/customer/password", AccessCustomer, s.API.HandleChangePassword()},

		{"POST " + api.Prefix + "/security/pin", scopeOrCustomer(credential.ScopeCustomersWrite), s.API.HandlePINSet()},
		{"POST " + api.Prefix + "/security/pin/verify", scopeOrCustomer(credential.ScopeCustomersWrite), s.API.HandlePINVerify()},
		{"POST " + api.Prefix + "/security/pin/reset", scopeOrCustomer(credential.ScopeCustomersWrite), s.API.HandlePINReset()},
		{"POST " + api.Prefix + "/security/otp/send", scopeOrCustomer(credential.ScopeCustomersWrite), s.API.HandleOTPSend()},
		{"POST " + api.Prefix + "/security/otp/verify", scopeOrCustomer(credential.ScopeCustomersWrite), s.API.HandleOTPVerify()},
		{"POST " + api.Prefix + "/security/totp", AccessCustomer, s.API.HandleTOTPBegin()},
		{"POST " + api.Prefix + "/security/totp/confirm", AccessCustomer, s.API.HandleTOTPConfirm()},
		// HIGH risk also needs credential.ScopeVerificationReviewHigh, checked with the risk.
		{"POST " + api.Prefix + "/admin/verification/review", scope(credential.ScopeVerificationReview), s.API.HandleReviewDecision()},
		{"POST " + api.Prefix + "/customer/individual/activate", scope(credential.ScopeVerificationReview), s.API.HandleActivate()},
	}
}

// apiRoutes lists the API's routes for its OpenAPI description.
func (s *server) apiRoutes() []api.RouteInfo {
	var out []api.RouteInfo
	for _, rt := range s.routes() {
		if rt.Access.isAPI() {
			out = append(out, api.RouteInfo{Pattern: rt.Pattern, Access: api.Access(rt.Access)})
		}
	}
	return out
}
