// Package config reads the server's typed configuration from the environment
// and validates it at start, naming every variable that is wrong.
package config

import (
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ciamhq/ciam/internal/fieldcrypt"
)

// Config is everything the server needs to know about its surroundings.
type Config struct {
	HTTPAddr        string
	PublicURL       *url.URL
	DatabaseURL     string
	DatabaseAppRole string
	SessionKeys     []SessionKey
	// FieldKeys seal sensitive fields, documents and signing keys.
	FieldKeys     *fieldcrypt.Keys
	SessionIdle   time.Duration
	SessionMaxAge time.Duration
	OIDC          OIDC
	// DocumentStorage is "postgres" or "folder"; DocumentDir the folder.
	DocumentStorage string
	DocumentDir     string
	// FaceModelsDir is where the face worker and its npm models are.
	FaceModelsDir string
	// WebhookAllowPrivate lets webhook subscriptions reach loopback and
	// private networks (development only).
	WebhookAllowPrivate bool
	// ScreeningFetch fetches the lists from their publishers.
	ScreeningFetch  bool
	LogLevel        slog.Level
	LogFormat       string
	ShutdownTimeout time.Duration
	// JobRescueAfter is how long a job may stay running before the queue
	// takes it for stuck (its worker killed) and runs it again.
	JobRescueAfter time.Duration
	// ScreeningRefresh is how often a server looks for screening lists
	// loaded by another process (the command line, another server).
	ScreeningRefresh time.Duration
	// DebugAddr, when set, is a loopback address serving Go's profiler.
	DebugAddr string
	// MetricsAddr, when set, is the address serving /metrics for
	// Prometheus, apart from HTTPAddr so it is not public.
	MetricsAddr string
	// TLS, when its CertFile is set, makes the server listen with TLS.
	TLS TLS
	// TrustedProxies are the networks of the reverse proxies whose
	// X-Forwarded-For is believed; empty: nobody's, the peer is the client.
	TrustedProxies []netip.Prefix
	// OTel is where traces go; its Endpoint empty: nowhere.
	OTel OTel
	// NATS, when its URL is set, publishes every business event to a
	// JetStream stream as well.
	NATS NATS
}

// OTel is the tracing configuration (the OTEL_* variables).
type OTel struct {
	Endpoint    string
	ServiceName string
	SampleRatio float64
}

// NATS is where business events are published besides the outbox.
type NATS struct {
	URL           string
	Stream        string
	SubjectPrefix string
	CredsFile     string
}

// TLS is how the server listens with TLS itself, rather than behind a
// proxy that ends it.
type TLS struct {
	CertFile string
	KeyFile  string
	// ClientCAFile, when set, asks clients for a certificate and verifies
	// one given against these CAs (customer apps come without one, so it
	// is optional on the connection). API clients bound to a certificate
	// need it.
	ClientCAFile string
	// MinVersion is tls.VersionTLS12 or tls.VersionTLS13.
	MinVersion uint16
}

// Enabled reports whether the server listens with TLS.
func (t TLS) Enabled() bool { return t.CertFile != "" }

// OIDC is how employees sign in.
type OIDC struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string
	Scopes       []string
	GroupsClaim  string
	// RoleMap turns a group of the IdP's groups claim into a role.
	RoleMap map[string]string
}

// SessionKey signs and encrypts the portal's session cookie.
type SessionKey struct {
	Hash  []byte
	Block []byte
}

// Secure reports whether the portal is served over TLS, which decides the
// cookie's Secure flag and HSTS.
func (c Config) Secure() bool { return c.PublicURL != nil && c.PublicURL.Scheme == "https" }

// Var describes one environment variable, for validation and for the README.
type Var struct {
	Name     string
	Default  string
	Required bool
	Doc      string
}

// Vars is every variable the server reads.
var Vars = []Var{
	{Name: "HTTP_ADDR", Default: ":8080", Doc: "address the HTTP server listens on"},
	{Name: "PUBLIC_URL", Default: "http://localhost:8080", Doc: "the URL people and customer apps reach the server at; https turns on Secure cookies and HSTS"},
	{Name: "DATABASE_URL", Required: true, Doc: "PostgreSQL connection URL of the tables' owner (migrations run as it); `make run` starts a private cluster when it is empty"},
	{Name: "DATABASE_APP_ROLE", Default: "ciam_app", Doc: "role the server switches to after connecting, so row-level security applies; `none` when DATABASE_URL already logs in as a non-owner role"},
	{Name: "SESSION_KEYS", Required: true, Doc: "comma-separated base64 secrets of at least 32 bytes; the first signs and encrypts new session cookies, the others are still accepted (rotation)"},
	{Name: "FIELD_ENCRYPTION_KEYS", Required: true, Doc: "comma-separated id:base64 AES-256 keys (32 bytes each) sealing sensitive fields, documents and token signing keys; the first seals new data, the others still open old data (rotation)"},
	{Name: "SESSION_IDLE_TIMEOUT", Default: "30m", Doc: "a portal session ends after this long without a request"},
	{Name: "SESSION_MAX_AGE", Default: "12h", Doc: "a portal session ends this long after sign-in, however active"},
	{Name: "OIDC_ISSUER", Required: true, Doc: "issuer URL of the employees' OpenID Connect provider; `make run` starts a local one when it is empty"},
	{Name: "OIDC_CLIENT_ID", Required: true, Doc: "the portal's client id at the provider"},
	{Name: "OIDC_CLIENT_SECRET", Required: true, Doc: "the portal's client secret at the provider"},
	{Name: "OIDC_REDIRECT_URL", Doc: "callback registered at the provider; default PUBLIC_URL + /auth/callback"},
	{Name: "OIDC_SCOPES", Default: "openid email profile", Doc: "space-separated scopes asked of the provider"},
	{Name: "OIDC_GROUPS_CLAIM", Default: "groups", Doc: "ID token claim holding the employee's groups"},
	{Name: "OIDC_ROLE_MAP", Doc: "comma-separated group=ROLE pairs granting roles from the groups claim, e.g. `kyc-analysts=ANALYST`"},
	{Name: "DOCUMENT_STORAGE", Default: "postgres", Doc: "where sealed KYC documents are kept: postgres (in the database) or folder"},
	{Name: "DOCUMENT_STORAGE_DIR", Default: ".data/documents", Doc: "the folder of DOCUMENT_STORAGE=folder"},
	{Name: "FACE_MODELS_DIR", Default: ".", Doc: "folder holding node_modules (with @vladmandic/face-api and its model weights) and internal/evidence/face/worker.mjs; the server starts the face worker with node from there, and without them selfies are NOT_CHECKED and go to people"},
	{Name: "WEBHOOK_ALLOW_PRIVATE_NETWORKS", Default: "false", Doc: "true lets webhook subscriptions use http and point at loopback, private, link-local, CGNAT and NAT64 addresses; keep false in production so a subscription cannot reach internal services (`make run` sets true). Either way a subscription's URL is checked when it is made (at most 2,048 characters, a host that resolves); with false, the address a delivery connects to is checked again each time"},
	{Name: "LOG_LEVEL", Default: "info", Doc: "debug, info, warn or error"},
	{Name: "LOG_FORMAT", Default: "json", Doc: "json or text"},
	{Name: "DEBUG_ADDR", Doc: "loopback address (e.g. 127.0.0.1:6060) serving Go's profiler at /debug/pprof/ for performance work; empty serves nothing"},
	{Name: "METRICS_ADDR", Doc: "address (e.g. 127.0.0.1:9090, or an interface only Prometheus reaches) serving Prometheus metrics at /metrics, apart from HTTP_ADDR so they are not public; empty serves nothing"},
	{Name: "SHUTDOWN_TIMEOUT", Default: "15s", Doc: "how long in-flight requests get to finish after SIGTERM"},
	{Name: "SCREENING_REFRESH", Default: "30s", Doc: "how often a server looks for screening lists loaded by another process (the command line, another server behind the same load balancer): a list loaded anywhere is used by every server within this time; at least 1s"},
	{Name: "JOB_RESCUE_AFTER", Default: "2m", Doc: "a background job still running this long after it started, whose worker was killed or lost its database, is run again (or given up after its last attempt); at least 1m, the time-out of most jobs; a job with a longer time-out of its own (re-screening 30m, an AML shadow run 1h) is rescued only once that has passed"},
	{Name: "TLS_CERT_FILE", Doc: "PEM certificate (with its chain) the server listens with over TLS on HTTP_ADDR; empty: plain HTTP, for a proxy that ends TLS"},
	{Name: "TLS_KEY_FILE", Doc: "PEM private key of TLS_CERT_FILE; required with it"},
	{Name: "TLS_CLIENT_CA_FILE", Doc: "PEM CA certificates; when set (with TLS_CERT_FILE) the server asks for a client certificate and verifies one given against them, without requiring one; API clients bound to a certificate (RFC 8705) need it"},
	{Name: "TLS_MIN_VERSION", Default: "1.2", Doc: "lowest TLS version accepted: 1.2 or 1.3"},
	{Name: "NATS_URL", Doc: "NATS server URL(s), comma-separated, e.g. `nats://nats-1:4222,nats://nats-2:4222`; when set every business event is also published to a JetStream stream, from the outbox, in order per tenant, at least once (events wait in the outbox while NATS is down); empty publishes nothing"},
	{Name: "NATS_STREAM", Default: "CIAM_EVENTS", Doc: "JetStream stream the events go to, made when missing with the subjects `NATS_SUBJECT_PREFIX.>` and a two-minute duplicate window (an existing stream gets those added and keeps its other settings)"},
	{Name: "NATS_SUBJECT_PREFIX", Default: "ciam", Doc: "first token of the events' subjects: `<prefix>.<tenant slug>.<event type>`, e.g. `ciam.acme.customer.registered`"},
	{Name: "NATS_CREDS_FILE", Doc: "NATS credentials file (user JWT and NKey seed) to connect with; empty connects without"},
	{Name: "TRUSTED_PROXIES", Doc: "comma-separated CIDRs (or addresses) of the reverse proxies in front of the server, e.g. `10.0.0.0/8,192.0.2.7`; the client address recorded (registration, sessions) is the last X-Forwarded-For hop not among them; empty trusts no X-Forwarded-For and records the connection's peer"},
	{Name: "SCREENING_FETCH", Default: "false", Doc: "true fetches the screening lists from their publishers on each source's schedule (see Screening sources in the README); false fetches nothing, for offline installs: lists are loaded by hand (`ciam screening load`, the portal's upload)"},
	{Name: "OTEL_EXPORTER_OTLP_ENDPOINT", Doc: "base URL of an OTLP/HTTP collector (e.g. `http://otel-collector:4318`) the server sends its traces to (at its `/v1/traces`): spans of HTTP requests, SQL statements, jobs, webhook deliveries and connector checks; empty: tracing off. The exporter itself reads the standard `OTEL_EXPORTER_OTLP_HEADERS` (e.g. an API key) and the other `OTEL_EXPORTER_OTLP_*` settings"},
	{Name: "OTEL_SERVICE_NAME", Default: "ciam", Doc: "service.name of the traces"},
	{Name: "OTEL_TRACES_SAMPLER_ARG", Default: "1.0", Doc: "share of new traces kept, 0 to 1; a trace continued from a trusted proxy's traceparent, and every job and SQL span, follows its parent's decision"},
}

// natsName is a stream name or a subject token that needs no quoting.
var natsName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Roles an OIDC_ROLE_MAP may grant.
var knownRoles = map[string]bool{
	"ANALYST": true, "SENIOR_REVIEWER": true, "TENANT_ADMIN": true,
	"AUDITOR": true, "SUPPORT": true, "PLATFORM_OPERATOR": true,
}

// Load reads the configuration through getenv. Its error names every bad
// variable, one per line.
func Load(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, v := range Vars {
			if v.Name == name {
				return v.Default
			}
		}
		return ""
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	duration := func(name string) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d <= 0 {
			bad(name, "want a positive duration such as 30m, got %q", get(name))
		}
		return d
	}

	var c Config
	c.HTTPAddr = get("HTTP_ADDR")
	pub, err := url.Parse(get("PUBLIC_URL"))
	if err != nil || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" {
		bad("PUBLIC_URL", "want an absolute http or https URL, got %q", get("PUBLIC_URL"))
	} else {
		pub.Path = strings.TrimSuffix(pub.Path, "/")
		c.PublicURL = pub
	}
	c.DatabaseURL = get("DATABASE_URL")
	if c.DatabaseURL == "" {
		bad("DATABASE_URL", "required: a PostgreSQL URL such as postgres://user@host:5432/ciam")
	} else if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		bad("DATABASE_URL", "want a postgres:// URL")
	}
	c.DatabaseAppRole = get("DATABASE_APP_ROLE")
	if c.DatabaseAppRole == "none" {
		c.DatabaseAppRole = ""
	}

	if raw := get("SESSION_KEYS"); raw == "" {
		bad("SESSION_KEYS", "required: at least one base64 secret of 32 bytes or more (openssl rand -base64 48)")
	} else {
		for i, part := range strings.Split(raw, ",") {
			secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(part))
			if err != nil || len(secret) < 32 {
				bad("SESSION_KEYS", "secret %d is not base64 of at least 32 bytes", i+1)
				continue
			}
			k, err := DeriveSessionKey(secret)
			if err != nil {
				bad("SESSION_KEYS", "secret %d: %v", i+1, err)
				continue
			}
			c.SessionKeys = append(c.SessionKeys, k)
		}
	}
	if raw := get("FIELD_ENCRYPTION_KEYS"); raw == "" {
		bad("FIELD_ENCRYPTION_KEYS", "required: e.g. k1:$(openssl rand -base64 32)")
	} else if keys, err := fieldcrypt.Parse(raw); err != nil {
		bad("FIELD_ENCRYPTION_KEYS", "%v", err)
	} else {
		c.FieldKeys = keys
	}
	c.SessionIdle = duration("SESSION_IDLE_TIMEOUT")
	c.SessionMaxAge = duration("SESSION_MAX_AGE")
	if c.SessionIdle > 0 && c.SessionMaxAge > 0 && c.SessionIdle > c.SessionMaxAge {
		bad("SESSION_IDLE_TIMEOUT", "must not be longer than SESSION_MAX_AGE")
	}

	c.OIDC.Issuer = get("OIDC_ISSUER")
	if c.OIDC.Issuer == "" {
		bad("OIDC_ISSUER", "required: the issuer URL of the employees' OpenID Connect provider")
	} else if u, err := url.Parse(c.OIDC.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("OIDC_ISSUER", "want an absolute http or https URL, got %q", c.OIDC.Issuer)
	}
	c.OIDC.ClientID = get("OIDC_CLIENT_ID")
	if c.OIDC.ClientID == "" {
		bad("OIDC_CLIENT_ID", "required")
	}
	c.OIDC.ClientSecret = get("OIDC_CLIENT_SECRET")
	if c.OIDC.ClientSecret == "" {
		bad("OIDC_CLIENT_SECRET", "required")
	}
	c.OIDC.RedirectURL = get("OIDC_REDIRECT_URL")
	if c.OIDC.RedirectURL == "" && c.PublicURL != nil {
		c.OIDC.RedirectURL = c.PublicURL.String() + "/auth/callback"
	}
	c.OIDC.Scopes = strings.Fields(get("OIDC_SCOPES"))
	if !contains(c.OIDC.Scopes, "openid") {
		bad("OIDC_SCOPES", "must include openid")
	}
	c.OIDC.GroupsClaim = get("OIDC_GROUPS_CLAIM")
	c.OIDC.RoleMap = map[string]string{}
	if raw := get("OIDC_ROLE_MAP"); raw != "" {
		for _, pair := range strings.Split(raw, ",") {
			group, role, ok := strings.Cut(strings.TrimSpace(pair), "=")
			role = strings.ToUpper(strings.TrimSpace(role))
			if !ok || strings.TrimSpace(group) == "" || !knownRoles[role] {
				bad("OIDC_ROLE_MAP", "want group=ROLE pairs with a known role, got %q", pair)
				continue
			}
			c.OIDC.RoleMap[strings.TrimSpace(group)] = role
		}
	}

	c.DocumentStorage = strings.ToLower(get("DOCUMENT_STORAGE"))
	if c.DocumentStorage != "postgres" && c.DocumentStorage != "folder" {
		bad("DOCUMENT_STORAGE", "want postgres or folder, got %q", get("DOCUMENT_STORAGE"))
	}
	c.DocumentDir = get("DOCUMENT_STORAGE_DIR")
	c.FaceModelsDir = get("FACE_MODELS_DIR")
	switch strings.ToLower(get("SCREENING_FETCH")) {
	case "true", "1", "yes":
		c.ScreeningFetch = true
	case "false", "0", "no":
	default:
		bad("SCREENING_FETCH", "want true or false, got %q", get("SCREENING_FETCH"))
	}
	switch strings.ToLower(get("WEBHOOK_ALLOW_PRIVATE_NETWORKS")) {
	case "true", "1", "yes":
		c.WebhookAllowPrivate = true
	case "false", "0", "no":
	default:
		bad("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "want true or false, got %q", get("WEBHOOK_ALLOW_PRIVATE_NETWORKS"))
	}
	switch strings.ToLower(get("LOG_LEVEL")) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		bad("LOG_LEVEL", "want debug, info, warn or error, got %q", get("LOG_LEVEL"))
	}
	c.LogFormat = strings.ToLower(get("LOG_FORMAT"))
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("LOG_FORMAT", "want json or text, got %q", get("LOG_FORMAT"))
	}
	c.ShutdownTimeout = duration("SHUTDOWN_TIMEOUT")
	// The queue refuses a rescue time below its default job time-out
	// (internal/jobs.JobTimeout): jobs would be run twice while working.
	if c.JobRescueAfter = duration("JOB_RESCUE_AFTER"); c.JobRescueAfter > 0 && c.JobRescueAfter < time.Minute {
		bad("JOB_RESCUE_AFTER", "want at least 1m, the time-out of a job, got %q", get("JOB_RESCUE_AFTER"))
	}
	if c.ScreeningRefresh = duration("SCREENING_REFRESH"); c.ScreeningRefresh > 0 && c.ScreeningRefresh < time.Second {
		bad("SCREENING_REFRESH", "want at least 1s, got %q", get("SCREENING_REFRESH"))
	}
	if c.DebugAddr = get("DEBUG_ADDR"); c.DebugAddr != "" {
		host, _, err := net.SplitHostPort(c.DebugAddr)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			bad("DEBUG_ADDR", "want a loopback host:port such as 127.0.0.1:6060 (the profiler must not be reachable from the network), got %q", c.DebugAddr)
		}
	}
	for _, p := range strings.Split(get("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				bad("TRUSTED_PROXIES", "want comma-separated CIDRs or addresses such as 10.0.0.0/8, got %q", p)
				continue
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, pfx.Masked())
	}

	if c.NATS.URL = get("NATS_URL"); c.NATS.URL != "" {
		for _, raw := range strings.Split(c.NATS.URL, ",") {
			u, err := url.Parse(strings.TrimSpace(raw))
			if err != nil || u.Host == "" || (u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss") {
				bad("NATS_URL", "want nats:// (or tls://, ws://, wss://) URLs separated by commas, got %q", raw)
			}
		}
	}
	c.NATS.Stream = get("NATS_STREAM")
	if !natsName.MatchString(c.NATS.Stream) {
		bad("NATS_STREAM", "want a stream name of letters, digits, _ and -, got %q", c.NATS.Stream)
	}
	c.NATS.SubjectPrefix = get("NATS_SUBJECT_PREFIX")
	for _, tok := range strings.Split(c.NATS.SubjectPrefix, ".") {
		if !natsName.MatchString(tok) {
			bad("NATS_SUBJECT_PREFIX", "want subject tokens of letters, digits, _ and - separated by dots (no wildcards), got %q", c.NATS.SubjectPrefix)
			break
		}
	}
	c.NATS.CredsFile = get("NATS_CREDS_FILE")
	if c.MetricsAddr = get("METRICS_ADDR"); c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" || (port != "0" && port == portOf(c.HTTPAddr)) {
			bad("METRICS_ADDR", "want a host:port such as 127.0.0.1:9090, apart from HTTP_ADDR (the metrics must not be public), got %q", c.MetricsAddr)
		}
	}
	c.OTel.Endpoint, c.OTel.ServiceName = get("OTEL_EXPORTER_OTLP_ENDPOINT"), get("OTEL_SERVICE_NAME")
	if c.OTel.Endpoint != "" {
		if u, err := url.Parse(c.OTel.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("OTEL_EXPORTER_OTLP_ENDPOINT", "want an http or https URL such as http://otel-collector:4318, got %q", c.OTel.Endpoint)
		}
	}
	if r, err := strconv.ParseFloat(get("OTEL_TRACES_SAMPLER_ARG"), 64); err != nil || r < 0 || r > 1 {
		bad("OTEL_TRACES_SAMPLER_ARG", "want a ratio from 0 to 1 such as 0.25, got %q", get("OTEL_TRACES_SAMPLER_ARG"))
	} else {
		c.OTel.SampleRatio = r
	}

	c.TLS.CertFile, c.TLS.KeyFile, c.TLS.ClientCAFile = get("TLS_CERT_FILE"), get("TLS_KEY_FILE"), get("TLS_CLIENT_CA_FILE")
	switch {
	case c.TLS.CertFile != "" && c.TLS.KeyFile == "":
		bad("TLS_KEY_FILE", "required with TLS_CERT_FILE")
	case c.TLS.CertFile == "" && c.TLS.KeyFile != "":
		bad("TLS_CERT_FILE", "required with TLS_KEY_FILE")
	}
	if c.TLS.ClientCAFile != "" && c.TLS.CertFile == "" {
		bad("TLS_CLIENT_CA_FILE", "needs TLS_CERT_FILE and TLS_KEY_FILE: client certificates come only over the server's own TLS")
	}
	switch get("TLS_MIN_VERSION") {
	case "1.2":
		c.TLS.MinVersion = tls.VersionTLS12
	case "1.3":
		c.TLS.MinVersion = tls.VersionTLS13
	default:
		bad("TLS_MIN_VERSION", "want 1.2 or 1.3, got %q", get("TLS_MIN_VERSION"))
	}

	if len(errs) > 0 {
		return c, fmt.Errorf("configuration:\n%w", errors.Join(errs...))
	}
	return c, nil
}

// DeriveSessionKey turns one secret into the cookie's signing and
// encryption keys, so operators handle a single value per key.
func DeriveSessionKey(secret []byte) (SessionKey, error) {
	hash, err := hkdf.Key(sha256.New, secret, nil, "ciam session cookie signing", 64)
	if err != nil {
		return SessionKey{}, err
	}
	block, err := hkdf.Key(sha256.New, secret, nil, "ciam session cookie encryption", 32)
	if err != nil {
		return SessionKey{}, err
	}
	return SessionKey{Hash: hash, Block: block}, nil
}

// portOf is the port of a host:port address, or "" when it has none.
func portOf(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	return port
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
