// Loading a module file for the CLI: binary .wasm as is, WebAssembly text
// (.wat/.wast, or any file that does not start with the binary magic)
// through wabt's text parser.
#ifndef KILN_CLI_MODULE_LOADER_H_
#define KILN_CLI_MODULE_LOADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/module.h"

namespace kiln::cli {

absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// The binary encoding of the module in `path`. Text is recognised by the
// extension (.wat, .wast) or by the absence of the "\0asm" magic. Error
// messages do not repeat `path` (text errors carry wabt's "path:line:col").
absl::StatusOr<std::vector<uint8_t>> LoadModuleBinary(const std::string& path);

// True if the file at `path` starts with the precompiled-module magic
// "KILNCWSM" (engine/serialize.h).
bool IsPrecompiledFile(const std::string& path);

// A module ready to instantiate, from any form `kiln` accepts: a
// precompiled .cwasm (recognised by its magic, whatever the extension;
// mapped with Module::DeserializeFile, no compilation; it must match
// `engine`'s Kiln version, CPU features and Config), else binary .wasm or
// text .wat compiled for `engine`. Errors do not repeat `path`; decode
// errors name the byte offset ("at byte 0x1a: ...").
absl::StatusOr<Module> LoadModule(const Engine& engine,
                                  const std::string& path);

}  // namespace kiln::cli

#endif  // KILN_CLI_MODULE_LOADER_H_
