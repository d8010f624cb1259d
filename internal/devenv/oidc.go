package devenv

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// OIDCProvider is the local OpenID Connect provider (npm oidc-provider),
// run with Node from the project's node_modules.
type OIDCProvider struct {
	// Root is the project folder (with node_modules and internal/).
	Root string
	Port int
	// RedirectURL and PostLogoutURL are the portal's callbacks.
	RedirectURL   string
	PostLogoutURL string
	Log           io.Writer

	ClientID     string
	ClientSecret string
	cmd          *exec.Cmd
	done         chan struct{}
}

// Issuer is the provider's issuer URL.
func (o *OIDCProvider) Issuer() string { return fmt.Sprintf("http://localhost:%d", o.Port) }

// Start runs the provider and waits until its discovery document answers.
func (o *OIDCProvider) Start(ctx context.Context) error {
	script := filepath.Join(o.Root, "internal", "devenv", "oidc", "provider.mjs")
	if _, err := os.Stat(filepath.Join(o.Root, "node_modules", "oidc-provider")); err != nil {
		return errors.New("oidc: node_modules/oidc-provider is missing; run `npm ci` (make run does)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return errors.New("oidc: node is not installed; the local identity provider needs Node.js")
	}
	if o.ClientID == "" {
		o.ClientID = "ciam-portal"
	}
	if o.ClientSecret == "" {
		var b [24]byte
		_, _ = rand.Read(b[:])
		o.ClientSecret = hex.EncodeToString(b[:])
	}
	o.cmd = exec.Command(node, script)
	o.cmd.Dir = o.Root
	o.cmd.Env = append(os.Environ(),
		fmt.Sprintf("OIDC_PORT=%d", o.Port),
		"OIDC_CLIENT_ID="+o.ClientID,
		"OIDC_CLIENT_SECRET="+o.ClientSecret,
		"OIDC_REDIRECT_URIS="+o.RedirectURL,
		"OIDC_POST_LOGOUT_URIS="+o.PostLogoutURL,
		"NODE_ENV=development",
	)
	o.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	out, err := o.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	o.cmd.Stderr = o.cmd.Stdout
	if err := o.cmd.Start(); err != nil {
		return fmt.Errorf("oidc: start node: %w", err)
	}
	o.done = make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if o.Log != nil {
				fmt.Fprintf(o.Log, "oidc: %s\n", sc.Text())
			}
		}
		_ = o.cmd.Wait()
		close(o.done)
	}()
	client := &http.Client{Timeout: time.Second}
	ready := waitFor(ctx, 30*time.Second, func() bool {
		select {
		case <-o.done:
			return false
		default:
		}
		resp, err := client.Get(o.Issuer() + "/.well-known/openid-configuration")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if !ready {
		o.Stop()
		return fmt.Errorf("oidc: the local provider did not answer on port %d", o.Port)
	}
	return nil
}

// Stop ends the provider.
func (o *OIDCProvider) Stop() {
	if o.cmd == nil || o.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-o.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-o.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-o.cmd.Process.Pid, syscall.SIGKILL)
		<-o.done
	}
}
