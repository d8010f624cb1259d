package web

import (
	"net/http"

	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/views/apiclients"
)

func (s *server) apiClientsPage(w http.ResponseWriter, r *http.Request, status int, form apiclients.Form, revealed *apiclients.Revealed) {
	s.apiClientsPageWith(w, r, status, form, apiclients.CertForm{}, revealed)
}

func (s *server) apiClientsPageWith(w http.ResponseWriter, r *http.Request, status int, form apiclients.Form, cert apiclients.CertForm, revealed *apiclients.Revealed) {
	emp, _ := employeeFrom(r.Context())
	t, err := s.Tenants.Get(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.APIClients.List(r.Context(), emp.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := apiclients.Page{Form: form, CertForm: cert, Revealed: revealed, Loc: t.Location(), Now: s.Now()}
	if revealed != nil {
		revealed.TokenURL = s.Config.PublicURL.String() + "/oauth/token"
		revealed.Tenant = t.Slug
	}
	for _, sc := range credential.Scopes {
		p.Scopes = append(p.Scopes, apiclients.ScopeOption{Name: sc.Name, Info: sc.Info})
	}
	for _, c := range list {
		p.Clients = append(p.Clients, apiclients.Client{ID: c.ID.String(), ClientID: c.ClientID, Name: c.Name, Scopes: c.Scopes,
			SecretHint: c.SecretHint, Status: c.Status, CreatedAt: c.CreatedAt, LastUsedAt: c.LastUsedAt, CertThumbprint: c.CertThumbprint})
	}
	s.page(w, r, status, "API clients", "api-clients", apiclients.List(p))
}

func (s *server) handleAPIClientList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var revealed *apiclients.Revealed
		var rv apiclients.Revealed
		found, err := s.takeReveal(r.Context(), revealAPIClient, &rv)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if found {
			revealed = &rv
		}
		s.apiClientsPage(w, r, http.StatusOK, apiclients.Form{Scopes: map[string]bool{}, Errors: map[string]string{}}, revealed)
	})
}

// revealClientSecret keeps a new secret for the list's next showing and
// sends the browser there.
func (s *server) revealClientSecret(w http.ResponseWriter, r *http.Request, clientID, name, secret string) {
	if err := s.putReveal(r.Context(), revealAPIClient, apiclients.Revealed{ClientID: clientID, Name: name, Secret: secret}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.seeOther(w, r, "/api-clients")
}

// handleAPIClientCreate makes a client and redirects to the list, which
// shows the new secret once from a sealed one-time reveal (see reveal.go):
// it never travels in a URL or a cookie, and a reload shows it no more and
// makes no second client.
func (s *server) handleAPIClientCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		if !s.readForm(w, r) {
			return
		}
		form := apiclients.Form{Name: r.PostForm.Get("name"), Certificate: r.PostForm.Get("certificate"), Scopes: map[string]bool{}, Errors: map[string]string{}}
		for _, sc := range r.PostForm["scopes"] {
			form.Scopes[sc] = true
		}
		c, secret, err := s.APIClients.CreateBound(r.Context(), emp.TenantID, form.Name, r.PostForm["scopes"], form.Certificate)
		if fieldErrors(err, form.Errors) {
			s.apiClientsPage(w, r, http.StatusUnprocessableEntity, form, nil)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.revealClientSecret(w, r, c.ClientID, c.Name, secret)
	})
}

func (s *server) handleAPIClientRotate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "API client")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, secret, err := s.APIClients.Rotate(r.Context(), emp.TenantID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.revealClientSecret(w, r, c.ClientID, c.Name, secret)
	})
}

func (s *server) handleAPIClientRevoke() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "API client")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.APIClients.Revoke(r.Context(), emp.TenantID, id); err != nil {
			s.fail(w, r, err)
			return
		}
		s.flash(w, r, "success", "The client was revoked; its tokens no longer work.")
		s.seeOther(w, r, "/api-clients")
	})
}

// handleAPIClientCertificate binds a client to a client certificate, or
// unbinds it when the field is empty.
func (s *server) handleAPIClientCertificate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		emp, _ := employeeFrom(r.Context())
		id, err := pathID(r, "id", "API client")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !s.readForm(w, r) {
			return
		}
		cert := r.PostForm.Get("certificate")
		c, err := s.APIClients.SetCertificate(r.Context(), emp.TenantID, id, cert)
		errs := map[string]string{}
		if fieldErrors(err, errs) {
			s.apiClientsPageWith(w, r, http.StatusUnprocessableEntity, apiclients.Form{Scopes: map[string]bool{}, Errors: map[string]string{}},
				apiclients.CertForm{ClientID: id.String(), Certificate: cert, Error: errs["certificate"]}, nil)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if c.CertThumbprint == "" {
			s.flash(w, r, "success", c.Name+" is no longer bound to a certificate.")
		} else {
			s.flash(w, r, "success", c.Name+" is bound to the certificate; its new tokens work only with it.")
		}
		s.seeOther(w, r, "/api-clients")
	})
}
