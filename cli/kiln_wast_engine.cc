#include "cli/kiln_wast_engine.h"

#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace kiln::cli {
namespace {

std::string S(std::string_view v) { return std::string(v); }

absl::StatusOr<kiln::Val> ToVal(const WastValue& v) {
  switch (v.type) {
    case WastValueType::kI32:
      return kiln::Val::I32(static_cast<int32_t>(v.bits[0]));
    case WastValueType::kI64:
      return kiln::Val::I64(static_cast<int64_t>(v.bits[0]));
    case WastValueType::kF32:
      return kiln::Val::F32Bits(static_cast<uint32_t>(v.bits[0]));
    case WastValueType::kF64:
      return kiln::Val::F64Bits(v.bits[0]);
    case WastValueType::kFuncRef:
      if (v.is_null) return kiln::Val::NullFuncRef();
      return absl::InvalidArgumentError("non-null funcref arguments are not supported");
    case WastValueType::kExternRef:
      // (ref.extern N) is the host pointer N + 1, so that 0 stays null.
      return kiln::Val::ExternRef(
          v.is_null ? nullptr : reinterpret_cast<void*>(v.bits[0] + 1));
    case WastValueType::kV128:
      return kiln::Val::V128(v.bits[0], v.bits[1]);
  }
  return absl::InternalError("unknown wast value type");  // the switch is exhaustive
}

WastValue FromVal(const kiln::Val& v) {
  WastValue out;
  switch (v.type()) {
    case kiln::ValType::kI32:
      out.type = WastValueType::kI32;
      out.bits[0] = v.f32_bits();
      break;
    case kiln::ValType::kI64:
      out.type = WastValueType::kI64;
      out.bits[0] = v.f64_bits();
      break;
    case kiln::ValType::kF32:
      out.type = WastValueType::kF32;
      out.bits[0] = v.f32_bits();
      break;
    case kiln::ValType::kF64:
      out.type = WastValueType::kF64;
      out.bits[0] = v.f64_bits();
      break;
    case kiln::ValType::kFuncRef: {
      out.type = WastValueType::kFuncRef;
      std::optional<kiln::Func> f = v.funcref();
      out.is_null = !f.has_value();
      if (f.has_value()) out.bits[0] = reinterpret_cast<uintptr_t>(f->raw());
      break;
    }
    case kiln::ValType::kExternRef:
      out.type = WastValueType::kExternRef;
      out.is_null = v.externref() == nullptr;
      if (!out.is_null) out.bits[0] = reinterpret_cast<uintptr_t>(v.externref()) - 1;
      break;
    case kiln::ValType::kV128:
      out.type = WastValueType::kV128;
      out.bits[0] = v.v128_lo();
      out.bits[1] = v.v128_hi();
      break;
  }
  return out;
}

}  // namespace

KilnWastEngine::KilnWastEngine(const kiln::Config& config) : engine_(config) {
  Reset();
}

void KilnWastEngine::Reset() {
  current_.reset();
  named_.clear();
  registered_.clear();
  store_.reset();
  store_ = std::make_unique<kiln::Store<>>(engine_);
  if (engine_.config().consume_fuel) {
    (void)store_->SetFuel(std::numeric_limits<uint64_t>::max());
  }
  if (engine_.config().epoch_interruption) {
    store_->EpochDeadlineCallback(
        [](kiln::StoreOpaque&) -> absl::StatusOr<uint64_t> { return 1; });
  }
  absl::StatusOr<std::vector<std::pair<std::string, kiln::Extern>>> spectest =
      kiln::DefineSpectest(*store_);
  if (spectest.ok()) {
    auto& exports = registered_["spectest"];
    for (auto& [name, ext] : *spectest) exports.emplace(name, ext);
  }
}

absl::Status KilnWastEngine::Instantiate(absl::Span<const uint8_t> bytes,
                                         std::string_view name) {
  absl::StatusOr<kiln::Module> module =
      kiln::Module::FromBinary(engine_, bytes);
  if (!module.ok()) {
    return absl::Status(module.status().code(),
                        absl::StrCat("compile: ", module.status().message()));
  }
  if (round_trip_precompiled_) {
    absl::StatusOr<std::vector<uint8_t>> artifact = module->Serialize();
    if (artifact.ok()) module = kiln::Module::Deserialize(engine_, *artifact);
    if (!artifact.ok() || !module.ok()) {
      return absl::InternalError(absl::StrCat(
          "precompiled round trip: ",
          (artifact.ok() ? module.status() : artifact.status()).message()));
    }
  }
  std::vector<kiln::Extern> imports;
  imports.reserve(module->info().imports.size());
  for (const wasm::Import& imp : module->info().imports) {
    auto m = registered_.find(imp.module);
    const kiln::Extern* ext = nullptr;
    if (m != registered_.end()) {
      auto e = m->second.find(imp.name);
      if (e != m->second.end()) ext = &e->second;
    }
    if (ext == nullptr) {
      return absl::NotFoundError(absl::StrCat("unknown import \"", imp.module,
                                              "\" \"", imp.name, "\""));
    }
    imports.push_back(*ext);
  }
  kiln::Result<kiln::Instance> instance =
      kiln::Instance::Create(*store_, *module, imports);
  if (instance.is_trap()) {
    return absl::AbortedError(
        absl::StrCat("trap: ", instance.trap().message()));
  }
  if (!instance.ok()) return instance.status();
  current_ = *instance;
  if (!name.empty()) named_.insert_or_assign(S(name), *instance);
  return absl::OkStatus();
}

absl::StatusOr<kiln::Instance> KilnWastEngine::FindInstance(
    std::string_view name) const {
  if (name.empty()) {
    if (!current_.has_value()) {
      return absl::FailedPreconditionError("no module instantiated yet");
    }
    return *current_;
  }
  auto it = named_.find(name);
  if (it == named_.end()) {
    return absl::NotFoundError(absl::StrCat("no module named ", S(name)));
  }
  return it->second;
}

absl::Status KilnWastEngine::Register(std::string_view as_name,
                                      std::string_view module_name) {
  absl::StatusOr<kiln::Instance> instance = FindInstance(module_name);
  if (!instance.ok()) return instance.status();
  auto& exports = registered_[S(as_name)];
  exports.clear();
  absl::StatusOr<std::vector<std::pair<std::string, kiln::Extern>>> all =
      instance->Exports(*store_);
  if (!all.ok()) return all.status();
  for (auto& [name, ext] : *all) {
    exports.emplace(name, ext);
  }
  return absl::OkStatus();
}

absl::StatusOr<WastInvokeOutcome> KilnWastEngine::Invoke(
    std::string_view module_name, std::string_view field,
    absl::Span<const WastValue> args) {
  absl::StatusOr<kiln::Instance> instance = FindInstance(module_name);
  if (!instance.ok()) return instance.status();
  absl::StatusOr<kiln::Func> func = instance->GetFunc(*store_, field);
  if (!func.ok()) return func.status();
  std::vector<kiln::Val> params;
  params.reserve(args.size());
  for (const WastValue& a : args) {
    absl::StatusOr<kiln::Val> v = ToVal(a);
    if (!v.ok()) return v.status();
    params.push_back(*v);
  }
  kiln::Result<std::vector<kiln::Val>> result = func->Call(*store_, params);
  WastInvokeOutcome outcome;
  if (result.is_trap()) {
    outcome.trap = result.trap().message();
    return outcome;
  }
  if (!result.ok()) return result.status();
  for (const kiln::Val& v : *result) outcome.results.push_back(FromVal(v));
  return outcome;
}

absl::StatusOr<WastValue> KilnWastEngine::Get(std::string_view module_name,
                                              std::string_view field) {
  absl::StatusOr<kiln::Instance> instance = FindInstance(module_name);
  if (!instance.ok()) return instance.status();
  absl::StatusOr<kiln::Global> global = instance->GetGlobal(*store_, field);
  if (!global.ok()) return global.status();
  absl::StatusOr<kiln::Val> value = global->Get(*store_);
  if (!value.ok()) return value.status();
  return FromVal(*value);
}

}  // namespace kiln::cli
