// V8 oracle for the differential fuzzer: node [--liftoff --no-wasm-tier-up |
// --no-liftoff] v8_harness.js MODULE.wasm SPEC.json
//            or ... v8_harness.js --batch JOBS.json   ([[MODULE, SPEC], ...];
//               each trace follows a line "== job K"; saves a node start
//               per case, which is most of a case's time)
//
// Runs MODULE like binaryen's fuzz-exec (hangLimitInitializer before every
// exported function, zero arguments) and prints the canonical trace (see
// fuzz/README.md). JS can neither pass v128 values nor call a function whose
// signature has one, so difftool.py writes two wasm helpers named in SPEC:
// log.wasm (export "l<k>": log import k with v128 split into i32 lanes)
// and wrap.wasm (export "w<k>": calls exported function k with zeros and
// reports each result through the "res" imports as scalars).
'use strict';
const fs = require('fs');

const out = [];
const print = (s) => out.push(s);

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const hex = (v, n) => v.toString(16).padStart(n, '0');

function token(type, v) {
  switch (type) {
    case 'i32': return 'i32:' + hex(v >>> 0, 8);
    case 'i64': return 'i64:' + hex(BigInt.asUintN(64, BigInt(v)), 16);
    case 'f32': f32[0] = v; return 'f32:' + hex(u32[0], 8);
    case 'f64': f64[0] = v; return 'f64:' + hex(u64[0], 16);
    default: return type + ':?';
  }
}
const lanes = (a) => 'v128:' + a.map((x) => hex(x >>> 0, 8)).join('_');

function isTrap(e) {
  return e instanceof WebAssembly.RuntimeError || e instanceof RangeError;
}

function run(wasmPath, specPath) {
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
  // Log imports.
  const logHelpers = new WebAssembly.Instance(
      new WebAssembly.Module(fs.readFileSync(spec.log)), {
        host: Object.fromEntries(spec.logs.map((log, k) => [
          'h' + k, (...args) => print('log ' + splitTokens(log.params, args)),
        ])),
      });
  const imports = {};
  spec.logs.forEach((log, k) => {
    imports[log.module] = imports[log.module] || {};
    imports[log.module][log.name] = log.split ?
        logHelpers.exports['l' + k] :
        (...args) => print('log ' + splitTokens(log.params, args));
  });

  let target;
  try {
    target = new WebAssembly.Instance(
        new WebAssembly.Module(fs.readFileSync(wasmPath)), imports);
  } catch (e) {
    if (!isTrap(e)) throw e;
    print('instantiate-trap ' + e.message);
    return;
  }

  let results = [];
  const res = {
    i32: (v) => results.push(token('i32', v)),
    i64: (v) => results.push(token('i64', v)),
    f32: (v) => results.push(token('f32', v)),
    f64: (v) => results.push(token('f64', v)),
    v128: (a, b, c, d) => results.push(lanes([a, b, c, d])),
    ref: (isNull) => results.push(isNull ? 'ref:null' : 'ref:func'),
  };
  const wrap = new WebAssembly.Instance(
      new WebAssembly.Module(fs.readFileSync(spec.wrap)), {
        res,
        target: Object.fromEntries(
            spec.exports.map((e, k) => [String(k), target.exports[e.name]])),
      });

  const init = target.exports.hangLimitInitializer;
  spec.exports.forEach((e, k) => {
    print('call ' + e.name);
    try {
      if (init) init();
      results = [];
      wrap.exports['w' + k]();
      if (e.results.length) print('result ' + results.join(' '));
    } catch (err) {
      if (!isTrap(err)) throw err;
      print('trap ' + err.message);
    }
  });
}

// Log arguments as tokens; a split v128 arrives as four i32 lanes.
function splitTokens(params, args) {
  const tokens = [];
  let i = 0;
  for (const t of params) {
    if (t === 'v128') {
      tokens.push(lanes(args.slice(i, i + 4)));
      i += 4;
    } else {
      tokens.push(token(t, args[i++]));
    }
  }
  return tokens.join(' ');
}

function runOne(wasmPath, specPath) {
  try {
    run(wasmPath, specPath);
  } catch (e) {
    print('harness-error ' + String(e && e.stack || e).replace(/\n/g, ' | '));
  }
}

const args = process.argv.slice(2);
if (args[0] === '--batch') {
  JSON.parse(fs.readFileSync(args[1], 'utf8')).forEach(([wasm, spec], k) => {
    print('== job ' + k);
    runOne(wasm, spec);
  });
} else {
  runOne(args[0], args[1]);
}
process.stdout.write(out.join('\n') + '\n');
