package web

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/config"
)

// OIDC is the employees' OpenID Connect provider as the portal uses it.
// Discovery is lazy and retried, so the server starts even while the
// provider is still starting or briefly down.
type OIDC struct {
	cfg    config.OIDC
	client *http.Client

	mu         sync.Mutex
	provider   *oidc.Provider
	endSession string
	lastTry    time.Time
	lastErr    error
}

// NewOIDC returns the provider client for cfg; client may be nil for the
// default HTTP client.
func NewOIDC(cfg config.OIDC, client *http.Client) *OIDC {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &OIDC{cfg: cfg, client: client}
}

func (o *OIDC) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, o.client)
}

// discover returns the provider, fetching its discovery document on first
// use; failures are retried at most once a second.
func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	if time.Since(o.lastTry) < time.Second && o.lastErr != nil {
		return nil, o.lastErr
	}
	o.lastTry = time.Now()
	p, err := oidc.NewProvider(o.ctx(ctx), o.cfg.Issuer)
	if err != nil {
		o.lastErr = apperr.New(apperr.Unavailable, "the sign-in provider cannot be reached right now; try again in a moment")
		o.lastErr.(*apperr.Error).Err = err
		return nil, o.lastErr
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = p.Claims(&extra)
	o.provider, o.endSession, o.lastErr = p, extra.EndSession, nil
	return p, nil
}

func (o *OIDC) oauth2Config(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     o.cfg.ClientID,
		ClientSecret: o.cfg.ClientSecret,
		RedirectURL:  o.cfg.RedirectURL,
		Endpoint:     p.Endpoint(),
		Scopes:       o.cfg.Scopes,
	}
}

// authURL starts an authorization code flow with PKCE, state and nonce.
func (o *OIDC) authURL(ctx context.Context, state, nonce, verifier string) (string, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	return o.oauth2Config(p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// idToken is what the portal reads from a verified ID token.
type idToken struct {
	Issuer        string
	Subject       string
	Nonce         string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
}

// exchange trades the code for tokens and verifies the ID token: issuer,
// audience, expiry and signature (go-oidc); the nonce is the caller's to
// compare.
func (o *OIDC) exchange(ctx context.Context, code, verifier string) (idToken, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return idToken{}, err
	}
	tok, err := o.oauth2Config(p).Exchange(o.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return idToken{}, fmt.Errorf("%w: %w", errExchange, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return idToken{}, fmt.Errorf("%w: no id_token in the token response", errIDToken)
	}
	verified, err := p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID}).Verify(o.ctx(ctx), raw)
	if err != nil {
		return idToken{}, fmt.Errorf("%w: %w", errIDToken, err)
	}
	var claims map[string]any
	if err := verified.Claims(&claims); err != nil {
		return idToken{}, fmt.Errorf("%w: claims: %w", errIDToken, err)
	}
	out := idToken{Issuer: verified.Issuer, Subject: verified.Subject, Nonce: verified.Nonce}
	out.Email, _ = claims["email"].(string)
	out.EmailVerified, _ = claims["email_verified"].(bool)
	out.Name, _ = claims["name"].(string)
	switch g := claims[o.cfg.GroupsClaim].(type) {
	case []any:
		for _, v := range g {
			if s, ok := v.(string); ok {
				out.Groups = append(out.Groups, s)
			}
		}
	case string:
		out.Groups = []string{g}
	}
	return out, nil
}

// logoutURL is where sign-out continues at the provider, or "" when it has
// no end_session_endpoint.
func (o *OIDC) logoutURL(ctx context.Context, postLogout string) string {
	if _, err := o.discover(ctx); err != nil || o.endSession == "" {
		return ""
	}
	return o.endSession + "?client_id=" + urlQueryEscape(o.cfg.ClientID) + "&post_logout_redirect_uri=" + urlQueryEscape(postLogout)
}
