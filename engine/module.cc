#include "engine/module.h"

#include <atomic>
#include <cstring>
#include <mutex>
#include <utility>

#include "absl/base/optimization.h"
#include "absl/strings/str_cat.h"
#include "codegen/compiler/compiler.h"
#include "engine/internal.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"
#include "wasm/wat.h"

namespace kiln {

absl::StatusOr<std::vector<uint8_t>> Module::WatToBinary(
    std::string_view text) {
  return wasm::WatToBinary(text);
}

absl::StatusOr<Module> Module::FromWat(const Engine& engine,
                                       std::string_view text) {
  absl::StatusOr<std::vector<uint8_t>> bytes = WatToBinary(text);
  if (!bytes.ok()) return bytes.status();
  return FromBinary(engine, *bytes);
}

namespace internal {

compiler::CompileOptions CompileOptionsFor(const Config& config) {
  compiler::CompileOptions options;
  options.optimize = config.optimize;
  options.inline_functions = config.inline_functions;
  options.verify = config.verify;
  options.check_regalloc = config.verify;
  options.num_threads = config.compile_threads;
  options.translate.funcref_table_init_bit = internal::kFuncRefTableInitBit;
  options.translate.memory_guard_bytes = runtime::LinearMemory::kGuardBytes;
  options.translate.consume_fuel = config.consume_fuel;
  options.translate.epoch_interruption = config.epoch_interruption;
  options.translate.relaxed_simd.deterministic =
      config.relaxed_simd_deterministic;
  return options;
}

absl::StatusOr<Module> ModuleFromCompiled(
    const Engine& engine, std::unique_ptr<wasm::ModuleInfo> info,
    compiler::CompiledModule meta, absl::Span<const uint8_t> code,
    std::shared_ptr<const void> mapping) {
  auto impl = SharedRef<internal::ModuleImpl>::Make(engine);
  impl->info = std::move(info);
  const wasm::ModuleInfo& m = *impl->info;
  impl->type_ids.reserve(m.types.size());
  for (const wasm::FuncType& t : m.types) {
    impl->type_ids.push_back(engine.signatures().Intern(t));
  }
  for (uint32_t i = 0; i < m.exports.size(); ++i) {
    impl->exports.emplace(m.exports[i].name, i);
  }
  // Funcref tables are filled lazily from this image (instantiation does
  // not touch an element per table slot); null when the module does not
  // qualify.
  impl->table_images = runtime::TableImagesForModule(m);
  impl->offsets.emplace(runtime::InstanceCountsFor(m));

  // The copy-on-write memory image is built on first use (MemoryImageFor):
  // modules that are never instantiated, or only serialized, never pay
  // for it.

  if (!meta.relocations.empty()) {
    return absl::UnimplementedError(absl::StrCat(
        "module has ", meta.relocations.size(),
        " unresolved relocations; the engine expects none"));
  }
  const uint32_t num_defined =
      static_cast<uint32_t>(m.functions.size()) - m.num_imported_functions;
  if (meta.functions.size() != num_defined) {
    return absl::InternalError(
        absl::StrCat("compiler returned ", meta.functions.size(),
                     " functions, the module defines ", num_defined));
  }
  if (!code.empty()) {
    const uint8_t* base = code.data();
    if (mapping == nullptr) {
      absl::StatusOr<std::unique_ptr<runtime::CodeMemory>> memory =
          runtime::CodeMemory::CreateFrom(code);
      if (!memory.ok()) return memory.status();
      impl->code = *std::move(memory);
      base = impl->code->base();
    } else {
      impl->code_mapping = std::move(mapping);
    }
    impl->code_base = base;
    impl->code_size = code.size();
    impl->ranges.reserve(num_defined);
    impl->function_code.reserve(num_defined);
    for (const compiler::CompiledFunctionInfo& f : meta.functions) {
      impl->ranges.push_back(
          {f.code_offset, f.code_offset + f.code_size, f.func_index});
      impl->function_code.push_back(base + f.code_offset);
    }
    impl->traps.reserve(meta.traps.size());
    for (const compiler::TrapEntry& t : meta.traps) {
      impl->traps.push_back({t.code_offset, t.code});
    }
    impl->range.start = reinterpret_cast<uintptr_t>(base);
    impl->range.end = impl->range.start + code.size();
    impl->range.owner = impl.get();
    impl->range.functions = impl->ranges;
    impl->range.trap_sites = impl->traps;
    absl::Status status = impl->registration.Register(&impl->range);
    if (!status.ok()) return status;
  }
  meta.code.clear();
  meta.code.shrink_to_fit();
  impl->compiled =
      std::make_shared<const compiler::CompiledModule>(std::move(meta));
  return Module(std::move(impl));
}

absl::Status SetMemoryImages(
    ModuleImpl& module,
    std::vector<std::unique_ptr<runtime::MemoryImage>> preset) {
  absl::StatusOr<std::vector<std::unique_ptr<runtime::MemoryImage>>> images =
      runtime::MemoryImagesOfModule(*module.info, std::move(preset));
  if (!images.ok()) return images.status();
  module.memory_images = *std::move(images);
  module.memory_image_ptrs.clear();
  bool any = false;
  for (const auto& image : module.memory_images) {
    module.memory_image_ptrs.push_back(image.get());
    any = any || image != nullptr;
  }
  // No image at all: an empty span, so instantiation skips the lookups.
  if (!any) module.memory_image_ptrs.clear();
  return absl::OkStatus();
}

absl::Span<const runtime::MemoryImage* const> MemoryImageFor(
    ModuleImpl& module) {
  // Best effort: without an image (none, or building it failed),
  // instantiation copies the segments, with the same result.
  if (ABSL_PREDICT_FALSE(
          !module.memory_images_ready.load(std::memory_order_acquire))) {
    std::call_once(module.memory_image_once, [&module] {
      if (module.engine.config().memory_init_cow) {
        module.memory_image_status = SetMemoryImages(module, {});
      }
      module.memory_images_ready.store(true, std::memory_order_release);
    });
  }
  return module.memory_image_ptrs;
}

}  // namespace internal

absl::StatusOr<Module> Module::FromBinary(const Engine& engine,
                                          absl::Span<const uint8_t> bytes) {
  if (!engine.init_status().ok()) return engine.init_status();
  // Function bodies are validated once, by CompileModule (its decoder
  // validates every body while translating it), not here too.
  wasm::DecodeOptions options;
  options.validate_function_bodies = false;
  options.features = engine.config().wasm_features;
  absl::StatusOr<std::unique_ptr<wasm::ModuleInfo>> info =
      wasm::DecodeModule(bytes, options);
  if (!info.ok()) return info.status();

  absl::StatusOr<compiler::CompiledModule> compiled = compiler::CompileModule(
      **info, {}, internal::CompileOptionsFor(engine.config()));
  if (!compiled.ok()) {
    // Failure path only: report an invalid body exactly as a validating
    // DecodeModule would (its message, and ahead of other compile errors).
    if (absl::Status v = wasm::ValidateAllFunctions(**info); !v.ok()) return v;
    return compiled.status();
  }
  std::vector<uint8_t> code = std::move(compiled->code);
  compiled->code.clear();
  return internal::ModuleFromCompiled(engine, *std::move(info),
                                      *std::move(compiled), code, nullptr);
}

absl::Status Module::InitializeCopyOnWriteImage() const {
  internal::MemoryImageFor(*impl_);
  return impl_->memory_image_status;
}

bool Module::HasCopyOnWriteImage() const {
  return !internal::MemoryImageFor(*impl_).empty();
}

const Engine& Module::engine() const { return impl_->engine; }
const wasm::ModuleInfo& Module::info() const { return *impl_->info; }
uint32_t Module::type_id(uint32_t type_index) const {
  return impl_->type_ids[type_index];
}
std::optional<uint32_t> Module::FindExport(std::string_view name) const {
  auto it = impl_->exports.find(absl::string_view(name.data(), name.size()));
  if (it == impl_->exports.end()) return std::nullopt;
  return it->second;
}

}  // namespace kiln
