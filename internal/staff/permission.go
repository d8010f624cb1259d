package staff

import "slices"

// Permission names one thing an employee may do. Every portal route states
// the permission it needs (web/routes.go).
type Permission string

// The portal's permissions.
const (
	PermDashboard     Permission = "dashboard.view"
	PermCustomersRead Permission = "customers.read"
	PermCustomersEdit Permission = "customers.manage"
	PermCustomersPII  Permission = "customers.reveal"
	// PermCustomersHide takes a customer out of search and lists for good
	// (MAKE-IT-GO-AWAY): a compliance decision, not a support one.
	PermCustomersHide Permission = "customers.hide"
	PermDocumentsView Permission = "documents.view"
	PermReviewsRead   Permission = "reviews.read"
	PermReviewsDecide Permission = "reviews.decide"
	PermReviewsHigh   Permission = "reviews.decide_high_risk"
	PermAlertsRead    Permission = "alerts.read"
	PermAlertsManage  Permission = "alerts.manage"
	PermCasesRead     Permission = "cases.read"
	PermCasesManage   Permission = "cases.manage"
	PermScreeningRead Permission = "screening.read"
	PermScreeningDo   Permission = "screening.decide"
	PermListsManage   Permission = "screening.lists.manage"
	PermAMLRulesRead  Permission = "aml.rules.read"
	PermAMLRulesEdit  Permission = "aml.rules.edit"
	PermApprovalsRead Permission = "approvals.read"
	PermApprovalsDo   Permission = "approvals.decide"
	PermConfigRead    Permission = "config.read"
	PermConfigEdit    Permission = "config.edit"
	PermStaffRead     Permission = "staff.read"
	PermStaffManage   Permission = "staff.manage"
	PermAPIClients    Permission = "apiclients.manage"
	PermWebhooks      Permission = "webhooks.manage"
	PermAuditRead     Permission = "audit.read"
	PermTenantsManage Permission = "tenants.manage"
	// PermReportsRun runs, schedules and downloads reporting extracts;
	// each file is masked as the requester's role sees customers' data.
	PermReportsRun Permission = "reports.run"
	// PermSubjectAccess requests, follows and downloads a customer's
	// subject access export (GDPR art. 15): everything held about them,
	// unmasked, so only a role that sees customers' data in full has it.
	// Each request still needs a second employee's approval.
	PermSubjectAccess Permission = "customers.subject_access"
	// PermLegalHold sets and releases a customer's legal hold (the
	// compliance officer's).
	PermLegalHold Permission = "customers.legal_hold"
	// PermRetentionRead shows what the next retention run will delete.
	PermRetentionRead Permission = "retention.read"
)

// AllPermissions lists every permission.
var AllPermissions = []Permission{
	PermDashboard, PermCustomersRead, PermCustomersEdit, PermCustomersPII, PermCustomersHide, PermDocumentsView,
	PermReviewsRead, PermReviewsDecide, PermReviewsHigh, PermAlertsRead, PermAlertsManage, PermCasesRead, PermCasesManage,
	PermScreeningRead, PermScreeningDo, PermListsManage, PermAMLRulesRead, PermAMLRulesEdit,
	PermApprovalsRead, PermApprovalsDo, PermConfigRead, PermConfigEdit, PermStaffRead,
	PermStaffManage, PermAPIClients, PermWebhooks, PermAuditRead, PermTenantsManage, PermReportsRun, PermSubjectAccess,
	PermLegalHold, PermRetentionRead,
}

// Role is a named set of permissions granted to an employee.
type Role string

// The roles.
const (
	Analyst          Role = "ANALYST"
	SeniorReviewer   Role = "SENIOR_REVIEWER"
	TenantAdmin      Role = "TENANT_ADMIN"
	Auditor          Role = "AUDITOR"
	Support          Role = "SUPPORT"
	PlatformOperator Role = "PLATFORM_OPERATOR"
)

// Roles lists every role, in the order the portal shows them.
var Roles = []Role{Analyst, SeniorReviewer, TenantAdmin, Auditor, Support, PlatformOperator}

// RoleInfo says what a role is for, for the staff page.
var RoleInfo = map[Role]string{
	Analyst:          "Works the review, alert and screening queues",
	SeniorReviewer:   "Decides high-risk reviews; second pair of eyes on rule and limit changes",
	TenantAdmin:      "Manages staff, API clients and configuration",
	Auditor:          "Reads everything, changes nothing",
	Support:          "Looks up customers and helps them with access",
	PlatformOperator: "Creates tenants and loads screening lists",
}

var grants = map[Role][]Permission{
	Analyst: {
		PermDashboard, PermCustomersRead, PermDocumentsView, PermReviewsRead, PermReviewsDecide,
		PermAlertsRead, PermAlertsManage, PermCasesRead, PermCasesManage, PermScreeningRead, PermScreeningDo, PermAMLRulesRead,
		PermApprovalsRead,
	},
	SeniorReviewer: {
		PermDashboard, PermCustomersRead, PermCustomersEdit, PermCustomersPII, PermCustomersHide, PermDocumentsView,
		PermReviewsRead, PermReviewsDecide, PermReviewsHigh, PermAlertsRead, PermAlertsManage, PermCasesRead, PermCasesManage,
		PermScreeningRead, PermScreeningDo, PermAMLRulesRead, PermAMLRulesEdit,
		PermApprovalsRead, PermApprovalsDo, PermReportsRun, PermSubjectAccess, PermLegalHold, PermRetentionRead,
	},
	TenantAdmin: {
		PermDashboard, PermCustomersRead, PermAMLRulesRead, PermAMLRulesEdit, PermApprovalsRead,
		PermApprovalsDo, PermConfigRead, PermConfigEdit, PermStaffRead, PermStaffManage,
		PermAPIClients, PermWebhooks, PermAuditRead, PermReportsRun, PermRetentionRead,
	},
	Auditor: {
		PermDashboard, PermCustomersRead, PermDocumentsView, PermReviewsRead, PermAlertsRead, PermCasesRead,
		PermScreeningRead, PermAMLRulesRead, PermApprovalsRead, PermConfigRead, PermStaffRead,
		PermAuditRead, PermReportsRun, PermRetentionRead,
	},
	Support: {
		PermDashboard, PermCustomersRead, PermCustomersEdit,
	},
	PlatformOperator: {
		PermDashboard, PermTenantsManage, PermListsManage, PermScreeningRead,
	},
}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool { return slices.Contains(Roles, Role(r)) }

// Permissions is a set of permissions.
type Permissions map[Permission]bool

// PermissionsOf is the union of what roles grant.
func PermissionsOf(roles []Role) Permissions {
	set := Permissions{}
	for _, r := range roles {
		for _, p := range grants[r] {
			set[p] = true
		}
	}
	return set
}

// Has reports whether p is in the set.
func (s Permissions) Has(p Permission) bool { return s[p] }
