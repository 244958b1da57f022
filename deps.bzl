"""kiln_dependencies(): every repository Kiln's build needs, offline.

Kiln's WORKSPACE calls it, and so does any workspace that uses Kiln:

    local_repository(name = "kiln", path = "/path/to/kiln")
    load("@kiln//:deps.bzl", "kiln_dependencies")
    kiln_dependencies()

A dependency's WORKSPACE is never read by Bazel, so this macro is how a
consumer gets them. Repositories the consumer already defines are left
alone. Bazel 4 would download rules_cc and remote_coverage_tools: offline
stand-ins are generated instead; the libraries come from Debian packages
under /usr (scripts/setup.sh installs them), bound with Kiln's BUILD files.
"""

_RULES_CC_DEFS = '''\
"""Offline stand-in for rules_cc: re-exports Bazel's native C++ rules."""

cc_library = native.cc_library
cc_binary = native.cc_binary
cc_test = native.cc_test
cc_toolchain = native.cc_toolchain
cc_toolchain_suite = native.cc_toolchain_suite
cc_proto_library = native.cc_proto_library
objc_library = native.objc_library
'''

_RULES_CC_BUILD = '''\
package(default_visibility = ["//visibility:public"])

alias(
    name = "toolchain_type",
    actual = "@bazel_tools//tools/cpp:toolchain_type",
)
'''

_COVERAGE_BUILD = '''\
package(default_visibility = ["//visibility:public"])

filegroup(name = "coverage_report_generator")

filegroup(name = "lcov_merger")
'''

def _rules_cc_standin_impl(rctx):
    rctx.file("WORKSPACE", 'workspace(name = "rules_cc")\n')
    rctx.file("BUILD", "")
    rctx.file("cc/BUILD", _RULES_CC_BUILD)
    rctx.file("cc/defs.bzl", _RULES_CC_DEFS)

_rules_cc_standin = repository_rule(implementation = _rules_cc_standin_impl)

def _coverage_standin_impl(rctx):
    rctx.file("WORKSPACE", 'workspace(name = "remote_coverage_tools")\n')
    rctx.file("BUILD", _COVERAGE_BUILD)

_coverage_standin = repository_rule(implementation = _coverage_standin_impl)

# Debian-packaged libraries: repository name -> BUILD file in third_party/.
_SYSTEM_LIBRARIES = [
    "asmjit",
    "zydis",
    "absl",
    "gtest",
    "benchmark",
    "wabt",
    "boost_context",
    "capstone",
]

def kiln_dependencies():
    existing = native.existing_rules()
    if "rules_cc" not in existing:
        _rules_cc_standin(name = "rules_cc")
    if "rules_java" not in existing:
        native.local_repository(
            name = "rules_java",
            path = "/usr/share/bazel/rules/java",
        )
    if "platforms" not in existing:
        native.local_repository(
            name = "platforms",
            path = "/usr/share/bazel/tools/platforms",
        )
    if "remote_coverage_tools" not in existing:
        _coverage_standin(name = "remote_coverage_tools")
    if "wabt_aarch64" not in existing:
        # libwabt.a of the wabt:arm64 package (not multiarch), unpacked by
        # scripts/setup-aarch64.sh; only the --config=aarch64 build reads it.
        native.new_local_repository(
            name = "wabt_aarch64",
            build_file_content = 'exports_files(["libwabt.a"])\n',
            path = "/opt/kiln-aarch64-sysroot/usr/lib/aarch64-linux-gnu",
        )
    for name in _SYSTEM_LIBRARIES:
        if name not in existing:
            native.new_local_repository(
                name = name,
                build_file = str(Label("//third_party:%s.BUILD" % name)),
                path = "/usr",
            )
