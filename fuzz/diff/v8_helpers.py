"""The two wasm helper modules v8_harness.js needs, encoded directly.

JS can neither pass v128 values nor call a function whose signature has one,
so for each module under test V8 gets
  * log.wasm:  export "l<k>" forwards log import k with every v128 argument
               split into four i32 lanes (only imports with a v128 param);
  * wrap.wasm: export "w<k>" calls exported function k with zeros and
               reports each result through the "res" imports as scalars.
They used to be written as text and converted with wat2wasm, two process
starts per case; this file writes the (tiny) binaries itself.
"""

import struct

VALTYPE_CODES = {"i32": 0x7F, "i64": 0x7E, "f32": 0x7D, "f64": 0x7C,
                 "v128": 0x7B, "funcref": 0x70, "externref": 0x6F}

# Opcodes used below.
CALL, LOCAL_GET, LOCAL_SET, END = 0x10, 0x20, 0x21, 0x0B
REF_NULL, REF_IS_NULL = 0xD0, 0xD1
SIMD_PREFIX, V128_CONST, I32X4_EXTRACT_LANE = 0xFD, 0x0C, 0x1B


def uleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _name(s):
    data = s.encode("utf-8")
    return uleb(len(data)) + data


def _vec(items):
    return uleb(len(items)) + b"".join(items)


def _section(sid, items):
    body = _vec(items)
    return bytes([sid]) + uleb(len(body)) + body


def _functype(params, results):
    return (b"\x60" + _vec([bytes([VALTYPE_CODES[t]]) for t in params]) +
            _vec([bytes([VALTYPE_CODES[t]]) for t in results]))


def _zero(ty):
    if ty == "i32":
        return b"\x41\x00"
    if ty == "i64":
        return b"\x42\x00"
    if ty == "f32":
        return b"\x43" + struct.pack("<f", 0.0)
    if ty == "f64":
        return b"\x44" + struct.pack("<d", 0.0)
    if ty == "v128":
        return bytes([SIMD_PREFIX]) + uleb(V128_CONST) + bytes(16)
    return bytes([REF_NULL, VALTYPE_CODES[ty]])


def _extract_lane(local, lane):
    return (bytes([LOCAL_GET]) + uleb(local) + bytes([SIMD_PREFIX]) +
            uleb(I32X4_EXTRACT_LANE) + bytes([lane]))


def _body(local_types, code):
    locals_ = _vec([uleb(1) + bytes([VALTYPE_CODES[t]]) for t in local_types])
    body = locals_ + code + bytes([END])
    return uleb(len(body)) + body


class _Module:
    """Function imports, defined functions and their exports; one type per
    function (duplicate types are valid)."""

    def __init__(self):
        self.types, self.imports, self.funcs, self.exports = [], [], [], []

    def add_import(self, module, name, params, results=()):
        assert not self.funcs, "imports come first"
        self.types.append(_functype(params, results))
        self.imports.append(_name(module) + _name(name) + b"\x00" +
                            uleb(len(self.types) - 1))
        return len(self.imports) - 1

    def add_func(self, export, params, local_types, code):
        self.types.append(_functype(params, []))
        self.funcs.append((len(self.types) - 1, _body(local_types, code)))
        index = len(self.imports) + len(self.funcs) - 1
        self.exports.append(_name(export) + b"\x00" + uleb(index))

    def encode(self):
        out = b"\0asm\x01\x00\x00\x00"
        out += _section(1, self.types)
        out += _section(2, self.imports)
        out += _section(3, [uleb(t) for t, _ in self.funcs])
        out += _section(7, self.exports)
        out += _section(10, [body for _, body in self.funcs])
        return out


def log_module(imports, types):
    """log.wasm for the module's function imports [(module, name, type
    index)]; returns (bytes, spec entries for v8_harness.js)."""
    m, spec = _Module(), []
    splits = []
    for k, (mod, name, t) in enumerate(imports):
        params = types[t][0]
        split = "v128" in params
        spec.append({"module": mod, "name": name, "params": params,
                     "split": split})
        if split:
            host = []
            for p in params:
                host += ["i32"] * 4 if p == "v128" else [p]
            splits.append((k, params, m.add_import("host", f"h{k}", host)))
    for k, params, host_index in splits:
        code = b""
        for i, p in enumerate(params):
            if p == "v128":
                code += b"".join(_extract_lane(i, lane) for lane in range(4))
            else:
                code += bytes([LOCAL_GET]) + uleb(i)
        code += bytes([CALL]) + uleb(host_index)
        m.add_func(f"l{k}", params, [], code)
    return m.encode(), spec


RES_TYPES = ["i32", "i64", "f32", "f64"]


def wrap_module(export_funcs):
    """wrap.wasm for [(name, (params, results))]; returns (bytes, spec)."""
    m = _Module()
    res = {t: m.add_import("res", t, [t]) for t in RES_TYPES}
    res["v128"] = m.add_import("res", "v128", ["i32"] * 4)
    res["ref"] = m.add_import("res", "ref", ["i32"])
    targets = [m.add_import("target", str(k), params, results)
               for k, (_, (params, results)) in enumerate(export_funcs)]
    spec = []
    for k, (name, (params, results)) in enumerate(export_funcs):
        code = b"".join(_zero(p) for p in params)
        code += bytes([CALL]) + uleb(targets[k])
        for i in reversed(range(len(results))):
            code += bytes([LOCAL_SET]) + uleb(i)
        for i, t in enumerate(results):
            if t == "v128":
                code += b"".join(_extract_lane(i, lane) for lane in range(4))
                code += bytes([CALL]) + uleb(res["v128"])
            elif t in RES_TYPES:
                code += bytes([LOCAL_GET]) + uleb(i) + bytes([CALL]) + uleb(res[t])
            else:
                code += (bytes([LOCAL_GET]) + uleb(i) + bytes([REF_IS_NULL]) +
                         bytes([CALL]) + uleb(res["ref"]))
        m.add_func(f"w{k}", [], results, code)
        spec.append({"name": name, "results": results})
    return m.encode(), spec
