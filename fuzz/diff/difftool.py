#!/usr/bin/env python3
"""Differential fuzzing of Kiln against independent oracles.

Generator: binaryen's translate-to-fuzz (wasm-opt -ttf) turns random bytes
into a valid module whose exports log values through "fuzzing-support"
imports. Each case runs in
  * Kiln (kiln_diff_runner, every configuration: default, noopt, verify,
    fuel, epoch, pooling, cwasm),
  * binaryen's interpreter (wasm-opt --fuzz-exec-before),
  * V8 through node, Liftoff only and TurboFan only (v8_harness.js),
  * wabt's interpreter (wabt_oracle, libwabt),
and every trace is compared with Kiln's default one (see fuzz/README.md for the
trace format and what "equal" means).

Subcommands:
  case FILE.wasm          run one module, print the verdict and the diff
  seeds FIRST LAST        cases for seeds FIRST..LAST (deterministic)
  loop SECONDS            random seeds until SECONDS pass or a mismatch
  interesting FILE.wasm   for wasm-reduce: exit 0 iff FILE still mismatches
                          the same way (KILN_DIFF_SIGNATURE)
"""

import argparse
import concurrent.futures
import dataclasses
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import traceback

import table_gen
import v8_helpers as v8_wasm

HERE = os.path.dirname(os.path.abspath(__file__))

# Features Kiln implements. binaryen 108's generator is never asked for
# GC, tail calls, multi-memory, memory64, threads, exception handling or
# relaxed SIMD (Kiln lacks them), nor reference types: with
# --enable-reference-types binaryen 108 emits anyref and non-nullable typed
# function references, which no engine without the GC proposals accepts
# (0 of 30 such modules validate with wabt; see fuzz/README.md, "Generator quirks").
BASE_FEATURES = [
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-bulk-memory",
    "--enable-multivalue",
]
SIMD_FEATURE = "--enable-simd"

ORACLES = ["binaryen", "v8-liftoff", "v8-turbofan", "wabt"]
V8_FLAGS = {
    "v8-liftoff": ["--liftoff", "--no-wasm-tier-up"],
    "v8-turbofan": ["--no-liftoff"],
}

# Exit codes of `case` / `interesting`.
EXIT_MATCH, EXIT_MISMATCH, EXIT_SKIP, EXIT_HARNESS = 0, 1, 3, 4


class HarnessError(Exception):
    pass


# ---------------------------------------------------------------------------
# A minimal reader of the sections the harnesses need (types, imports,
# functions, exports), independent of every engine under comparison.

VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64",
            0x7B: "v128", 0x70: "funcref", 0x6F: "externref"}


class _Reader:
    def __init__(self, data, pos=0, end=None):
        self.data, self.pos = data, pos
        self.end = len(data) if end is None else end

    def byte(self):
        if self.pos >= self.end:
            raise HarnessError("module: unexpected end")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def u32(self):
        result, shift = 0, 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def name(self):
        n = self.u32()
        s = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return s

    def valtype(self):
        b = self.byte()
        if b not in VALTYPES:
            raise HarnessError(f"module: value type 0x{b:02x} not supported")
        return VALTYPES[b]

    def limits(self):
        flags = self.byte()
        self.u32()
        if flags & 1:
            self.u32()


@dataclasses.dataclass
class ModuleSigs:
    types: list          # [(params, results)]
    imports: list        # [(module, name, type_index)] function imports
    func_types: list     # type index per function (imports first)
    exports: list        # [(name, kind, index)]

    def export_funcs(self):
        return [(n, self.types[self.func_types[i]])
                for n, k, i in self.exports if k == 0]


def parse_module(data):
    if data[:4] != b"\0asm":
        raise HarnessError("module: bad magic")
    r = _Reader(data, 8)
    types, imports, func_types, exports = [], [], [], []
    while r.pos < r.end:
        sid = r.byte()
        size = r.u32()
        s = _Reader(data, r.pos, r.pos + size)
        r.pos += size
        if sid == 1:
            for _ in range(s.u32()):
                if s.byte() != 0x60:
                    raise HarnessError("module: non-function type")
                params = [s.valtype() for _ in range(s.u32())]
                results = [s.valtype() for _ in range(s.u32())]
                types.append((params, results))
        elif sid == 2:
            for _ in range(s.u32()):
                mod, name, kind = s.name(), s.name(), s.byte()
                if kind == 0:
                    t = s.u32()
                    imports.append((mod, name, t))
                    func_types.append(t)
                elif kind == 1:
                    s.valtype()
                    s.limits()
                elif kind == 2:
                    s.limits()
                elif kind == 3:
                    s.valtype()
                    s.byte()
        elif sid == 3:
            for _ in range(s.u32()):
                func_types.append(s.u32())
        elif sid == 7:
            for _ in range(s.u32()):
                name, kind, index = s.name(), s.byte(), s.u32()
                exports.append((name, kind, index))
    return ModuleSigs(types, imports, func_types, exports)


# ---------------------------------------------------------------------------
# Trace values. Every harness prints "type:hex" tokens; binaryen prints
# numbers, which are converted with the type the module says they have.

MASK = {"i32": (1 << 32) - 1, "i64": (1 << 64) - 1}


def _f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def _f64_bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def _binaryen_float(text, ty):
    """binaryen prints floats as the shortest round-tripping double, with
    "nan:0xPAYLOAD", "-nan:0x...", "inf", "-inf", "-0"."""
    m = re.fullmatch(r"(-?)nan:0x([0-9a-f]+)", text)
    if m:
        sign = 1 if m.group(1) else 0
        payload = int(m.group(2), 16)
        if ty == "f32":
            return f"f32:{(sign << 31) | (0xFF << 23) | payload:08x}"
        return f"f64:{(sign << 63) | (0x7FF << 52) | payload:016x}"
    if text in ("nan", "-nan"):
        return f"{ty}:nan"
    value = float(text)  # handles inf, -inf, -0, 1.e+300
    if ty == "f32":
        return f"f32:{_f32_bits(value):08x}"
    return f"f64:{_f64_bits(value):016x}"


def binaryen_token(text, ty):
    text = text.strip()
    if ty in ("i32", "i64"):
        return f"{ty}:{int(text) & MASK[ty]:0{8 if ty == 'i32' else 16}x}"
    if ty in ("f32", "f64"):
        return _binaryen_float(text, ty)
    if ty == "v128":
        parts = text.split()
        if len(parts) != 5 or parts[0] != "i32x4":
            raise HarnessError(f"binaryen: v128 text {text!r}")
        return "v128:" + "_".join(f"{int(p, 16):08x}" for p in parts[1:])
    if ty in ("funcref", "externref"):
        return f"{ty}:null" if text == "null" else f"{ty}:func"
    raise HarnessError(f"binaryen: type {ty}")


def split_tuple(text):
    """binaryen prints a tuple as "(a, b, ...)"; v128 elements contain
    spaces but no commas."""
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        return [p.strip() for p in text[1:-1].split(",")]
    return [text]


# ---------------------------------------------------------------------------
# Trap kinds. Kiln names one kind; an oracle's message may mean several
# (V8 says "float unrepresentable in integer range" for NaN and overflow).

ANY = None  # the oracle only says "trapped"

BINARYEN_TRAPS = [
    (r"> memory|memory access|in memory\.(copy|init|fill)", {"mem"}),
    (r"callTable overflow", {"call_oob"}),
    (r"uninitialized table element", {"call_null"}),
    (r"callIndirect", {"call_sig"}),
    (r"out of bounds table access", {"table"}),
    (r"by 0", {"div_zero"}),
    (r"div_s overflow|trunc[SU]Float overflow", {"int_overflow"}),
    (r"of nan", {"bad_conv"}),
    (r"^unreachable", {"unreachable"}),
    (r"null", {"null_ref"}),
    (r"stack limit", {"stack"}),
]

V8_TRAPS = [
    (r"memory access out of bounds|data segment", {"mem"}),
    (r"remainder by zero|divide by zero", {"div_zero"}),
    (r"divide result unrepresentable", {"int_overflow"}),
    (r"float unrepresentable in integer range", {"int_overflow", "bad_conv"}),
    (r"^unreachable", {"unreachable"}),
    (r"table index is out of bounds|table access", {"call_oob", "table"}),
    (r"null function or function signature mismatch",
     {"call_null", "call_sig"}),
    (r"function signature mismatch", {"call_sig"}),
    (r"null", {"null_ref"}),
    (r"Maximum call stack size exceeded", {"stack"}),
]


WABT_TRAPS = [
    (r"out of bounds memory access", {"mem"}),
    (r"out of bounds table access", {"table"}),
    (r"undefined table index", {"call_oob"}),
    (r"uninitialized table element", {"call_null"}),
    (r"signature mismatch", {"call_sig"}),
    (r"divide by zero", {"div_zero"}),
    (r"integer overflow", {"int_overflow"}),
    (r"invalid conversion", {"bad_conv"}),
    (r"unreachable", {"unreachable"}),
    (r"call stack exhausted", {"stack"}),
    (r"null", {"null_ref"}),
]


def trap_kinds(table, message):
    for pattern, kinds in table:
        if re.search(pattern, message):
            return kinds
    return ANY


# ---------------------------------------------------------------------------
# Traces: lists of events
#   ("call", name) ("log", [tokens]) ("result", [tokens])
#   ("trap", kinds-or-ANY, text) ("instantiate-trap", kinds, text)
#   ("error", text)


def split_kiln(text):
    """kiln_diff_runner output -> {config: its raw trace text}."""
    parts, current = {}, None
    for line in text.splitlines(keepends=True):
        if line.startswith("== config "):
            current = parts.setdefault(line[10:].strip(), [])
        elif current is not None:
            current.append(line)
    return {name: "".join(lines) for name, lines in parts.items()}


def parse_kiln_trace(text):
    """One configuration's raw trace -> events."""
    trace = []
    for line in text.splitlines():
        word, _, rest = line.partition(" ")
        if word == "call":
            trace.append(("call", rest))
        elif word in ("log", "result"):
            trace.append((word, rest.split()))
        elif word in ("trap", "instantiate-trap"):
            trace.append((word, {rest}, rest))
        elif word in ("error", "harness-error"):
            trace.append(("error", rest))
        else:
            trace.append(("error", f"unparsed kiln line {line!r}"))
    return trace


def parse_kiln(text):
    """kiln_diff_runner output -> {config: trace}. A configuration whose
    raw trace is the same text as the default one's is left out: it
    matches by definition (most do, and parsing them was most of the
    comparison's time)."""
    raw = split_kiln(text)
    base = raw.get("default")
    return {name: parse_kiln_trace(t) for name, t in raw.items()
            if name == "default" or t != base}


def _binaryen_log_tokens(values, types, line):
    """The words of one binaryen log line as tokens of `types`."""
    if types is None:
        return ["?:" + v for v in values]
    # A v128 prints as 5 words ("i32x4" and four lanes); an i64 as two i32
    # words, low then high (binaryen 108 logs i64 split, as for JS).
    tokens, i = [], 0
    for ty in types:
        if ty == "i64":
            lo, hi = int(values[i]), int(values[i + 1])
            value = (lo & MASK["i32"]) | (hi & MASK["i32"]) << 32
            tokens.append(f"i64:{value:016x}")
            i += 2
            continue
        n = 5 if ty == "v128" else 1
        tokens.append(binaryen_token(" ".join(values[i:i + n]), ty))
        i += n
    if i != len(values):
        raise HarnessError(f"binaryen: log {line!r} vs {types}")
    return tokens


def parse_binaryen(text, sigs, log_types):
    """wasm-opt --fuzz-exec-before output -> trace. `log_types` gives the
    types of the log calls in order (binaryen prints bare numbers); they
    come from Kiln's trace and are only used to read the numbers."""
    trace = []
    results = {name: ty[1] for name, ty in sigs.export_funcs()}
    log_iter = iter(log_types)
    started = False
    for line in text.splitlines():
        m = re.match(r"\[fuzz-exec\] calling (.*)$", line)
        if m:
            started = True
            trace.append(("call", m.group(1)))
            continue
        m = re.match(r"\[LoggingExternalInterface logging(.*)\]$", line)
        if m:
            types = next(log_iter, None)
            values = m.group(1).split()
            try:
                tokens = _binaryen_log_tokens(values, types, line)
            except (ValueError, IndexError, HarnessError):
                # The types come from Kiln's trace: when Kiln logged
                # something else here, keep the raw text, which then
                # differs from Kiln's event and is reported as a mismatch.
                tokens = ["?:" + "_".join(values)]
            trace.append(("log", tokens))
            continue
        m = re.match(r"\[fuzz-exec\] note result: (.*?) => (.*)$", line)
        if m:
            name, value = m.group(1), m.group(2)
            types = results.get(name, [])
            parts = split_tuple(value) if len(types) > 1 else [value]
            if len(parts) != len(types):
                raise HarnessError(f"binaryen: result {line!r} vs {types}")
            trace.append(("result",
                          [binaryen_token(p, t) for p, t in zip(parts, types)]))
            continue
        m = re.match(r"\[trap (.*)\]$", line)
        if m:
            kind = "trap" if started else "instantiate-trap"
            trace.append((kind, trap_kinds(BINARYEN_TRAPS, m.group(1)),
                          m.group(1)))
            continue
        if line.startswith("[host limit"):
            raise HarnessError(f"binaryen: {line}")
    return trace


def v8_helpers(sigs, work):
    """Writes the wasm helpers V8 needs (JS cannot pass v128 or call a v128
    export; see v8_helpers.py): log.wasm splits v128 log arguments for JS,
    wrap.wasm calls each export with zeros and reports its results as
    scalars. Returns the JSON spec for v8_harness.js."""
    log_bytes, log_spec = v8_wasm.log_module(sigs.imports, sigs.types)
    wrap_bytes, exports_spec = v8_wasm.wrap_module(sigs.export_funcs())
    spec = {"logs": log_spec, "exports": exports_spec}
    for base, data in (("log", log_bytes), ("wrap", wrap_bytes)):
        out = os.path.join(work, base + ".wasm")
        with open(out, "wb") as f:
            f.write(data)
        spec[base] = out
    return spec


def parse_v8(text, traps=V8_TRAPS, who="v8"):
    """The trace of v8_harness.js or wabt_oracle: Kiln's format with the
    oracle's own trap messages."""
    trace = []
    for line in text.splitlines():
        word, _, rest = line.partition(" ")
        if word == "call":
            trace.append(("call", rest))
        elif word in ("log", "result"):
            trace.append((word, rest.split()))
        elif word in ("trap", "instantiate-trap"):
            trace.append((word, trap_kinds(traps, rest), rest))
        elif word == "harness-error":
            raise HarnessError(f"{who}: {rest}")
    return trace


# ---------------------------------------------------------------------------
# Comparison.


def _is_nan(ty, bits):
    if ty == "f32":
        return (bits >> 23) & 0xFF == 0xFF and bits & 0x7FFFFF
    return (bits >> 52) & 0x7FF == 0x7FF and bits & ((1 << 52) - 1)


def tokens_equal(a, b):
    if a == b:
        return True
    ta, _, va = a.partition(":")
    tb, _, vb = b.partition(":")
    if ta != tb:
        return False
    if ta in ("f32", "f64"):
        # Any NaN equals any NaN: wasm leaves NaN sign and payload
        # nondeterministic for arithmetic results.
        def nan(v):
            return v == "nan" or _is_nan(ta, int(v, 16))
        return nan(va) and nan(vb)
    if ta == "v128":
        la = [int(x, 16) for x in va.split("_")]
        lb = [int(x, 16) for x in vb.split("_")]
        # Equal as f32x4 with NaN lanes alike, or as f64x2.
        if all(x == y or (_is_nan("f32", x) and _is_nan("f32", y))
               for x, y in zip(la, lb)):
            return True
        da = [la[0] | la[1] << 32, la[2] | la[3] << 32]
        db = [lb[0] | lb[1] << 32, lb[2] | lb[3] << 32]
        return all(x == y or (_is_nan("f64", x) and _is_nan("f64", y))
                   for x, y in zip(da, db))
    return False


def events_equal(a, b):
    if a[0] != b[0]:
        return False
    if a[0] == "call":
        return a[1] == b[1]
    if a[0] in ("log", "result"):
        return len(a[1]) == len(b[1]) and all(
            tokens_equal(x, y) for x, y in zip(a[1], b[1]))
    if a[0] in ("trap", "instantiate-trap"):
        if a[1] is ANY or b[1] is ANY:
            return True
        return bool(a[1] & b[1])
    return a[1] == b[1]


def show(event):
    if event is None:
        return "<end>"
    if event[0] in ("log", "result"):
        return f"{event[0]} {' '.join(event[1])}"
    if event[0] in ("trap", "instantiate-trap"):
        kinds = "any" if event[1] is ANY else "|".join(sorted(event[1]))
        return f"{event[0]} {kinds} ({event[2]})"
    return f"{event[0]} {event[1]}"


def first_difference(a, b):
    """Index and the two events of the first difference, or None."""
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else None
        y = b[i] if i < len(b) else None
        if x is None or y is None or not events_equal(x, y):
            return i, x, y
    return None


# ---------------------------------------------------------------------------
# Running one case.


@dataclasses.dataclass
class Tools:
    kiln: str
    wabt: str = ""
    configs: str = "all"
    oracles: tuple = tuple(ORACLES)
    timeout: float = 60.0


@dataclasses.dataclass
class Verdict:
    status: str            # match | mismatch | skip
    detail: str = ""
    signature: str = ""    # stable mismatch identity, for wasm-reduce
    oracles_run: tuple = ()


def _run(cmd, timeout, **kw):
    try:
        return subprocess.run(cmd, capture_output=True, text=True,
                              timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        raise HarnessError(f"timeout ({timeout}s): {' '.join(cmd[:3])}")


@dataclasses.dataclass
class Proc:
    """What one module's run of a tool left: its status and output. A
    batched run is split into one Proc per module."""
    returncode: int
    stdout: str
    stderr: str = ""
    timed_out: bool = False


def _batch_timeout(timeout, n):
    # A module normally takes well under a second; a hang in a batch costs
    # this much before each module is rerun alone (with `timeout`).
    return timeout + 5 * max(0, n - 1)


def _proc(cmd, timeout):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout)
        return Proc(p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        if isinstance(out, bytes):  # TimeoutExpired keeps bytes
            out = out.decode("utf-8", "replace")
        return Proc(-9, out, "", True)


def split_files(text, paths):
    """The output of a tool run over several files, where each file's part
    follows "== file PATH", as one part per path (None where missing). A
    run over one file prints no header."""
    if len(paths) == 1 and not text.startswith("== file "):
        return [text]
    parts, current = {}, None
    for line in text.splitlines(keepends=True):
        if line.startswith("== file "):
            current = parts.setdefault(line[8:].rstrip("\n"), [])
        elif current is not None:
            current.append(line)
    return ["".join(parts[p]) if p in parts else None for p in paths]


def kiln_runs(paths, tools, work):
    """kiln_diff_runner over `paths` in one process: [Proc per path]. When
    the process dies or times out, every path runs alone, so that the
    module responsible gets the crash and the others their traces."""
    p = _proc([tools.kiln, f"--configs={tools.configs}", f"--tmp={work}",
               *paths], _batch_timeout(tools.timeout, len(paths)))
    if len(paths) == 1:
        return [p]
    if not p.timed_out and (p.returncode == 0 or (
            p.returncode > 0 and "harness-error" in p.stdout)):
        parts = split_files(p.stdout, paths)
        if None not in parts:
            return [Proc(1 if "harness-error" in part else 0, part)
                     for part in parts]
    return [kiln_runs([path], tools, work)[0] for path in paths]


def wabt_runs(paths, tools):
    """wabt_oracle over `paths` in one process: [output text or
    HarnessError per path]; alone each when the batch fails."""
    p = _proc([tools.wabt, *paths], _batch_timeout(tools.timeout, len(paths)))
    if p.returncode == 0 and not p.timed_out:
        parts = split_files(p.stdout, paths)
        if None not in parts:
            return parts
    if len(paths) == 1:
        what = (f"timeout ({tools.timeout}s)" if p.timed_out
                else f"status {p.returncode}: {p.stderr.strip()[-500:]}")
        return [HarnessError(f"wabt_oracle: {what}")]
    return [wabt_runs([path], tools)[0] for path in paths]


def binaryen_run(path, features, timeout):
    """wasm-opt --fuzz-exec-before's output, or a HarnessError."""
    p = _proc(["wasm-opt", path, *features, "--fuzz-exec-before", "-q"],
              timeout)
    if p.timed_out:
        return HarnessError(f"wasm-opt --fuzz-exec-before: timeout "
                            f"({timeout}s)")
    if p.returncode != 0:
        return HarnessError(f"wasm-opt --fuzz-exec-before: status "
                            f"{p.returncode}: {p.stderr.strip()[-500:]}")
    return p.stdout


def v8_prepare(wasm_path, work):
    """Writes the helpers and spec v8_harness.js needs for one module."""
    with open(wasm_path, "rb") as f:
        sigs = parse_module(f.read())
    spec = v8_helpers(sigs, work)
    spec_path = os.path.join(work, "spec.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    return spec_path


def v8_runs(oracle, jobs, work, timeout):
    """v8_harness.js in one node process (flags of `oracle`) over every
    (wasm, spec) job: [output text or HarnessError per job]; alone each
    when the batch fails."""
    fd, jobs_path = tempfile.mkstemp(prefix=f"v8_jobs_{oracle}_",
                                     suffix=".json", dir=work)
    os.close(fd)
    with open(jobs_path, "w") as f:
        json.dump(jobs, f)
    p = _proc(["node", *V8_FLAGS[oracle],
               os.path.join(HERE, "v8_harness.js"), "--batch", jobs_path],
              timeout * max(1, len(jobs)))
    if p.returncode == 0 and not p.timed_out:
        parts = re.split(r"^== job \d+\n", p.stdout, flags=re.M)[1:]
        if len(parts) == len(jobs):
            return parts
    if len(jobs) == 1:
        what = (f"timeout ({timeout}s)" if p.timed_out
                else f"status {p.returncode}: {p.stderr.strip()[-500:]}")
        return [HarnessError(f"{oracle}: {what}")]
    return [v8_runs(oracle, [job], work, timeout)[0] for job in jobs]


def _wat_to_wasm(wasm_path, work, timeout):
    if not wasm_path.endswith(".wat"):
        return wasm_path
    # Regression reproducers are checked in as text.
    binary = os.path.join(work, "case_from_wat.wasm")
    p = _run(["wat2wasm", wasm_path, "-o", binary], timeout)
    if p.returncode != 0:
        raise HarnessError(f"wat2wasm: {p.stderr.strip()}")
    return binary


def run_case(wasm_path, tools, features, work):
    """Runs one module everywhere (a process per tool) and compares."""
    wasm_path = _wat_to_wasm(wasm_path, work, tools.timeout)
    outputs = {}
    if "binaryen" in tools.oracles:
        outputs["binaryen"] = binaryen_run(wasm_path, features, tools.timeout)
    v8 = [o for o in tools.oracles if o.startswith("v8")]
    if v8:
        job = [wasm_path, v8_prepare(wasm_path, work)]
        for o in v8:
            outputs[o] = v8_runs(o, [job], work, tools.timeout)[0]
    if "wabt" in tools.oracles:
        outputs["wabt"] = wabt_runs([wasm_path], tools)[0]
    return compare_case(wasm_path, tools,
                        kiln_runs([wasm_path], tools, work)[0], outputs)


def compare_case(wasm_path, tools, kiln_proc, outputs):
    """The verdict of one module from Kiln's run (a Proc) and the oracles'
    outputs ({oracle: text or HarnessError}, for the oracles in `tools`).
    Raises HarnessError when an oracle could not run it."""
    with open(wasm_path, "rb") as f:
        data = f.read()
    sigs = parse_module(data)

    if kiln_proc.timed_out:
        # Every loop in a generated module is bounded by its hang limit, so
        # Kiln running out of time is a finding, not a harness problem.
        return Verdict("mismatch", f"kiln_diff_runner: timeout "
                       f"({tools.timeout}s)", "kiln-timeout")
    p = kiln_proc
    if p.returncode < 0 or (p.returncode != 0 and "harness-error" not in p.stdout):
        return Verdict("mismatch",
                       f"kiln_diff_runner died (status {p.returncode}):\n"
                       f"{p.stdout[-2000:]}\n{p.stderr[-2000:]}",
                       f"kiln-crash")
    kiln = parse_kiln(p.stdout)
    if not kiln:
        raise HarnessError(f"kiln_diff_runner printed no trace: "
                           f"{p.stdout[-500:]}")
    base = kiln.get("default") or next(iter(kiln.values()))
    for ev in base:
        if ev[0] == "error" and "UNIMPLEMENTED" in ev[1]:
            return Verdict("skip", f"kiln unsupported: {ev[1]}",
                           "kiln-unimplemented")
        if ev[0] == "error":
            return Verdict("mismatch", f"kiln rejected the module: {ev[1]}",
                           "kiln-error")

    traces = {}
    for name, trace in kiln.items():
        traces[f"kiln-{name}"] = trace

    log_types = [[t.partition(":")[0] for t in ev[1]]
                 for ev in base if ev[0] == "log"]
    run = []
    for oracle in tools.oracles:
        out = outputs[oracle]
        if isinstance(out, HarnessError):
            raise out
        if oracle == "binaryen":
            traces[oracle] = parse_binaryen(out, sigs, log_types)
        elif oracle == "wabt":
            traces[oracle] = parse_v8(out, WABT_TRAPS, "wabt")
        else:
            traces[oracle] = parse_v8(out)
        run.append(oracle)

    for name, trace in traces.items():
        if name == "kiln-default":
            continue
        if name == "kiln-fuel-limited":
            # Each call gets a small fuel budget: up to the first "trap
            # fuel" everything must be as in the default run; after it the
            # module's state differs legitimately.
            for i, ev in enumerate(trace):
                if ev[0] == "trap" and "fuel" in ev[1]:
                    trace, base_cut = trace[:i], base[:i]
                    break
            else:
                base_cut = base
            d = first_difference(base_cut, trace)
        else:
            d = first_difference(base, trace)
        if d is None:
            continue
        i, x, y = d
        context = "\n".join("    " + show(e) for e in base[max(0, i - 6):i])
        detail = (f"kiln-default vs {name}: first difference at event {i}\n"
                  f"  context (kiln-default):\n{context}\n"
                  f"  kiln-default: {show(x)}\n  {name}: {show(y)}")
        # What wasm-reduce keeps: who disagrees, and on what kind of event.
        sig = f"{name}:{x[0] if x else 'end'}:{y[0] if y else 'end'}"
        return Verdict("mismatch", detail, sig, tuple(run))
    return Verdict("match", "", "", tuple(run))


# ---------------------------------------------------------------------------
# Generation and loops.


def generate(seed, work):
    """Random bytes from `seed` -> a ttf module. Returns (path, features,
    denan, the wasm-opt arguments)."""
    rng = random.Random(seed)
    size = rng.choice([2000, 5000, 10000, 20000, 40000])
    features = list(BASE_FEATURES)
    if rng.random() < 0.5:
        # With multi-value: binaryen then makes functions returning v128
        # among several results in nearly every module (Kiln could not
        # compile them before fuzz/regressions/v128_multi_value_result.wat
        # was fixed).
        features.append(SIMD_FEATURE)
    # Most cases have NaNs replaced by 0 at run time (binaryen's --denan):
    # wasm leaves the sign and payload of a NaN result nondeterministic,
    # x86 makes the negative default NaN where the interpreters make the
    # positive canonical one, and once such bits reach memory or an integer
    # (reinterpret, hashMemory) the traces differ legitimately (fuzz/README.md,
    # "oracle quirks"). The other quarter keeps NaNs and is compared only
    # among Kiln's configurations: V8 differs legitimately too (it
    # canonicalizes f32.max's NaN, Kiln keeps the operand's payload).
    denan = rng.random() < 0.75
    raw = os.path.join(work, "input.bin")
    with open(raw, "wb") as f:
        f.write(rng.randbytes(size))
    # Half the modules go through binaryen's optimizer first: its output
    # has shapes ttf alone rarely makes (selects, br_tables, merged locals,
    # inlined calls, folded constants). Every engine runs the same final
    # module, so a binaryen optimizer bug cannot cause a mismatch. Drawn
    # after the bytes so that older seeds keep their modules.
    opt = rng.choice([[], [], [], ["-O1"], ["-O3"], ["-Os"]])
    out = os.path.join(work, "case.wasm")
    if rng.random() < 0.15:
        # Our own generator (table_gen.py): reference types, tables,
        # call_indirect, bulk memory and recursion at their boundaries.
        features = BASE_FEATURES + ["--enable-reference-types"]
        wat = os.path.join(work, "case.wat")
        with open(wat, "w") as f:
            f.write(table_gen.generate(rng))
        p = _run(["wat2wasm", wat, "-o", out], 60)
        if p.returncode != 0:
            raise HarnessError(f"table_gen: wat2wasm: {p.stderr.strip()}")
        return out, features, True, TABLE_GEN
    # --denan last, so that it sees the optimized code.
    cmd = ["wasm-opt", raw, "-ttf", *features, *opt,
           *(["--denan"] if denan else []), "-o", out]
    p = _run(cmd, 60)
    if p.returncode != 0:
        raise HarnessError(f"wasm-opt -ttf: {p.stderr.strip()[-500:]}")
    return out, features, denan, " ".join(cmd[3:-2])


TABLE_GEN = "(table_gen.py)"


def reduce_case(wasm_path, verdict, tools, features, out_path, seconds):
    """Shrinks `wasm_path` with wasm-reduce, keeping the same mismatch
    signature. Best effort: returns the reduced path or None."""
    if shutil.which("wasm-reduce") is None:
        return None
    # Each check runs only the two sides that disagree: far faster.
    other = verdict.signature.split(":")[0]
    if other in ("kiln-crash", "kiln-error", "kiln-timeout"):
        tools = dataclasses.replace(tools, oracles=())
    elif other.startswith("kiln-"):
        tools = dataclasses.replace(
            tools, configs=f"default,{other[5:]}", oracles=())
    elif other in ORACLES:
        tools = dataclasses.replace(tools, configs="default", oracles=(other,))
    work = tempfile.mkdtemp(prefix="kiln-reduce-")
    script = os.path.join(work, "check.sh")
    test = os.path.join(work, "test.wasm")
    with open(script, "w") as f:
        f.write("#!/bin/sh\n"
                f"exec {sys.executable} {os.path.abspath(__file__)} "
                f"interesting --kiln={tools.kiln} --wabt={tools.wabt} "
                f"--configs={tools.configs} "
                f"--oracles={','.join(tools.oracles) or ','} "
                f"--features='{' '.join(features)}' {test}\n")
    os.chmod(script, 0o755)
    env = dict(os.environ, KILN_DIFF_SIGNATURE=verdict.signature)
    try:
        # -f: reduce even if binaryen thinks the command looks flaky;
        # --timeout: one check runs Kiln and the oracles on a loaded machine.
        subprocess.run(["wasm-reduce", wasm_path, f"--command={script}",
                        "-t", test, "-w", out_path, "-b", "/usr/bin", "-f",
                        "--timeout=60", f"--extra-flags={' '.join(features)}",
                        *features],
                       capture_output=True, text=True, env=env,
                       timeout=seconds)
    except subprocess.TimeoutExpired:
        pass  # wasm-reduce writes its best result as it goes
    shutil.rmtree(work, ignore_errors=True)
    return out_path if os.path.exists(out_path) else None


def prepare_case(seed, root, tools):
    """Generates the module of `seed` and what its oracles need (runs in a
    worker thread). Returns the case dict."""
    work = os.path.join(root, str(seed))
    os.mkdir(work)
    case = {"seed": seed, "work": work, "tools": tools}
    try:
        (case["path"], case["features"], case["denan"],
         case["generator"]) = generate(seed, work)
        if not case["denan"]:
            case["tools"] = dataclasses.replace(tools, oracles=())
        elif SIMD_FEATURE in case["features"]:
            # binaryen 108's --denan leaves v128 values alone, so SIMD NaNs
            # still differ between x86 (propagates the operand's payload)
            # and the interpreters (canonical NaN): compare with V8, which
            # runs on the same hardware, only.
            case["tools"] = dataclasses.replace(tools, oracles=tuple(
                o for o in tools.oracles if o.startswith("v8")))
        if case["generator"] == TABLE_GEN:
            # binaryen 108 cannot read table.fill / copy / init or
            # elem.drop.
            case["tools"] = dataclasses.replace(tools, oracles=tuple(
                o for o in case["tools"].oracles if o != "binaryen"))
        if any(o.startswith("v8") for o in case["tools"].oracles):
            case["spec"] = v8_prepare(case["path"], work)
    except HarnessError as e:
        case["verdict"] = Verdict("skip", f"harness: {e}", "harness")
    return case


def _shards(items, n):
    """`items` in at most `n` contiguous, nearly equal parts."""
    if not items:
        return []
    n = max(1, min(n, len(items)))
    size = -(-len(items) // n)
    return [items[i:i + size] for i in range(0, len(items), size)]


class Batch:
    """A batch of cases in flight. Every tool runs once per batch (Kiln and
    wabt in `workers` processes, each V8 tier in one node process) except
    binaryen's wasm-opt, once per module; all of them run `workers` at a
    time on a thread pool, and the next batch's modules are generated
    while this one runs."""

    def __init__(self, seeds, tools, pool, workers):
        self.tools, self.pool, self.workers = tools, pool, workers
        self.root = tempfile.mkdtemp(prefix="kiln-diff-")
        self.futures = [pool.submit(prepare_case, s, self.root, tools)
                        for s in seeds]

    def discard(self):
        for f in self.futures:
            f.cancel()
        for f in self.futures:
            if not f.cancelled():
                try:
                    f.result()
                except Exception:  # pylint: disable=broad-except
                    pass
        shutil.rmtree(self.root, ignore_errors=True)

    def _run_tools(self, cases):
        """Submits every tool run; returns (kiln futures with their cases,
        {(oracle, index): future or list-future slot})."""
        pool, tools = self.pool, self.tools
        kiln = [(shard, pool.submit(kiln_runs, [c["path"] for c in shard],
                                    tools, self.root))
                for shard in _shards(cases, self.workers)]
        oracle = []
        wabt = [c for c in cases if "wabt" in c["tools"].oracles]
        for shard in _shards(wabt, self.workers):
            oracle.append(("wabt", shard, pool.submit(
                wabt_runs, [c["path"] for c in shard], tools)))
        for o in (o for o in tools.oracles if o.startswith("v8")):
            jobs = [c for c in cases if o in c["tools"].oracles]
            if jobs:
                oracle.append((o, jobs, pool.submit(
                    v8_runs, o, [[c["path"], c["spec"]] for c in jobs],
                    self.root, tools.timeout)))
        for c in cases:
            if "binaryen" in c["tools"].oracles:
                oracle.append(("binaryen", [c], pool.submit(
                    lambda c=c: [binaryen_run(c["path"], c["features"],
                                              tools.timeout)])))
        return kiln, oracle

    def finish(self, artifacts, reduce_seconds, stats):
        """Runs and compares the batch. Returns the verdicts in seed order;
        only the first mismatch is reported (saved and reduced)."""
        try:
            cases = [f.result() for f in self.futures]
            live = [c for c in cases if "verdict" not in c]
            kiln, oracle = self._run_tools(live)
            for shard, future in kiln:
                for c, proc in zip(shard, future.result()):
                    c["kiln"] = proc
            for name, shard, future in oracle:
                for c, out in zip(shard, future.result()):
                    c.setdefault("outputs", {})[name] = out
            verdicts = []
            reported = False
            for c in cases:
                if "verdict" not in c:
                    try:
                        c["verdict"] = compare_case(
                            c["path"], c["tools"], c["kiln"],
                            c.get("outputs", {}))
                    except HarnessError as e:
                        c["verdict"] = Verdict("skip", f"harness: {e}",
                                               "harness")
                    except Exception:  # pylint: disable=broad-except
                        # A bug in this script: keep fuzzing, but loudly.
                        traceback.print_exc()
                        print(f"seed {c['seed']}: harness exception",
                              flush=True)
                        c["verdict"] = Verdict("skip", "harness exception",
                                               "harness-exception")
                verdict = c["verdict"]
                verdicts.append(verdict)
                count(stats, verdict)
                if not c.get("denan", True) and verdict.status != "skip":
                    stats["kiln_only_nan_cases"] = stats.get(
                        "kiln_only_nan_cases", 0) + 1
                if verdict.status == "mismatch" and not reported:
                    reported = True
                    report(c, verdict, artifacts, reduce_seconds)
            return verdicts
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def count(stats, verdict):
    stats[verdict.status] = stats.get(verdict.status, 0) + 1
    if verdict.status == "skip":
        skips = stats.setdefault("skips", {})
        skips[verdict.signature] = skips.get(verdict.signature, 0) + 1
    for o in verdict.oracles_run:
        oc = stats.setdefault("oracle_cases", {})
        oc[o] = oc.get(o, 0) + 1


def report(case, verdict, artifacts, reduce_seconds):
    seed, tools, features = case["seed"], case["tools"], case["features"]
    print(f"MISMATCH seed {seed}: {verdict.detail}", flush=True)
    if not artifacts:
        return
    os.makedirs(artifacts, exist_ok=True)
    kept = os.path.join(artifacts, f"seed{seed}.wasm")
    shutil.copy(case["path"], kept)
    with open(os.path.join(artifacts, f"seed{seed}.txt"), "w") as f:
        f.write(f"seed {seed}\nfeatures {' '.join(features)}\n"
                f"generator wasm-opt RANDOM.bin -ttf {case['generator']}\n"
                f"denan {case['denan']}\noracles {','.join(tools.oracles)}\n"
                f"signature {verdict.signature}\n{verdict.detail}\n")
    print(f"  saved {kept}", flush=True)
    if reduce_seconds > 0:
        reduced = reduce_case(kept, verdict, tools, features,
                              os.path.join(artifacts,
                                           f"seed{seed}.reduced.wasm"),
                              reduce_seconds)
        if reduced:
            print(f"  reduced {reduced}", flush=True)
    # From the repository root (run_diff.sh runs copies of the binaries,
    # gone after the run).
    print(f"  replay: python3 fuzz/diff/difftool.py case "
          f"--kiln=bazel-bin/fuzz/diff/kiln_diff_runner "
          f"--features='{' '.join(features)}' "
          f"--oracles={','.join(tools.oracles) or ','} {kept}", flush=True)


def summary(stats, cases):
    skips = stats.get("skips", {})
    oc = stats.get("oracle_cases", {})
    return (f"  matched {stats.get('match', 0)}, skipped "
            f"{stats.get('skip', 0)} {json.dumps(skips)}, per oracle "
            f"{json.dumps(oc)}, NaN-keeping (Kiln configurations only) "
            f"{stats.get('kiln_only_nan_cases', 0)}")


def tools_from(args):
    wabt = args.wabt or os.path.join(os.path.dirname(args.kiln), "wabt_oracle")
    oracles = []
    for o in args.oracles.split(","):
        # "v8" (issue 14's spelling) is both tiers.
        oracles += list(V8_FLAGS) if o == "v8" else [o] if o else []
    unknown = set(oracles) - set(ORACLES)
    if unknown:
        sys.exit(f"difftool: unknown oracle(s) {sorted(unknown)}; "
                 f"known: {ORACLES} and v8")
    return Tools(kiln=args.kiln, wabt=wabt, configs=args.configs,
                 oracles=tuple(oracles),
                 timeout=args.timeout)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["case", "seeds", "loop", "interesting"])
    ap.add_argument("args", nargs="*")
    ap.add_argument("--kiln", required=True, help="kiln_diff_runner binary")
    ap.add_argument("--wabt", default="",
                    help="wabt_oracle binary (default: beside --kiln)")
    ap.add_argument("--configs", default="all")
    ap.add_argument("--oracles", default=",".join(ORACLES))
    # case: what binaryen's interpreter is told the module may use. Hand
    # written reproducers may use reference types (the generator does not).
    ap.add_argument("--features", default=" ".join(
        BASE_FEATURES + [SIMD_FEATURE, "--enable-reference-types"]))
    ap.add_argument("--artifacts", default="")
    ap.add_argument("--reduce-seconds", type=int, default=300)
    ap.add_argument("--seed", type=int, default=None,
                    help="loop: first seed (default: from the clock)")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--batch", type=int, default=32,
                    help="cases per batch: one Kiln, wabt and node (per V8 "
                         "tier) process per batch and worker (seeds, loop)")
    ap.add_argument("--workers", type=int, default=0,
                    help="tool processes at a time (default: the number of "
                         "cores)")
    ap.add_argument("--strict", action="store_true",
                    help="seeds: a skipped case counts as a failure")
    ap.add_argument("--stop-file", default="",
                    help="loop: stop when this file exists; create it on a "
                         "mismatch")
    args = ap.parse_intermixed_args()
    tools = tools_from(args)

    if args.command in ("case", "interesting"):
        work = tempfile.mkdtemp(prefix="kiln-diff-")
        try:
            verdict = run_case(args.args[0], tools, args.features.split(), work)
        except HarnessError as e:
            verdict = Verdict("skip", f"harness: {e}", "harness")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if args.command == "interesting":
            # wasm-reduce keeps a candidate when this output and status are
            # the same as for the original: print nothing variable.
            want = os.environ.get("KILN_DIFF_SIGNATURE", "")
            same = verdict.status == "mismatch" and verdict.signature == want
            print("interesting" if same else "boring")
            return 0 if same else 1
        print(verdict.status, verdict.detail)
        return {"match": EXIT_MATCH, "mismatch": EXIT_MISMATCH,
                "skip": EXIT_SKIP}[verdict.status]

    stats, cases, mismatches = {}, 0, 0
    workers = args.workers or os.cpu_count() or 1
    pool = concurrent.futures.ThreadPoolExecutor(workers)
    if args.command == "seeds":
        first, last = int(args.args[0]), int(args.args[1])
        for batch in range(first, last + 1, args.batch):
            seeds = list(range(batch, min(last + 1, batch + args.batch)))
            verdicts = Batch(seeds, tools, pool, workers).finish(
                args.artifacts, 0, stats)
            for seed, v in zip(seeds, verdicts):
                cases += 1
                mismatches += v.status == "mismatch"
                if args.strict and v.status == "skip":
                    # A fixed seed set must run end to end: a skip there
                    # means a broken harness or tool, which CI should see.
                    print(f"seed {seed}: skipped: {v.detail}")
                    mismatches += 1
    else:
        seconds = float(args.args[0])
        seed = args.seed if args.seed is not None else int(time.time() * 1000)
        deadline = time.monotonic() + seconds
        started = last_progress = time.monotonic()
        batch = None
        while time.monotonic() < deadline:
            # Parallel loops (run_diff.sh -j) stop together at the first
            # mismatch any of them finds.
            if args.stop_file and os.path.exists(args.stop_file):
                break
            if batch is None:
                batch = Batch(list(range(seed, seed + args.batch)), tools,
                              pool, workers)
                seed += args.batch
            # The next batch's modules are generated while this one runs.
            following = Batch(list(range(seed, seed + args.batch)), tools,
                              pool, workers)
            seed += args.batch
            verdicts = batch.finish(args.artifacts, args.reduce_seconds, stats)
            batch = following
            cases += len(verdicts)
            if time.monotonic() - last_progress > 60:
                last_progress = time.monotonic()
                print(f"progress: {cases} cases "
                      f"({cases / (last_progress - started):.2f}/s)"
                      f"{summary(stats, cases)}", flush=True)
            found = sum(v.status == "mismatch" for v in verdicts)
            if found:
                mismatches += found
                if args.stop_file:
                    open(args.stop_file, "w").close()
                break
        if batch is not None:
            batch.discard()
        elapsed = time.monotonic() - started
        print(f"  {elapsed:.0f} s, {cases / max(elapsed, 1e-9):.2f} cases/s",
              flush=True)
    pool.shutdown()
    print(summary(stats, cases))
    print(f"{cases} cases, {mismatches} mismatches")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
