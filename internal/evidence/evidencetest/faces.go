package evidencetest

import (
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"

	xdraw "golang.org/x/image/draw"
)

// The faces of three people in the group photos that ship in the npm
// package @vladmandic/face-api (its demo/sampleN.jpg, installed by npm ci),
// where its detector finds them.
var people = []struct {
	sample int
	box    image.Rectangle
}{
	{1, image.Rect(414, 354, 590, 593)},
	{1, image.Rect(839, 418, 1027, 646)},
	{3, image.Rect(1071, 183, 1307, 537)},
}

// People is how many people Portrait and Selfie know.
const People = 3

func groupPhoto(root string, n int) (image.Image, error) {
	p := filepath.Join(root, "node_modules", "@vladmandic", "face-api", "demo", fmt.Sprintf("sample%d.jpg", n))
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("evidencetest: the face photos ship in the npm package @vladmandic/face-api (run npm ci): %w", err)
	}
	defer f.Close()
	return jpeg.Decode(f)
}

// crop cuts person who's face with margin (a share of the face's size on
// each side) and scales it to side pixels on its longer side.
func crop(root string, who int, margin float64, side int) (*image.RGBA, error) {
	if who < 0 || who >= len(people) {
		return nil, fmt.Errorf("evidencetest: no person %d", who)
	}
	img, err := groupPhoto(root, people[who].sample)
	if err != nil {
		return nil, err
	}
	b := people[who].box
	dx, dy := int(float64(b.Dx())*margin), int(float64(b.Dy())*margin)
	r := image.Rect(b.Min.X-dx, b.Min.Y-dy, b.Max.X+dx, b.Max.Y+dy).Intersect(img.Bounds())
	src := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(src, src.Bounds(), img, r.Min, draw.Src)
	w, h := side, side*r.Dy()/r.Dx()
	if r.Dy() > r.Dx() {
		w, h = side*r.Dx()/r.Dy(), side
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(out, out.Bounds(), src, src.Bounds(), xdraw.Src, nil)
	expose(out)
	return out, nil
}

// expose brightens img to a mean luma of about 120 with a gamma curve, as
// a phone camera's automatic exposure would (the group photos are taken
// in dim rooms); a curve, unlike a gain, saturates nothing.
func expose(img *image.RGBA) {
	var sum float64
	for i := 0; i < len(img.Pix); i += 4 {
		sum += 0.299*float64(img.Pix[i]) + 0.587*float64(img.Pix[i+1]) + 0.114*float64(img.Pix[i+2])
	}
	mean := sum / float64(len(img.Pix)/4)
	if mean <= 1 || mean >= 120 {
		return
	}
	g := math.Log(120.0/255) / math.Log(mean/255)
	var lut [256]uint8
	for v := range lut {
		lut[v] = uint8(math.Round(255 * math.Pow(float64(v)/255, g)))
	}
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2] = lut[img.Pix[i]], lut[img.Pix[i+1]], lut[img.Pix[i+2]]
	}
}

// Portrait is person who's face as an identity document's photo: cropped
// close, for PassportOptions.Photo. root is the project folder (where
// node_modules is).
func Portrait(root string, who int) (image.Image, error) { return crop(root, who, 0.35, 360) }

// Selfie is the same person's face as a customer's selfie: a wider crop,
// 640 pixels on its longer side.
func Selfie(root string, who int) (image.Image, error) { return crop(root, who, 0.9, 640) }
