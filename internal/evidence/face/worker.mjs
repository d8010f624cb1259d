// Face worker for package face (matcher.go starts it with node; one request at a time).
//
// Protocol: one JSON object per line on stdin, one JSON answer per line on
// stdout, in the order of the requests. Requests:
//   {"id":1,"op":"analyze","width":W,"height":H,"rgb":"<base64 of W*H*3 bytes>","descriptors":true}
//   {"id":2,"op":"ping"}
// Answers:
//   {"id":1,"faces":[{"box":[x,y,w,h],"score":0.99,"descriptor":[128 floats]}],"ms":123}
//   {"id":2,"ready":true,"models":{...}}
//   {"id":n,"error":"..."}
// Everything a library prints goes to stderr, so stdout carries only answers.
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

for (const k of ['log', 'info', 'warn', 'debug']) console[k] = console.error; // keep stdout for the protocol

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const pkgDir = (name) => path.dirname(require.resolve(`${name}/package.json`));
const wasmDir = path.join(pkgDir('@tensorflow/tfjs-backend-wasm'), 'dist') + path.sep;
const modelDir = path.join(pkgDir('@vladmandic/face-api'), 'model');
const minConfidence = Number(process.env.FACE_MIN_CONFIDENCE || '0.5');
const maxResults = Number(process.env.FACE_MAX_RESULTS || '10');

wasm.setWasmPaths(wasmDir, false); // read the .wasm files from the package with fs, not fetch
await tf.setBackend('wasm');
await tf.ready();
tf.enableProdMode();
await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
const optionsFor = (req) => new faceapi.SsdMobilenetv1Options({ minConfidence: req.minConfidence > 0 && req.minConfidence < 1 ? req.minConfidence : minConfidence, maxResults });

const versions = {
  faceApi: faceapi.version,
  tfjs: tf.version_core,
  backend: tf.getBackend(),
  detector: 'ssd_mobilenetv1',
  landmarks: 'face_landmark_68',
  recognition: 'face_recognition (ResNet-34, 128-d)',
};

function reply(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// SSD MobileNet misses faces that fill most of the frame (a close selfie, a
// tightly cropped ID photo), so every image is searched twice: as it is and
// on a grey border of PAD times its longer side each way; the two lists are
// merged, a face found by both kept once (the higher score).
const PAD = 0.25;
const SAME_FACE_IOU = 0.3;

function iou(a, b) {
  const x1 = Math.max(a[0], b[0]);
  const y1 = Math.max(a[1], b[1]);
  const x2 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y2 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

async function pass(input, req, offset, width, height) {
  const task = faceapi.detectAllFaces(input, optionsFor(req));
  const results = req.descriptors
    ? await task.withFaceLandmarks().withFaceDescriptors()
    : (await task).map((detection) => ({ detection }));
  const faces = [];
  for (const r of results) {
    const b = r.detection.box;
    // Back to the unpadded image, clipped to it.
    const x = Math.max(0, b.x - offset);
    const y = Math.max(0, b.y - offset);
    const w = Math.min(width, b.x - offset + b.width) - x;
    const h = Math.min(height, b.y - offset + b.height) - y;
    if (w <= 0 || h <= 0) continue;
    const face = { box: [x, y, w, h], score: r.detection.score };
    if (r.descriptor) face.descriptor = Array.from(r.descriptor);
    faces.push(face);
  }
  return faces;
}

async function analyze(req) {
  const { width, height } = req;
  const buf = Buffer.from(req.rgb, 'base64');
  if (!(width > 0 && height > 0) || buf.length !== width * height * 3) {
    throw new Error(`rgb has ${buf.length} bytes, want ${width}x${height}x3`);
  }
  const t0 = performance.now();
  const input = tf.tensor3d(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), [height, width, 3], 'int32');
  const p = Math.round(Math.max(width, height) * PAD);
  const padded = tf.pad(input, [[p, p], [p, p], [0, 0]], 128);
  try {
    const direct = await pass(input, req, 0, width, height);
    const framed = await pass(padded, req, p, width, height);
    const faces = [...direct];
    for (const f of framed) {
      const i = faces.findIndex((g) => iou(f.box, g.box) > SAME_FACE_IOU);
      if (i < 0) faces.push(f);
      else if (f.score > faces[i].score) faces[i] = f;
    }
    faces.sort((a, b) => b.score - a.score);
    return { faces, ms: performance.now() - t0 };
  } finally {
    tf.dispose([input, padded]);
  }
}

// Requests are handled one at a time: the wasm backend is single-threaded JS
// and the Go side bounds concurrency by the number of workers.
let chain = Promise.resolve();
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  chain = chain.then(async () => {
    let req;
    try {
      req = JSON.parse(line);
    } catch (e) {
      reply({ id: 0, error: `bad request: ${e.message}` });
      return;
    }
    try {
      if (req.op === 'ping') reply({ id: req.id, ready: true, models: versions });
      else if (req.op === 'analyze') reply({ id: req.id, ...(await analyze(req)) });
      else reply({ id: req.id, error: `unknown op ${req.op}` });
    } catch (e) {
      reply({ id: req.id, error: String(e && e.message ? e.message : e) });
    }
  });
});
rl.on('close', () => chain.then(() => process.exit(0)));
reply({ id: 0, ready: true, models: versions });
