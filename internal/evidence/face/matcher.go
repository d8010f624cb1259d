package face

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Config tunes a Matcher; zero values take the defaults.
type Config struct {
	// Root is the project folder holding node_modules and internal/ (where
	// worker.mjs is). Required.
	Root string
	// Node is the node executable; default: "node" from PATH.
	Node string
	// Workers is how many Node processes run at most, which is how many
	// images are analysed at once; default 1 (each uses one core).
	Workers int
	// Timeout bounds one image's analysis, waiting for a free worker
	// excluded; default 30s. A worker that overruns it is killed and
	// started again on the next request.
	Timeout time.Duration
	// StartTimeout bounds a worker's start (loading the models); default 60s.
	StartTimeout time.Duration
	// MaxSide: images are scaled down so their longer side is at most this
	// many pixels before they are sent; default 1280.
	MaxSide int
	// Threshold is the descriptor distance below which faces match; default 0.6.
	Threshold float64
	// MinConfidence is the detector's minimum score, 0–1; default 0.5.
	MinConfidence float64
	// Log receives the worker's standard error; default: discarded.
	Log io.Writer
}

// Matcher runs face detection and comparison in Node workers. It is safe for
// concurrent use. Workers start on first use (or with Warm) and are started
// again when they die.
type Matcher struct {
	cfg    Config
	script string
	slots  chan *worker // idle workers (possibly not started)

	closing chan struct{} // closed by Close

	mu     sync.Mutex
	models Models
	closed bool
}

// Start checks that Node, the worker and the npm packages are there and
// returns a Matcher whose workers start on first use. root is the project
// folder with node_modules (the repository root). Errors wrap ErrUnavailable.
func Start(ctx context.Context, root string) (*Matcher, error) {
	return StartWith(ctx, Config{Root: root})
}

// StartWith is Start with a Config.
func StartWith(_ context.Context, cfg Config) (*Matcher, error) {
	if cfg.Root == "" {
		return nil, fmt.Errorf("%w: no project root given", ErrUnavailable)
	}
	root, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("%w: project root: %v", ErrUnavailable, err)
	}
	cfg.Root = root
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	if cfg.MaxSide <= 0 {
		cfg.MaxSide = 1280
	}
	if cfg.Threshold <= 0 {
		cfg.Threshold = DefaultThreshold
	}
	if cfg.MinConfidence <= 0 || cfg.MinConfidence >= 1 {
		cfg.MinConfidence = 0.5
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	node := cfg.Node
	if node == "" {
		node = "node"
	}
	path, err := exec.LookPath(node)
	if err != nil {
		return nil, fmt.Errorf("%w: Node.js is not installed (%q not found)", ErrUnavailable, node)
	}
	cfg.Node = path
	script := filepath.Join(cfg.Root, "internal", "evidence", "face", "worker.mjs")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("%w: the worker %s is missing", ErrUnavailable, filepath.Join("internal", "evidence", "face", "worker.mjs"))
	}
	for _, p := range []string{
		"@vladmandic/face-api/model/ssd_mobilenetv1_model.bin",
		"@vladmandic/face-api/model/face_recognition_model.bin",
		"@tensorflow/tfjs/package.json",
		"@tensorflow/tfjs-backend-wasm/package.json",
	} {
		if _, err := os.Stat(filepath.Join(cfg.Root, "node_modules", filepath.FromSlash(p))); err != nil {
			return nil, fmt.Errorf("%w: node_modules/%s is missing; run `npm ci`", ErrUnavailable, p)
		}
	}
	m := &Matcher{cfg: cfg, script: script, slots: make(chan *worker, cfg.Workers), closing: make(chan struct{})}
	for range cfg.Workers {
		m.slots <- &worker{m: m}
	}
	return m, nil
}

// Warm starts one worker now (loading the models) so the first request does
// not pay for it, and returns the models it loaded.
func (m *Matcher) Warm(ctx context.Context) (Models, error) {
	w, err := m.acquire(ctx)
	if err != nil {
		return Models{}, err
	}
	defer m.release(w)
	if err := w.ensure(ctx); err != nil {
		return Models{}, err
	}
	return m.Models(), nil
}

// Models are the models the workers loaded (empty before the first start).
func (m *Matcher) Models() Models {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.models
}

// Threshold is the distance threshold in force.
func (m *Matcher) Threshold() float64 { return m.cfg.Threshold }

// Detect finds the faces on img (without descriptors), in img's coordinates.
func (m *Matcher) Detect(ctx context.Context, img image.Image) ([]Face, error) {
	return m.analyze(ctx, img, false)
}

// Compare finds the faces on both images and, when each has exactly one,
// compares them. An image without exactly one face is not an error: the
// Comparison says why it was not compared.
func (m *Matcher) Compare(ctx context.Context, selfie, idPhoto image.Image) (Comparison, error) {
	start := time.Now()
	var c Comparison
	var errA, errB error
	if m.cfg.Workers > 1 {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); c.IDPhotoFaces, errB = m.analyze(ctx, idPhoto, true) }()
		c.SelfieFaces, errA = m.analyze(ctx, selfie, true)
		wg.Wait()
	} else {
		c.SelfieFaces, errA = m.analyze(ctx, selfie, true)
		if errA == nil {
			c.IDPhotoFaces, errB = m.analyze(ctx, idPhoto, true)
		}
	}
	if errA != nil {
		return Comparison{}, fmt.Errorf("selfie: %w", errA)
	}
	if errB != nil {
		return Comparison{}, fmt.Errorf("ID photo: %w", errB)
	}
	c.compare(m.cfg.Threshold)
	c.Models = m.Models()
	c.Elapsed = time.Since(start)
	return c, nil
}

// Close stops the workers, waiting for requests in flight. Requests after
// Close fail.
func (m *Matcher) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	close(m.closing)
	m.mu.Unlock()
	for range m.cfg.Workers {
		w := <-m.slots
		w.stopMu.Lock()
		w.stopped = true
		w.stopMu.Unlock()
		w.terminate()
	}
	return nil
}

var errClosed = errors.New("face: matcher closed")

func (m *Matcher) acquire(ctx context.Context) (*worker, error) {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return nil, errClosed
	}
	if err := ctx.Err(); err != nil { // select would pick a free slot as readily as the cancellation
		return nil, err
	}
	select {
	case w := <-m.slots:
		return w, nil
	case <-m.closing:
		return nil, errClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (m *Matcher) release(w *worker) { m.slots <- w }

type request struct {
	ID            uint64  `json:"id"`
	Op            string  `json:"op"`
	Width         int     `json:"width,omitempty"`
	Height        int     `json:"height,omitempty"`
	RGB           string  `json:"rgb,omitempty"`
	Descriptors   bool    `json:"descriptors,omitempty"`
	MinConfidence float64 `json:"minConfidence,omitempty"`
}

type response struct {
	ID     uint64 `json:"id"`
	Error  string `json:"error"`
	Ready  bool   `json:"ready"`
	Models Models `json:"models"`
	Faces  []struct {
		Box        [4]float64 `json:"box"`
		Score      float64    `json:"score"`
		Descriptor []float32  `json:"descriptor"`
	} `json:"faces"`
}

func (m *Matcher) analyze(ctx context.Context, img image.Image, descriptors bool) ([]Face, error) {
	if img == nil || img.Bounds().Empty() {
		return nil, errors.New("face: empty image")
	}
	rgb, w, h, scale := toRGB(img, m.cfg.MaxSide)
	req := request{Op: "analyze", Width: w, Height: h, Descriptors: descriptors, MinConfidence: m.cfg.MinConfidence,
		RGB: base64.StdEncoding.EncodeToString(rgb)}
	wk, err := m.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer m.release(wk)
	resp, err := wk.call(ctx, &req)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	faces := make([]Face, 0, len(resp.Faces))
	for _, f := range resp.Faces {
		r := image.Rect(
			int(f.Box[0]/scale+0.5), int(f.Box[1]/scale+0.5),
			int((f.Box[0]+f.Box[2])/scale+0.5), int((f.Box[1]+f.Box[3])/scale+0.5),
		).Add(b.Min).Intersect(b)
		faces = append(faces, Face{Box: r, Score: f.Score, Descriptor: f.Descriptor})
	}
	return faces, nil
}

// worker is one Node process, used by one request at a time (the slot
// channel hands it out).
type worker struct {
	m      *Matcher
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	done   chan struct{}
	nextID uint64

	stopMu  sync.Mutex
	stopped bool
}

func (w *worker) alive() bool {
	if w.cmd == nil {
		return false
	}
	select {
	case <-w.done:
		return false
	default:
		return true
	}
}

// ensure starts the process if it is not running and waits for its ready line.
func (w *worker) ensure(ctx context.Context) error {
	if w.alive() {
		return nil
	}
	w.kill()
	w.stopMu.Lock()
	stopped := w.stopped
	w.stopMu.Unlock()
	if stopped {
		return errClosed
	}
	cfg := w.m.cfg
	cmd := exec.Command(cfg.Node, w.m.script)
	cmd.Dir = cfg.Root
	cmd.Env = append(os.Environ(), "NODE_ENV=production")
	cmd.Stderr = cfg.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: start node: %v", ErrUnavailable, err)
	}
	w.cmd, w.stdin, w.out, w.done = cmd, stdin, bufio.NewReaderSize(stdout, 1<<16), make(chan struct{})
	done := w.done
	go func() { _ = cmd.Wait(); close(done) }()

	ctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	var resp response
	if err := w.read(ctx, &resp); err != nil {
		w.kill()
		if errors.Is(err, context.Canceled) {
			return err // the caller gave up: the models are not unavailable for that
		}
		return fmt.Errorf("%w: the face worker did not start: %v", ErrUnavailable, err)
	}
	if resp.Error != "" || !resp.Ready {
		w.kill()
		return fmt.Errorf("%w: the face worker did not start: %s", ErrUnavailable, resp.Error)
	}
	w.m.mu.Lock()
	w.m.models = resp.Models
	w.m.mu.Unlock()
	return nil
}

// call sends one request and reads its answer within the Timeout; on any
// failure the process is killed, to be started again on the next call.
func (w *worker) call(ctx context.Context, req *request) (*response, error) {
	if err := w.ensure(ctx); err != nil {
		return nil, err
	}
	w.nextID++
	req.ID = w.nextID
	line, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, w.m.cfg.Timeout)
	defer cancel()
	written := make(chan error, 1)
	go func() {
		_, err := w.stdin.Write(append(line, '\n'))
		written <- err
	}()
	var resp response
	err = w.read(ctx, &resp)
	if err == nil {
		err = <-written
	}
	if err != nil {
		w.kill()
		return nil, fmt.Errorf("face worker: %w", err)
	}
	if resp.ID != req.ID {
		w.kill()
		return nil, fmt.Errorf("face worker: answer %d to request %d", resp.ID, req.ID)
	}
	if resp.Error != "" {
		return nil, fmt.Errorf("face worker: %s", resp.Error)
	}
	return &resp, nil
}

// read reads one answer line; it gives up when ctx ends or the process exits
// (the caller then kills the process, which unblocks the reading goroutine).
func (w *worker) read(ctx context.Context, resp *response) error {
	type result struct {
		line []byte
		err  error
	}
	ch := make(chan result, 1)
	out := w.out
	go func() {
		line, err := out.ReadBytes('\n')
		ch <- result{line, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			select {
			case <-w.done:
				return fmt.Errorf("the worker exited (%v)", w.cmd.ProcessState)
			case <-time.After(time.Second):
			}
			return r.err
		}
		return json.Unmarshal(r.line, resp)
	case <-ctx.Done():
		return fmt.Errorf("no answer in time: %w", ctx.Err())
	}
}

func (w *worker) kill() {
	if w.cmd == nil || w.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
	<-w.done
	w.cmd = nil
}

// terminate closes stdin so the worker exits after its current request, and
// kills it if it has not within a few seconds.
func (w *worker) terminate() {
	if !w.alive() {
		return
	}
	_ = w.stdin.Close()
	select {
	case <-w.done:
	case <-time.After(3 * time.Second):
	}
	w.kill()
}
