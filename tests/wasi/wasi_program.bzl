"""wasi_program: one C file built to wasm32-wasi (NAME.wasm) and natively (NAME_native)."""

load("@rules_cc//cc:defs.bzl", "cc_binary")

def wasi_program(name, hdrs = ["common.h"]):
    native.genrule(
        name = name + "_wasm",
        srcs = [name + ".c"] + hdrs,
        outs = [name + ".wasm"],
        # Debian's clang-14 + wasi-libc (/usr/include/wasm32-wasi,
        # /usr/lib/wasm32-wasi) + libclang-rt-14-dev-wasm32 (builtins).
        cmd = "/usr/bin/clang --target=wasm32-wasi --sysroot=/usr -O2 " +
              "-Wall -Wno-unused-result -o $@ $(location " + name + ".c)",
    )
    cc_binary(
        name = name + "_native",
        srcs = [name + ".c"] + hdrs,
        copts = ["-Wno-unused-result", "-O2"],
    )
