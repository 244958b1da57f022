"""A second generator, for what binaryen 108's translate-to-fuzz cannot make:
reference types (it emits invalid ones, see fuzz/README.md) and boundary
cases of tables, call_indirect, bulk memory and recursion.

generate(rng) returns the text of a module whose exports each do one random
operation and log what it observed through "fuzzing-support" imports, so
one trap does not hide the others. Indices are drawn around the current
boundaries (0, size - 1, size, size + 1, 2^32 - 1, ...), where engines
differ when they are wrong.
"""

SIGS = [
    # name, params, results, two bodies with different results
    ("ii", "(param i32)", "(result i32)",
     ["(i32.add (i32.mul (local.get 0) (i32.const 3)) (i32.const 1))",
      "(i32.xor (local.get 0) (i32.const 0x55))"]),
    ("ll", "(param i64)", "(result i64)",
     ["(i64.sub (i64.const 1000000000000) (local.get 0))",
      "(i64.rotl (local.get 0) (i64.const 17))"]),
    ("f", "", "(result f32)",
     ["(f32.const 1.5)", "(f32.const -0.25)"]),
    ("v", "", "",
     ["(call $log_i32 (i32.const 111))", "(call $log_i32 (i32.const 222))"]),
]
ARG = {"ii": "(i32.const 7)", "ll": "(i64.const 5)", "f": "", "v": ""}
LOG = {"ii": "$log_i32", "ll": "$log_i64", "f": "$log_f32", "v": None}


def _index(rng, size):
    return rng.choice([0, 1, size - 1, size, size + 1, size + 7,
                       rng.randrange(0, size + 3), 0x7FFFFFFF, 0xFFFFFFFF,
                       ]) & 0xFFFFFFFF


def _count(rng):
    return rng.choice([0, 1, 2, 3, 5, 8, 100, 65536, 0xFFFFFFFF])


def generate(rng):
    funcs = [f"${s[0]}{k}" for s in SIGS for k in range(2)]
    tmin = rng.randrange(0, 8)
    tmax = rng.choice([None, tmin, tmin + rng.randrange(0, 20)])
    size = tmin  # a guess of the table size, only to aim indices
    mem_pages = rng.randrange(1, 3)

    lines = ["(module",
             ' (import "fuzzing-support" "log-i32" (func $log_i32 (param i32)))',
             ' (import "fuzzing-support" "log-i64" (func $log_i64 (param i64)))',
             ' (import "fuzzing-support" "log-f32" (func $log_f32 (param f32)))']
    for name, params, results, _ in SIGS:
        lines.append(f" (type $t_{name} (func {params} {results}))")
    lines.append(f" (table $t {tmin}{'' if tmax is None else f' {tmax}'} funcref)")
    lines.append(f" (memory {mem_pages} {mem_pages + 2})")
    lines.append(' (data $d "\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c")')
    lines.append(f" (data (i32.const {rng.randrange(0, 65536 - 16)}) \"\\ff\\fe\\fd\")")
    if tmin:
        init = [rng.choice(funcs) for _ in range(rng.randrange(0, tmin + 1))]
        lines.append(f" (elem (i32.const 0) func {' '.join(init)})")
    passive = [rng.choice(funcs) for _ in range(rng.randrange(1, 6))]
    lines.append(f" (elem $p func {' '.join(passive)})")
    lines.append(f" (elem declare func {' '.join(funcs)})")
    for name, params, results, bodies in SIGS:
        for k, body in enumerate(bodies):
            lines.append(f" (func ${name}{k} (type $t_{name}) {body})")
    # Bounded and unbounded recursion.
    lines.append(" (func $rec (param i32) (result i32)"
                 " (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))"
                 " (else (i32.add (i32.const 1)"
                 " (call $rec (i32.sub (local.get 0) (i32.const 1)))))))")

    ops = []
    for _ in range(rng.randrange(8, 30)):
        kind = rng.choice(["call_indirect"] * 4 + [
            "grow", "size", "set", "get", "fill", "copy", "init", "drop",
            "rec", "mem_grow", "mem_fill", "mem_copy", "mem_init", "data_drop",
            "load"])
        if kind == "call_indirect":
            name = rng.choice(SIGS)[0]
            call = (f"(call_indirect $t (type $t_{name}) {ARG[name]} "
                    f"(i32.const {_index(rng, size)}))")
            ops.append(f"(call {LOG[name]} {call})" if LOG[name] else call)
        elif kind == "grow":
            val = rng.choice(["(ref.null func)", f"(ref.func {rng.choice(funcs)})"])
            # At most 30 * 500 elements in all: the pooling configuration's
            # tables hold 20,000 (a larger grow fails there only).
            n = rng.choice([0, 1, 2, 5, 30, 500])
            ops.append(f"(call $log_i32 (table.grow $t {val} (i32.const {n})))")
            size += n
        elif kind == "size":
            ops.append("(call $log_i32 (table.size $t))")
        elif kind == "set":
            val = rng.choice(["(ref.null func)", f"(ref.func {rng.choice(funcs)})"])
            ops.append(f"(table.set $t (i32.const {_index(rng, size)}) {val})")
        elif kind == "get":
            ops.append(f"(call $log_i32 (ref.is_null (table.get $t "
                       f"(i32.const {_index(rng, size)}))))")
        elif kind == "fill":
            val = rng.choice(["(ref.null func)", f"(ref.func {rng.choice(funcs)})"])
            ops.append(f"(table.fill $t (i32.const {_index(rng, size)}) {val} "
                       f"(i32.const {_count(rng)}))")
        elif kind == "copy":
            ops.append(f"(table.copy $t $t (i32.const {_index(rng, size)}) "
                       f"(i32.const {_index(rng, size)}) (i32.const {_count(rng)}))")
        elif kind == "init":
            ops.append(f"(table.init $t $p (i32.const {_index(rng, size)}) "
                       f"(i32.const {_index(rng, len(passive))}) "
                       f"(i32.const {_count(rng)}))")
        elif kind == "drop":
            ops.append("(elem.drop $p)")
        elif kind == "rec":
            # Not deeper than 200 unless unbounded: binaryen's interpreter
            # stops at about 250 frames ("[trap stack limit]").
            depth = rng.choice([0, 1, 10, 200, -1])
            ops.append(f"(call $log_i32 (call $rec (i32.const {depth})))")
        elif kind == "mem_grow":
            ops.append(f"(call $log_i32 (memory.grow (i32.const {rng.choice([0, 1, 2, 5])})))")
        else:
            end = mem_pages * 65536
            addr = rng.choice([0, 1, end - 4, end - 1, end, end + 65536 - 1,
                               end + 65536, 0xFFFFFFFF, rng.randrange(0, end)])
            if kind == "mem_fill":
                ops.append(f"(memory.fill (i32.const {addr}) (i32.const 0x5a) "
                           f"(i32.const {_count(rng)}))")
            elif kind == "mem_copy":
                ops.append(f"(memory.copy (i32.const {addr}) "
                           f"(i32.const {rng.randrange(0, end)}) (i32.const {_count(rng)}))")
            elif kind == "mem_init":
                ops.append(f"(memory.init $d (i32.const {addr}) "
                           f"(i32.const {rng.choice([0, 4, 12, 13])}) "
                           f"(i32.const {rng.choice([0, 1, 8, 12, 13])}))")
            elif kind == "data_drop":
                ops.append("(data.drop $d)")
            else:
                ops.append(f"(call $log_i32 (i32.load8_u (i32.const {addr})))"
                           f" (call $log_i32 (i32.load (i32.const {addr})))")
    for k, op in enumerate(ops):
        lines.append(f' (func (export "op{k}") {op})')
    # What the table holds at the end, slot by slot (a null or which
    # function, told apart by calling it).
    lines.append(' (func (export "dump") (local $i i32)'
                 " (block $done (loop $next"
                 " (br_if $done (i32.ge_u (local.get $i) (table.size $t)))"
                 " (br_if $done (i32.ge_u (local.get $i) (i32.const 64)))"
                 " (call $log_i32 (ref.is_null (table.get $t (local.get $i))))"
                 " (local.set $i (i32.add (local.get $i) (i32.const 1)))"
                 " (br $next))))")
    lines.append(")")
    return "\n".join(lines)
