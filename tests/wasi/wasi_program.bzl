"""wasi_program: one C file built to wasm32-wasi (NAME.wasm) and natively (NAME_native)."""

load("@rules_cc//cc:defs.bzl", "cc_binary")

def wasi_program(name, hdrs = ["common.h"]):
    native.genrule(
        name = name + "_wasm",
        srcs = [name + ".c"] + hdrs,
        outs = [name + ".wasm"],
        # Debian's clang-14 + wasi-libc (/usr/include/wasm32-wasi,
        # /usr/lib/wasm32-wasi) + libclang-rt-14-dev-wasm32 (builtins).
        # Compiled and linked apart: an -O link runs binaryen's wasm-opt
        # when it is installed, which strips the names backtraces show.
        cmd = "/usr/bin/clang --target=wasm32-wasi --sysroot=/usr -O2 " +
              "-Wall -Wno-unused-result -c -o $(@D)/" + name + ".o " +
              "$(location " + name + ".c) && " +
              "/usr/bin/clang --target=wasm32-wasi --sysroot=/usr " +
              "-o $@ $(@D)/" + name + ".o",
    )
    cc_binary(
        name = name + "_native",
        srcs = [name + ".c"] + hdrs,
        copts = ["-Wno-unused-result", "-O2"],
    )
