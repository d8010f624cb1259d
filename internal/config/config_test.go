package config

import (
	"crypto/tls"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func valid() map[string]string {
	return map[string]string{
		"DATABASE_URL":          "postgres://u@localhost/ciam",
		"SESSION_KEYS":          "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC1zZWNyZXQ=",
		"OIDC_ISSUER":           "https://idp.example",
		"OIDC_CLIENT_ID":        "portal",
		"OIDC_CLIENT_SECRET":    "s",
		"FIELD_ENCRYPTION_KEYS": "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(valid()))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.SessionIdle != 30*time.Minute || c.SessionMaxAge != 12*time.Hour ||
		c.DatabaseAppRole != "ciam_app" || c.OIDC.RedirectURL != "http://localhost:8080/auth/callback" || c.Secure() {
		t.Fatalf("defaults: %+v", c)
	}
	m := valid()
	m["PUBLIC_URL"] = "https://back.example/"
	m["DATABASE_APP_ROLE"] = "none"
	m["OIDC_ROLE_MAP"] = "kyc=ANALYST, auditors=auditor"
	c, err = Load(env(m))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Secure() || c.DatabaseAppRole != "" || c.OIDC.RoleMap["auditors"] != "AUDITOR" || c.OIDC.RedirectURL != "https://back.example/auth/callback" {
		t.Fatalf("overrides: %+v", c)
	}
}

// Every bad variable is named, all at once.
func TestEveryBadVariableIsNamed(t *testing.T) {
	m := map[string]string{
		"PUBLIC_URL":            "localhost",
		"SESSION_KEYS":          "short",
		"SESSION_IDLE_TIMEOUT":  "soon",
		"OIDC_ISSUER":           "not a url",
		"OIDC_ROLE_MAP":         "x=KING",
		"OIDC_SCOPES":           "email",
		"LOG_LEVEL":             "loud",
		"LOG_FORMAT":            "xml",
		"FIELD_ENCRYPTION_KEYS": "k1:short",
		"DEBUG_ADDR":            "0.0.0.0:6060",
		"TRUSTED_PROXIES":       "10.0.0.0/8, proxy.example",
		"METRICS_ADDR":          ":8080",
	}
	_, err := Load(env(m))
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, name := range []string{"PUBLIC_URL", "DATABASE_URL", "SESSION_KEYS", "SESSION_IDLE_TIMEOUT", "OIDC_ISSUER",
		"OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_ROLE_MAP", "FIELD_ENCRYPTION_KEYS", "OIDC_SCOPES", "LOG_LEVEL", "LOG_FORMAT", "DEBUG_ADDR", "TRUSTED_PROXIES", "METRICS_ADDR"} {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

// The README documents every variable.
func TestREADMEListsEveryVariable(t *testing.T) {
	readme := readFile(t, "../../README.md")
	for _, v := range Vars {
		if !strings.Contains(readme, "`"+v.Name+"`") {
			t.Errorf("README does not document %s", v.Name)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TLS is off by default; its settings come as a whole, and each wrong one
// is named.
func TestTLSSettings(t *testing.T) {
	c, err := Load(env(valid()))
	if err != nil || c.TLS.Enabled() || c.TLS.MinVersion != tls.VersionTLS12 {
		t.Fatalf("default TLS %+v (%v)", c.TLS, err)
	}
	m := valid()
	m["TLS_CERT_FILE"], m["TLS_KEY_FILE"], m["TLS_CLIENT_CA_FILE"], m["TLS_MIN_VERSION"] = "server.pem", "server.key", "ca.pem", "1.3"
	if c, err = Load(env(m)); err != nil || !c.TLS.Enabled() || c.TLS.ClientCAFile != "ca.pem" || c.TLS.MinVersion != tls.VersionTLS13 {
		t.Fatalf("TLS %+v (%v)", c.TLS, err)
	}
	for _, tc := range []struct {
		set  map[string]string
		name string
	}{
		{map[string]string{"TLS_CERT_FILE": "server.pem"}, "TLS_KEY_FILE"},
		{map[string]string{"TLS_KEY_FILE": "server.key"}, "TLS_CERT_FILE"},
		{map[string]string{"TLS_CLIENT_CA_FILE": "ca.pem"}, "TLS_CLIENT_CA_FILE"},
		{map[string]string{"TLS_MIN_VERSION": "1.0"}, "TLS_MIN_VERSION"},
	} {
		m := valid()
		for k, v := range tc.set {
			m[k] = v
		}
		if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), tc.name+":") {
			t.Errorf("%v: %v; want an error naming %s", tc.set, err, tc.name)
		}
	}
}

// TRUSTED_PROXIES takes CIDRs and single addresses; empty trusts nobody.
func TestTrustedProxies(t *testing.T) {
	m := map[string]string{
		"DATABASE_URL": "postgres://u@h/db", "SESSION_KEYS": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC1zZWNyZXQ=",
		"OIDC_ISSUER": "https://idp.example", "OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET": "s",
		"FIELD_ENCRYPTION_KEYS": "t1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
	c, err := Load(env(m))
	if err != nil || len(c.TrustedProxies) != 0 {
		t.Fatalf("default: %v %v", c.TrustedProxies, err)
	}
	m["TRUSTED_PROXIES"] = "10.1.2.3/8, 192.0.2.7 ,2001:db8::/32"
	c, err = Load(env(m))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(c.TrustedProxies)
	if want := "[10.0.0.0/8 192.0.2.7/32 2001:db8::/32]"; got != want {
		t.Errorf("TrustedProxies = %s; want %s", got, want)
	}
}

// Tracing is off by default; its endpoint must be an http(s) URL and its
// sampling ratio a number from 0 to 1.
func TestOTelSettings(t *testing.T) {
	c, err := Load(env(valid()))
	if err != nil {
		t.Fatal(err)
	}
	if c.OTel != (OTel{ServiceName: "ciam", SampleRatio: 1}) {
		t.Errorf("defaults: %+v", c.OTel)
	}
	m := valid()
	m["OTEL_EXPORTER_OTLP_ENDPOINT"] = "https://otel.example:4318"
	m["OTEL_SERVICE_NAME"] = "ciam-eu"
	m["OTEL_TRACES_SAMPLER_ARG"] = "0.25"
	if c, err = Load(env(m)); err != nil {
		t.Fatal(err)
	}
	if c.OTel != (OTel{Endpoint: "https://otel.example:4318", ServiceName: "ciam-eu", SampleRatio: 0.25}) {
		t.Errorf("set: %+v", c.OTel)
	}
	m["OTEL_EXPORTER_OTLP_ENDPOINT"] = "otel.example:4318"
	m["OTEL_TRACES_SAMPLER_ARG"] = "2"
	_, err = Load(env(m))
	for _, name := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT:", "OTEL_TRACES_SAMPLER_ARG:"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s %v", name, err)
		}
	}
}

func TestNATSSettings(t *testing.T) {
	c, err := Load(env(valid()))
	if err != nil {
		t.Fatal(err)
	}
	if c.NATS != (NATS{Stream: "CIAM_EVENTS", SubjectPrefix: "ciam"}) {
		t.Errorf("defaults: %+v; want NATS off, stream CIAM_EVENTS, prefix ciam", c.NATS)
	}
	m := valid()
	m["NATS_URL"] = "nats://n1:4222, tls://n2:4222"
	m["NATS_STREAM"] = "EVENTS"
	m["NATS_SUBJECT_PREFIX"] = "bank.ciam"
	m["NATS_CREDS_FILE"] = "/run/secrets/nats.creds"
	if c, err = Load(env(m)); err != nil || c.NATS != (NATS{URL: "nats://n1:4222, tls://n2:4222", Stream: "EVENTS", SubjectPrefix: "bank.ciam", CredsFile: "/run/secrets/nats.creds"}) {
		t.Errorf("set: %+v %v", c.NATS, err)
	}
	for name, bad := range map[string]string{"NATS_URL": "http://n1:4222", "NATS_STREAM": "ciam.events", "NATS_SUBJECT_PREFIX": "ciam.>"} {
		m := valid()
		m[name] = bad
		if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("%s=%q: %v; want an error naming it", name, bad, err)
		}
	}
}

// JOB_RESCUE_AFTER defaults to 2m and may not go below a job's time-out,
// or the queue would run working jobs twice.
func TestJobRescueAfter(t *testing.T) {
	c, err := Load(env(valid()))
	if err != nil || c.JobRescueAfter != 2*time.Minute {
		t.Fatalf("default: %v %v; want 2m", c.JobRescueAfter, err)
	}
	m := valid()
	m["JOB_RESCUE_AFTER"] = "5m"
	if c, err := Load(env(m)); err != nil || c.JobRescueAfter != 5*time.Minute {
		t.Fatalf("5m: %v %v", c.JobRescueAfter, err)
	}
	for _, bad := range []string{"30s", "soon", "-1m"} {
		m["JOB_RESCUE_AFTER"] = bad
		if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), "JOB_RESCUE_AFTER:") {
			t.Errorf("JOB_RESCUE_AFTER=%s: %v; want an error naming it", bad, err)
		}
	}
}

// SCREENING_REFRESH defaults to 30s and is at least a second.
func TestScreeningRefresh(t *testing.T) {
	c, err := Load(env(valid()))
	if err != nil || c.ScreeningRefresh != 30*time.Second {
		t.Fatalf("default: %v %v; want 30s", c.ScreeningRefresh, err)
	}
	m := valid()
	m["SCREENING_REFRESH"] = "2s"
	if c, err := Load(env(m)); err != nil || c.ScreeningRefresh != 2*time.Second {
		t.Fatalf("2s: %v %v", c.ScreeningRefresh, err)
	}
	for _, bad := range []string{"500ms", "often", "0s"} {
		m["SCREENING_REFRESH"] = bad
		if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), "SCREENING_REFRESH:") {
			t.Errorf("SCREENING_REFRESH=%s: %v; want an error naming it", bad, err)
		}
	}
}
