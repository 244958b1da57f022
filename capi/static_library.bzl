"""cc_fat_static_library: one archive with every static library a cc target
links (its own code and its dependencies', Debian's non-PIC asmjit and wabt
archives included), plus the link flags a user still needs (the shared
libraries: abseil, Zydis, libstdc++), for a pkg-config file.

Bazel 4 has no cc_static_library; Debian ships asmjit and wabt only as
non-PIC static archives, so a shared libkiln_c.so cannot be linked."""

def _impl(ctx):
    archives = []
    flags = []
    for linker_input in ctx.attr.dep[CcInfo].linking_context.linker_inputs.to_list():
        for lib in linker_input.libraries:
            a = lib.static_library or lib.pic_static_library
            if a != None and a not in archives:
                archives.append(a)
        for f in linker_input.user_link_flags:
            if f not in flags:
                flags.append(f)
    out = ctx.actions.declare_file(ctx.attr.out)
    mri = ctx.actions.declare_file(ctx.attr.out + ".mri")
    ctx.actions.write(
        mri,
        "create %s\n" % out.path +
        "".join(["addlib %s\n" % a.path for a in archives]) +
        "save\nend\n",
    )
    ctx.actions.run_shell(
        inputs = archives + [mri],
        outputs = [out],
        command = "ar -M < %s" % mri.path,
        mnemonic = "FatArchive",
    )
    link_flags = ctx.actions.declare_file(ctx.attr.out + ".flags")
    ctx.actions.write(link_flags, " ".join(flags + ["-lstdc++", "-lm"]) + "\n")
    return [DefaultInfo(
        files = depset([out, link_flags]),
        runfiles = ctx.runfiles(files = [out, link_flags]),
    )]

cc_fat_static_library = rule(
    implementation = _impl,
    attrs = {
        "dep": attr.label(providers = [CcInfo]),
        "out": attr.string(mandatory = True),
    },
)
