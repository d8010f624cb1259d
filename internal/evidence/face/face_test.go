package face

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"
)

// The faces come from the sample photographs that ship in the npm package
// @vladmandic/face-api (demo/sample1.jpg … sample6.jpg: group photos of 3 to
// 5 people each), installed by `npm ci` with the models themselves.

// groupCounts is how many faces each sample photo shows (counted by eye).
var groupCounts = map[int]int{1: 3, 2: 3, 3: 3, 4: 4, 5: 5, 6: 4}

func projectRoot(t testing.TB) string {
	t.Helper()
	if r := os.Getenv("CIAM_ROOT"); r != "" {
		return r
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s and CIAM_ROOT unset", dir)
		}
	}
}

var (
	sharedOnce sync.Once
	shared     *Matcher
	sharedErr  error
)

// matcher is one Matcher for the package's tests (its worker loads the
// models once). It fails, never skips, when Node or the packages are missing.
func matcher(t testing.TB) *Matcher {
	t.Helper()
	sharedOnce.Do(func() {
		shared, sharedErr = StartWith(context.Background(), Config{Root: projectRoot(t), Log: os.Stderr})
		if sharedErr == nil {
			_, sharedErr = shared.Warm(context.Background())
		}
	})
	if sharedErr != nil {
		t.Fatalf("face models needed by this test are not available: %v (install Node.js and run `npm ci` in the project root)", sharedErr)
	}
	return shared
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
}

func sample(t testing.TB, n int) image.Image {
	t.Helper()
	p := filepath.Join(projectRoot(t), "node_modules", "@vladmandic", "face-api", "demo", fmt.Sprintf("sample%d.jpg", n))
	f, err := os.Open(p)
	if err != nil {
		t.Fatalf("test photo missing (it ships in the npm package @vladmandic/face-api; run `npm ci`): %v", err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", p, err)
	}
	return img
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// --- image helpers: the test makes its selfies and ID photos from the samples.

func cropTo(img image.Image, r image.Rectangle) *image.RGBA {
	r = r.Intersect(img.Bounds())
	dst := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(dst, dst.Bounds(), img, r.Min, draw.Src)
	return dst
}

// around is box grown by k times its width on every side.
func around(box image.Rectangle, k float64) image.Rectangle {
	m := int(float64(box.Dx()) * k)
	return image.Rect(box.Min.X-m, box.Min.Y-m, box.Max.X+m, box.Max.Y+m)
}

func scaled(img image.Image, longSide int) *image.RGBA {
	rgb, w, h, _ := toRGB(img, longSide)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		copy(dst.Pix[i*4:], rgb[i*3:i*3+3])
		dst.Pix[i*4+3] = 255
	}
	return dst
}

func reencoded(t testing.TB, img image.Image, quality int) image.Image {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func grey(img image.Image) *image.Gray {
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return g
}

// rotated turns img by deg degrees about its centre (bilinear, same size,
// corners filled grey).
func rotated(img image.Image, deg float64) *image.RGBA {
	src := cropTo(img, img.Bounds())
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dst := image.NewRGBA(src.Bounds())
	sin, cos := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(w)/2, float64(h)/2
	for y := range h {
		for x := range w {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			sx, sy := cos*dx+sin*dy+cx-0.5, -sin*dx+cos*dy+cy-0.5
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			o := dst.PixOffset(x, y)
			if x0 < 0 || y0 < 0 || x0+1 >= w || y0+1 >= h {
				dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2], dst.Pix[o+3] = 128, 128, 128, 255
				continue
			}
			fx, fy := sx-float64(x0), sy-float64(y0)
			for c := range 3 {
				p := func(xx, yy int) float64 { return float64(src.Pix[src.PixOffset(xx, yy)+c]) }
				v := p(x0, y0)*(1-fx)*(1-fy) + p(x0+1, y0)*fx*(1-fy) + p(x0, y0+1)*(1-fx)*fy + p(x0+1, y0+1)*fx*fy
				dst.Pix[o+c] = uint8(v + 0.5)
			}
			dst.Pix[o+3] = 255
		}
	}
	return dst
}

func mirrored(img image.Image) *image.RGBA {
	src := cropTo(img, img.Bounds())
	b := src.Bounds()
	dst := image.NewRGBA(b)
	for y := range b.Dy() {
		for x := range b.Dx() {
			copy(dst.Pix[dst.PixOffset(b.Dx()-1-x, y):][:4], src.Pix[src.PixOffset(x, y):][:4])
		}
	}
	return dst
}

// idCard renders a document-like card (pale background, text bars, an MRZ-like
// band) with photo, in grey, as the portrait of an ID document.
func idCard(photo image.Image) *image.RGBA {
	card := image.NewRGBA(image.Rect(0, 0, 860, 540))
	draw.Draw(card, card.Bounds(), image.NewUniform(color.RGBA{226, 232, 222, 255}), image.Point{}, draw.Src)
	ph := scaled(grey(photo), 300)
	draw.Draw(card, ph.Bounds().Add(image.Pt(40, 90)), ph, image.Point{}, draw.Src)
	ink := image.NewUniform(color.RGBA{40, 40, 60, 255})
	for i := range 7 {
		draw.Draw(card, image.Rect(320, 100+i*40, 320+300+(i*37)%180, 114+i*40), ink, image.Point{}, draw.Src)
	}
	for i := range 2 {
		for j := range 30 {
			if (i*31+j*7)%5 != 0 {
				draw.Draw(card, image.Rect(40+j*26, 440+i*40, 58+j*26, 466+i*40), ink, image.Point{}, draw.Src)
			}
		}
	}
	return card
}

// sideBySide puts images next to each other on a grey canvas.
func sideBySide(imgs ...image.Image) *image.RGBA {
	w, h := 0, 0
	for _, im := range imgs {
		w += im.Bounds().Dx() + 40
		h = max(h, im.Bounds().Dy())
	}
	dst := image.NewRGBA(image.Rect(0, 0, w+40, h+80))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.Gray{120}), image.Point{}, draw.Src)
	x := 40
	for _, im := range imgs {
		draw.Draw(dst, im.Bounds().Sub(im.Bounds().Min).Add(image.Pt(x, 40)), im, im.Bounds().Min, draw.Src)
		x += im.Bounds().Dx() + 40
	}
	return dst
}

// noFace is a picture with texture and shapes but no face.
func noFace() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			o := img.PixOffset(x, y)
			img.Pix[o] = uint8(x * 255 / 640)
			img.Pix[o+1] = uint8((x*y/7 + y) % 256)
			img.Pix[o+2] = uint8(200 - y/3)
			img.Pix[o+3] = 255
		}
	}
	for i := range 6 {
		draw.Draw(img, image.Rect(60+i*90, 120+i*20, 120+i*90, 300), image.NewUniform(color.RGBA{uint8(i * 40), 90, 160, 255}), image.Point{}, draw.Src)
	}
	return img
}

var (
	detectedMu sync.Mutex
	detected   = map[int][]Face{}
	decoded    = map[int]image.Image{}
)

// facesOf detects the faces of sample n, checking their count, sorted left to
// right (once per sample for the package's tests).
func facesOf(t *testing.T, n int) (image.Image, []Face) {
	t.Helper()
	detectedMu.Lock()
	defer detectedMu.Unlock()
	if faces, ok := detected[n]; ok {
		return decoded[n], faces
	}
	img := sample(t, n)
	faces, err := matcher(t).Detect(ctx(t), img)
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) != groupCounts[n] {
		t.Fatalf("sample%d: %d faces found, want %d: %v", n, len(faces), groupCounts[n], faces)
	}
	sort.Slice(faces, func(i, j int) bool { return faces[i].Box.Min.X < faces[j].Box.Min.X })
	detected[n], decoded[n] = faces, img
	return img, faces
}

// --- tests

func TestDetectCountsFacesOnGroupPhotos(t *testing.T) {
	for n := 1; n <= 6; n++ {
		t.Run(fmt.Sprintf("sample%d", n), func(t *testing.T) {
			img, faces := facesOf(t, n)
			for _, f := range faces {
				if !f.Box.In(img.Bounds()) || f.Box.Dx() < 60 || f.Score < 0.5 || f.Score > 1 {
					t.Errorf("implausible face %v score %.2f", f.Box, f.Score)
				}
			}
		})
	}
}

func TestDetectOneTwoAndNoFace(t *testing.T) {
	m := matcher(t)
	img, faces := facesOf(t, 1)
	a := cropTo(img, around(faces[0].Box, 0.6))
	b := cropTo(img, around(faces[2].Box, 0.6))
	close := cropTo(img, around(faces[1].Box, 0.05)) // the face fills the frame, like a close selfie
	cases := []struct {
		name string
		img  image.Image
		want int
	}{
		{"one face", a, 1},
		{"one face filling the frame", close, 1},
		{"one face, small and re-encoded", reencoded(t, scaled(b, 160), 40), 1},
		{"ID card portrait", idCard(a), 1},
		{"two faces side by side", sideBySide(a, b), 2},
		{"no face: shapes", noFace(), 0},
		{"no face: the room without its people", cropTo(img, image.Rect(0, 0, 330, 300)), 0},
		{"no face: plain grey", cropTo(image.NewUniform(color.Gray{90}), image.Rect(0, 0, 300, 300)), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := m.Detect(ctx(t), c.img)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != c.want {
				t.Fatalf("%d faces, want %d: %v", len(got), c.want, got)
			}
		})
	}
	// Boxes are in the image's own coordinates, also for a sub-image.
	sub := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(around(faces[0].Box, 0.5))
	got, err := m.Detect(ctx(t), sub)
	if err != nil || len(got) != 1 {
		t.Fatalf("sub-image: %v %v", got, err)
	}
	if r := got[0].Box.Intersect(faces[0].Box); r.Dx()*r.Dy() < faces[0].Box.Dx()*faces[0].Box.Dy()/2 {
		t.Fatalf("sub-image box %v is not where the face is (%v)", got[0].Box, faces[0].Box)
	}
}

func TestCompareSameFaceMatches(t *testing.T) {
	m := matcher(t)
	for _, who := range []struct{ sample, face int }{{1, 0}, {6, 1}} {
		img, faces := facesOf(t, who.sample)
		box := faces[who.face].Box
		selfie := cropTo(img, around(box, 0.7))
		idPhoto := cropTo(img, around(box, 0.35))
		variants := []struct {
			name string
			img  image.Image
		}{
			{"cropped", idPhoto},
			{"scaled to 200 px", scaled(selfie, 200)},
			{"JPEG quality 25", reencoded(t, selfie, 25)},
			{"grey", grey(idPhoto)},
			{"rotated 8°", rotated(selfie, 8)},
			{"rotated −12°", rotated(selfie, -12)},
			{"mirrored", mirrored(selfie)},
			{"on an ID card", idCard(idPhoto)},
		}
		for _, v := range variants {
			t.Run(fmt.Sprintf("sample%d face %d %s", who.sample, who.face, v.name), func(t *testing.T) {
				c, err := m.Compare(ctx(t), selfie, v.img)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("distance %.3f similarity %.1f in %v", c.Distance, c.Similarity, c.Elapsed.Round(time.Millisecond))
				if !c.Compared || !c.Match || c.Similarity <= 50 || c.Distance >= c.Threshold {
					t.Fatalf("same face not matched: %+v", c)
				}
				if len(c.SelfieFaces) != 1 || len(c.IDPhotoFaces) != 1 || c.Threshold != DefaultThreshold {
					t.Fatalf("faces %d/%d threshold %v", len(c.SelfieFaces), len(c.IDPhotoFaces), c.Threshold)
				}
				if c.Models.Detector != "ssd_mobilenetv1" || c.Models.Recognition == "" || c.Models.FaceAPI == "" || c.Models.Backend != "wasm" {
					t.Fatalf("models: %+v", c.Models)
				}
			})
		}
	}
}

// Faces on the same photograph are different people: none of the 31 pairs on
// the six samples may match. Their distances are logged, as the evidence for
// the threshold.
func TestCompareDifferentPeopleDoNotMatch(t *testing.T) {
	m := matcher(t)
	var dists []float64
	for n := 1; n <= 6; n++ {
		img := sample(t, n)
		faces, err := m.analyze(ctx(t), img, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(faces) != groupCounts[n] {
			t.Fatalf("sample%d: %d faces, want %d", n, len(faces), groupCounts[n])
		}
		for i := range faces {
			for j := i + 1; j < len(faces); j++ {
				d := Distance(faces[i].Descriptor, faces[j].Descriptor)
				dists = append(dists, d)
				if d < DefaultThreshold {
					t.Errorf("sample%d: different people %v and %v at distance %.3f (< %.2f)", n, faces[i].Box, faces[j].Box, d, DefaultThreshold)
				}
			}
		}
	}
	sort.Float64s(dists)
	under := sort.SearchFloat64s(dists, 0.6)
	t.Logf("%d pairs of different people: distance min %.3f, median %.3f, max %.3f; %d under the usual 0.6",
		len(dists), dists[0], dists[len(dists)/2], dists[len(dists)-1], under)
	if len(dists) != 31 {
		t.Fatalf("%d pairs, want 31", len(dists))
	}

	// And through Compare, a selfie of one person and an ID card of another.
	img, faces := facesOf(t, 5)
	c, err := m.Compare(ctx(t), cropTo(img, around(faces[0].Box, 0.6)), idCard(cropTo(img, around(faces[4].Box, 0.35))))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("selfie vs someone else's ID card: distance %.3f similarity %.1f", c.Distance, c.Similarity)
	if !c.Compared || c.Match || c.Similarity >= 50 {
		t.Fatalf("different people matched: %+v", c)
	}
}

func TestCompareNeedsExactlyOneFaceEach(t *testing.T) {
	m := matcher(t)
	img, faces := facesOf(t, 1)
	one := cropTo(img, around(faces[0].Box, 0.6))
	for _, c := range []struct {
		name            string
		selfie, idPhoto image.Image
		reason          string
	}{
		{"group selfie", img, one, "3 faces found on the selfie, exactly one is needed"},
		{"no face on the ID photo", one, noFace(), "no face found on the ID photo"},
		{"no face on the selfie", noFace(), one, "no face found on the selfie"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := m.Compare(ctx(t), c.selfie, c.idPhoto)
			if err != nil {
				t.Fatal(err)
			}
			if got.Compared || got.Match || got.Similarity != 0 || got.Reason != c.reason {
				t.Fatalf("got %+v, want not compared: %s", got, c.reason)
			}
		})
	}
}

func TestSimilarityScale(t *testing.T) {
	for _, c := range []struct{ d, want float64 }{{0, 100}, {0.225, 75}, {0.45, 50}, {0.675, 25}, {0.9, 0}, {1.4, 0}} {
		if got := Similarity(c.d, 0.45); got != c.want {
			t.Errorf("Similarity(%v) = %v, want %v", c.d, got, c.want)
		}
	}
}

func TestWorkerRestartsAfterDyingOrTimingOut(t *testing.T) {
	m, err := StartWith(context.Background(), Config{Root: projectRoot(t), Log: os.Stderr, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	img, faces := facesOf(t, 3)
	one := cropTo(img, around(faces[0].Box, 0.6))
	detect := func() error {
		got, err := m.Detect(ctx(t), one)
		if err == nil && len(got) != 1 {
			err = fmt.Errorf("%d faces", len(got))
		}
		return err
	}
	// Concurrent requests on two workers.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- detect() }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Kill every worker behind the Matcher's back: the next request starts one again.
	for range 2 {
		w := <-m.slots
		if w.alive() {
			_ = w.cmd.Process.Kill()
			<-w.done
		}
		m.slots <- w
	}
	if err := detect(); err != nil {
		t.Fatalf("after the worker died: %v", err)
	}
	// A request that overruns its time fails, and the next one works.
	m.cfg.Timeout = time.Millisecond
	if err := detect(); err == nil {
		t.Fatal("no timeout")
	}
	m.cfg.Timeout = 30 * time.Second
	if err := detect(); err != nil {
		t.Fatalf("after a timeout: %v", err)
	}
	// A cancelled context fails fast.
	c, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Detect(c, one); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	m.Close()
	if _, err := m.Detect(ctx(t), one); err == nil {
		t.Fatal("Detect after Close worked")
	}
}

func TestUnavailableSaysWhy(t *testing.T) {
	_, err := StartWith(context.Background(), Config{Root: t.TempDir()})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("empty root: %v", err)
	}
	_, err = StartWith(context.Background(), Config{Root: projectRoot(t), Node: filepath.Join(t.TempDir(), "node")})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("no node: %v", err)
	}
	t.Logf("%v", err)
}

// BenchmarkCompare measures one selfie–ID-card comparison (both images
// searched twice, landmarks and descriptors) on a warm worker.
func BenchmarkCompare(b *testing.B) {
	m := matcher(b)
	img := sample(b, 6)
	faces, err := m.Detect(context.Background(), img)
	if err != nil || len(faces) == 0 {
		b.Fatal(err)
	}
	selfie := scaled(cropTo(img, around(faces[0].Box, 0.8)), 720)
	card := idCard(cropTo(img, around(faces[0].Box, 0.35)))
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		c, err := m.Compare(context.Background(), selfie, card)
		if err != nil || !c.Match {
			b.Fatalf("%v %+v", err, c)
		}
		total += c.Elapsed
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/compare")
	b.Logf("%d comparisons, %.0f ms each (selfie %v, ID card %v)", b.N, float64(total.Milliseconds())/float64(b.N), selfie.Bounds().Size(), card.Bounds().Size())
}
