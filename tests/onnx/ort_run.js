// Runs an ONNX model in ONNX Runtime (npm onnxruntime-node, CPU) for the
// export tests and scripts/bench.sh. Node's require finds onnxruntime-node
// through NODE_PATH (scripts/ort_install.sh prints the folder).
//   node ort_run.js run MODEL.onnx INPUTS.safetensors[:GROUP] OUT.safetensors [--opt all|disabled] [--threads N]
//     every model input is read from the file (GROUP.<name> with a group), every output written as F32
//   node ort_run.js bench MODEL.onnx BATCH SEQ [--opt all|disabled] [--threads N] [--seconds S]
//     random ids, prints "<sequences/s>" over repeated runs after one warm-up
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function readSafetensors(spec) {
  let [path, group] = [spec, ''];
  const m = /^(.*\.safetensors):([^/]+)$/.exec(spec);
  if (m) [path, group] = [m[1], m[2] + '.'];
  const buf = fs.readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const base = 8 + n;
  const out = {};
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__' || !k.startsWith(group)) continue;
    const [a, b] = v.data_offsets;
    const bytes = buf.buffer.slice(buf.byteOffset + base + a, buf.byteOffset + base + b);
    let data;
    if (v.dtype === 'I64') data = new BigInt64Array(bytes.slice(0));
    else if (v.dtype === 'F32') data = new Float32Array(bytes.slice(0));
    else throw new Error(`${path}: ${k} is ${v.dtype}; only I64 and F32 are read`);
    out[k.slice(group.length)] = { type: v.dtype === 'I64' ? 'int64' : 'float32', data, dims: v.shape };
  }
  return out;
}

function writeSafetensors(path, tensors) {
  const header = {};
  const blobs = [];
  let off = 0;
  for (const [k, t] of Object.entries(tensors)) {
    const f = Float32Array.from(t.data);
    const b = Buffer.from(f.buffer);
    header[k] = { dtype: 'F32', shape: t.dims.map(Number), data_offsets: [off, off + b.length] };
    blobs.push(b);
    off += b.length;
  }
  let h = JSON.stringify(header);
  h += ' '.repeat((8 - (h.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(h)));
  fs.writeFileSync(path, Buffer.concat([len, Buffer.from(h), ...blobs]));
}

function flag(args, name, def) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
}

async function session(model, args) {
  const opt = flag(args, '--opt', 'all');
  const threads = Number(flag(args, '--threads', '2'));
  return ort.InferenceSession.create(model, {
    graphOptimizationLevel: opt,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionProviders: ['cpu'],
  });
}

async function run(args) {
  const [model, inputs, out] = args;
  const s = await session(model, args);
  const t = readSafetensors(inputs);
  const feeds = {};
  for (const name of s.inputNames) {
    if (!t[name]) throw new Error(`${inputs}: no tensor for model input ${name}`);
    feeds[name] = new ort.Tensor(t[name].type, t[name].data, t[name].dims);
  }
  const r = await s.run(feeds);
  const outs = {};
  for (const name of s.outputNames) outs[name] = r[name];
  writeSafetensors(out, outs);
}

async function bench(args) {
  const [model, batch, seq] = [args[0], Number(args[1]), Number(args[2])];
  const seconds = Number(flag(args, '--seconds', '5'));
  const s = await session(model, args);
  const n = batch * seq;
  const ids = new BigInt64Array(n);
  let x = 12345;
  for (let i = 0; i < n; ++i) {
    x = (x * 1103515245 + 12345) % 2147483648;
    ids[i] = BigInt(1000 + (x % 28000));
  }
  const feeds = {};
  for (const name of s.inputNames) {
    const data = name === 'input_ids' ? ids : new BigInt64Array(n).fill(name === 'attention_mask' ? 1n : 0n);
    feeds[name] = new ort.Tensor('int64', data, [batch, seq]);
  }
  await s.run(feeds);  // warm-up
  let runs = 0;
  const t0 = process.hrtime.bigint();
  let el = 0;
  while (runs < 2 || el < seconds) {
    await s.run(feeds);
    ++runs;
    el = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  console.log((runs * batch / el).toFixed(2));
}

const [cmd, ...rest] = process.argv.slice(2);
(cmd === 'run' ? run(rest) : cmd === 'bench' ? bench(rest) : Promise.reject(new Error('usage: run | bench')))
  .catch((e) => {
    console.error(`ort_run: ${e.message || e}`);
    process.exit(1);
  });
