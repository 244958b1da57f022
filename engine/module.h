// Module: a decoded, validated and compiled wasm module. Its code is
// published W^X and registered for trap lookup; instances in any store of
// the same engine share it. A cheap, shareable handle.
#ifndef KILN_ENGINE_MODULE_H_
#define KILN_ENGINE_MODULE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "codegen/compiler/compiled_module.h"
#include "engine/engine.h"
#include "wasm/module_info.h"

namespace kiln {

namespace internal {
struct ModuleImpl;
}
class Module;
namespace internal {
absl::StatusOr<Module> ModuleFromCompiled(
    const Engine& engine, std::unique_ptr<wasm::ModuleInfo> info,
    compiler::CompiledModule meta, absl::Span<const uint8_t> code,
    std::shared_ptr<const void> mapping);
}

class Module {
 public:
  // Decodes, validates and compiles a binary module. Errors: decoding /
  // validation (kInvalidArgument, with the byte offset), unsupported
  // features (kUnimplemented, e.g. SIMD), resource limits.
  static absl::StatusOr<Module> FromBinary(const Engine& engine,
                                           absl::Span<const uint8_t> bytes);
  // Parses WebAssembly text (libwabt), then FromBinary.
  static absl::StatusOr<Module> FromWat(const Engine& engine,
                                        std::string_view text);
  // Text to binary only (libwabt, WebAssembly 2.0 features).
  static absl::StatusOr<std::vector<uint8_t>> WatToBinary(
      std::string_view text);

  // Precompiled modules (engine/serialize.cc, format in engine/serialize.h).
  // Serialize: the compiled code and metadata plus the module's bytes, as a
  // .cwasm artifact for this engine's target.
  absl::StatusOr<std::vector<uint8_t>> Serialize() const;
  // Loads an artifact from Serialize without compiling. The artifact must
  // come from the same Kiln version, ISA, CPU features (a subset of the
  // host's) and code-changing Config options; anything else (or a
  // truncated / corrupted artifact) is an error naming what differs. An
  // artifact is TRUSTED input: its machine code runs as is.
  static absl::StatusOr<Module> Deserialize(const Engine& engine,
                                            absl::Span<const uint8_t> bytes);
  // Deserialize from a file, mapping the code section executable straight
  // from a private file mapping (no copy) where the file system allows it.
  static absl::StatusOr<Module> DeserializeFile(const Engine& engine,
                                                const std::string& path);

  // Builds the copy-on-write images of the module's initial memories now
  // (wasmtime's Module::initialize_copy_on_write_image) instead of on the
  // first instantiation. Thread-safe; built at most once per module. OK
  // when the module has no image (Config::memory_init_cow off, or its data
  // segments do not qualify: then instances copy the segments); an error
  // only when building one failed (memfd), and instances then copy too.
  absl::Status InitializeCopyOnWriteImage() const;
  // True when instances map an image (builds it if not built yet).
  bool HasCopyOnWriteImage() const;

  const Engine& engine() const;
  const wasm::ModuleInfo& info() const;
  // The module's name from the name section, if any.
  const std::optional<std::string>& name() const { return info().module_name; }
  // Engine signature id of the module's type `type_index`.
  uint32_t type_id(uint32_t type_index) const;
  // Index of the export called `name`, or nullopt.
  std::optional<uint32_t> FindExport(std::string_view name) const;

  internal::ModuleImpl* impl() const { return impl_.get(); }
  // A handle to this module counted on the calling thread
  // (engine/shared_ref.h), for what the engine holds per instance. Copies
  // of it are ordinary handles.
  Module LocalHandle() const { return Module(impl_.Local()); }

 private:
  friend absl::StatusOr<Module> internal::ModuleFromCompiled(
      const Engine& engine, std::unique_ptr<wasm::ModuleInfo> info,
      compiler::CompiledModule meta, absl::Span<const uint8_t> code,
      std::shared_ptr<const void> mapping);
  explicit Module(internal::SharedRef<internal::ModuleImpl> impl)
      : impl_(std::move(impl)) {}
  internal::SharedRef<internal::ModuleImpl> impl_;
};

}  // namespace kiln

#endif  // KILN_ENGINE_MODULE_H_
