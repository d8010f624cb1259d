// Package face finds faces on a selfie and on an identity document's photo and
// compares them.
//
// The models are the ones that ship inside the npm package @vladmandic/face-api
// (its model/ folder), run on TensorFlow.js with its WebAssembly backend, whose
// .wasm files ship inside @tensorflow/tfjs-backend-wasm: nothing is downloaded
// at install or run time. A small Node worker (worker.mjs beside this file)
// loads them once and answers requests on its standard input and output; the
// Go side decodes nothing itself, it takes decoded images, scales them down to
// at most Config.MaxSide pixels on the longer side and sends raw RGB.
//
//   - Detection: SSD MobileNet v1 trained on WIDER FACE (face-api's
//     ssd_mobilenetv1), minimum confidence 0.5 by default.
//   - Alignment: the 68-point landmark net (face_landmark_68).
//   - Recognition: face-api's face_recognition net, a ResNet-34-like network
//     ported from dlib's face recognition model, giving a 128-d descriptor;
//     faces are compared by the Euclidean distance between descriptors.
//
// SSD MobileNet misses faces that fill most of the frame (a close selfie), so
// the worker searches each image twice, as it is and on a grey border, and
// merges the two lists.
//
// The threshold: dlib's and face-api's usual 0.6 is too loose with these
// models. On the sample photos of @vladmandic/face-api (31 pairs of people
// seen on the same photograph, so certainly different) the distances run from
// 0.489 to 0.837 (median 0.651), and four of them (13%) are under 0.6. The
// same face re-cropped, scaled to 200 px, re-encoded at JPEG quality 25,
// turned grey, rotated by 8° or −12°, mirrored or printed on a rendered ID
// card stays at 0.10–0.38. DefaultThreshold is therefore 0.45. Two different
// photographs of one person, years apart, sit higher than re-encodings of one
// photograph; no package here ships such a pair to measure, so a non-match
// goes to a person, never to a rejection by itself.
//
// Similarity is a documented function of that distance d, not a probability:
//
//	similarity = 100 × clamp(1 − d / (2 × threshold), 0, 1)
//
// so d = 0 gives 100, d = threshold gives 50 (the decision boundary), and
// d ≥ 2 × threshold gives 0. Match is d < threshold.
//
// Limits: a single still proves nothing about liveness (a printed photo or a
// screen held up to the camera passes), and this package claims none. The
// recognition model was trained mostly on adult faces from the web; it is less
// accurate on children, strong make-up, heavy occlusion (masks, sunglasses),
// profile views and tiny or blurred faces (faces under about 40 pixels are
// seldom found). The ID photo is often small, printed, screened or
// holographically overlaid, which raises distances; a reviewer should see
// the score, not only the verdict.
package face

import (
	"errors"
	"fmt"
	"image"
	"math"
	"time"
)

// DefaultThreshold is the Euclidean distance between descriptors below which
// two faces are taken to be the same person (see the package documentation
// for why it is stricter than the usual 0.6).
const DefaultThreshold = 0.45

// ErrUnavailable wraps every reason the models cannot be run here (Node
// missing, the npm packages not installed, the worker failing to start). A
// check that gets it says NOT_CHECKED with the error's text; it never passes.
var ErrUnavailable = errors.New("face models unavailable")

// Face is one face found on an image, in that image's own coordinates.
type Face struct {
	Box image.Rectangle `json:"box"`
	// Score is the detector's confidence, 0–1.
	Score float64 `json:"score"`
	// Descriptor is the recognition model's 128-d descriptor (only from Compare).
	Descriptor []float32 `json:"-"`
}

// Models names the models and the software that ran them.
type Models struct {
	Detector    string `json:"detector"`
	Landmarks   string `json:"landmarks"`
	Recognition string `json:"recognition"`
	FaceAPI     string `json:"faceApi"` // @vladmandic/face-api version
	TFJS        string `json:"tfjs"`    // TensorFlow.js version
	Backend     string `json:"backend"` // TensorFlow.js backend (wasm)
}

// Comparison is the result of comparing a selfie with an ID photo.
type Comparison struct {
	SelfieFaces  []Face `json:"selfieFaces"`
	IDPhotoFaces []Face `json:"idPhotoFaces"`
	// Compared is true when each image had exactly one face; otherwise Reason
	// says why no comparison was made and Distance, Similarity and Match are zero.
	Compared bool   `json:"compared"`
	Reason   string `json:"reason,omitempty"`
	// Distance is the Euclidean distance between the two descriptors.
	Distance float64 `json:"distance"`
	// Similarity is 0–100, see the package documentation.
	Similarity float64 `json:"similarity"`
	Threshold  float64 `json:"threshold"`
	Match      bool    `json:"match"`
	Models     Models  `json:"models"`
	// Elapsed is the wall time of the whole comparison, queueing included.
	Elapsed time.Duration `json:"elapsedNs"`
}

// Distance is the Euclidean distance between two descriptors.
func Distance(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return math.Inf(1)
	}
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

// Similarity maps a descriptor distance to 0–100: 100 at distance 0, 50 at the
// threshold, 0 at twice the threshold and beyond.
func Similarity(distance, threshold float64) float64 {
	if threshold <= 0 || math.IsNaN(distance) {
		return 0
	}
	s := 1 - distance/(2*threshold)
	s = math.Max(0, math.Min(1, s))
	return math.Round(s*1000) / 10
}

// compare fills the verdict of c from its faces.
func (c *Comparison) compare(threshold float64) {
	c.Threshold = threshold
	switch {
	case len(c.SelfieFaces) != 1:
		c.Reason = countReason(len(c.SelfieFaces), "the selfie")
		return
	case len(c.IDPhotoFaces) != 1:
		c.Reason = countReason(len(c.IDPhotoFaces), "the ID photo")
		return
	}
	a, b := c.SelfieFaces[0].Descriptor, c.IDPhotoFaces[0].Descriptor
	if len(a) == 0 || len(b) == 0 || len(a) != len(b) {
		c.Reason = "the recognition model gave no descriptor"
		return
	}
	c.Compared = true
	c.Distance = math.Round(Distance(a, b)*10000) / 10000
	c.Similarity = Similarity(c.Distance, threshold)
	c.Match = c.Distance < threshold
}

func countReason(n int, what string) string {
	if n == 0 {
		return "no face found on " + what
	}
	return fmt.Sprintf("%d faces found on %s, exactly one is needed", n, what)
}
