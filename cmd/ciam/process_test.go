package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childServeEnv makes the test binary run `ciam serve` instead of tests:
// a test starts the product as a process of its own, to kill it with
// SIGKILL or to run several beside each other.
const childServeEnv = "CIAM_TEST_CHILD_SERVE"

func childServe() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, []string{"ciam", "serve"}, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 1
	}
	return 0
}

// serverProcess is one `ciam serve` process started by a test.
type serverProcess struct {
	t    *testing.T
	base string
	env  []string
	log  string
	cmd  *exec.Cmd
	// exited is closed when the running process has ended.
	exited chan struct{}
	runs   int
}

// newServerProcess prepares a server on its own port with env (KEY=value
// pairs over the test's environment); start starts it.
func newServerProcess(t *testing.T, env map[string]string) *serverProcess {
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	vars := os.Environ()
	defaults := map[string]string{
		"HTTP_ADDR": fmt.Sprintf("127.0.0.1:%d", port), "PUBLIC_URL": base,
		"OIDC_ISSUER": "http://127.0.0.1:1", "OIDC_CLIENT_ID": "ciam", "OIDC_CLIENT_SECRET": "secret",
		"LOG_FORMAT": "text", "LOG_LEVEL": "warn", childServeEnv: "1",
	}
	for k, v := range defaults {
		if _, ok := env[k]; !ok {
			vars = append(vars, k+"="+v)
		}
	}
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	p := &serverProcess{t: t, base: base, env: vars, log: filepath.Join(t.TempDir(), "server.log")}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			if b, err := os.ReadFile(p.log); err == nil {
				lines := strings.Split(string(b), "\n")
				t.Logf("last lines of %s's output:\n%s", p.base, strings.Join(lines[max(0, len(lines)-40):], "\n"))
			}
		}
	})
	return p
}

// start starts the process and waits until /readyz answers 200; it
// returns how long that took.
func (p *serverProcess) start() time.Duration {
	p.t.Helper()
	out, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.t.Fatal(err)
	}
	defer out.Close()
	fmt.Fprintf(out, "--- run %d\n", p.runs+1)
	p.runs++
	p.cmd = exec.Command(os.Args[0], "-test.run=^$")
	p.cmd.Env, p.cmd.Stdout, p.cmd.Stderr = p.env, out, out
	began := time.Now()
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	exited := make(chan struct{})
	p.exited = exited
	cmd := p.cmd
	go func() { _ = cmd.Wait(); close(exited) }()
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(p.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(began)
			}
		}
		select {
		case <-exited:
			p.t.Fatalf("%s exited before it was ready", p.base)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Since(began) > 90*time.Second {
			p.t.Fatalf("%s not ready after 90 s", p.base)
		}
	}
}

// kill ends the process with SIGKILL, as a crash or the OOM killer would.
func (p *serverProcess) kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	p.cmd = nil
}

// stop ends the process with SIGTERM, as an orderly shutdown.
func (p *serverProcess) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.cmd = nil
}
