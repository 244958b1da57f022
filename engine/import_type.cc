// Import matching (WebAssembly 2.0 extern subtyping), shared by
// Instance::Create and the Linker's InstancePre, with one wording.
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/internal.h"

namespace kiln::internal {
namespace {

std::string LimitsString(const wasm::Limits& l) {
  return l.max.has_value() ? absl::StrCat("{min ", l.min, ", max ", *l.max, "}")
                           : absl::StrCat("{min ", l.min, "}");
}

bool LimitsMatch(const wasm::Limits& actual, const wasm::Limits& expected) {
  if (actual.min < expected.min) return false;
  if (expected.max.has_value()) {
    if (!actual.max.has_value() || *actual.max > *expected.max) return false;
  }
  return true;
}

std::string MemoryTypeString(bool is64, const wasm::Limits& l, bool shared) {
  return absl::StrCat(is64 ? "memory i64 " : "memory ", LimitsString(l),
                      shared ? " shared" : "");
}

std::string GlobalTypeString(const wasm::GlobalType& t) {
  return t.mutable_ ? absl::StrCat("(mut ", wasm::ValTypeName(t.type), ")")
                    : std::string(wasm::ValTypeName(t.type));
}

std::string TableTypeString(const wasm::TableType& t) {
  return absl::StrCat(wasm::ValTypeName(t.elem_type), " ",
                      LimitsString(t.limits));
}

}  // namespace

std::string ImportName(const wasm::Import& imp) {
  return absl::StrCat("`", imp.module, "::", imp.name, "`");
}

absl::Status IncompatibleImport(const wasm::Import& imp,
                                std::string_view expected,
                                std::string_view found) {
  return absl::InvalidArgumentError(absl::StrCat(
      "incompatible import type for ", ImportName(imp), ": expected ",
      absl::string_view(expected.data(), expected.size()), ", found ",
      absl::string_view(found.data(), found.size())));
}

absl::Status CheckImportType(const StoreOpaque& store, const Module& module,
                             const wasm::Import& imp, const Extern& ext) {
  if (ext.kind() != imp.kind) {
    return IncompatibleImport(imp, wasm::ExternKindName(imp.kind),
                              wasm::ExternKindName(ext.kind()));
  }
  const SignatureRegistry& sigs = store.engine().signatures();
  switch (imp.kind) {
    case wasm::ExternKind::kFunction: {
      const uint32_t want = module.type_id(imp.func_type_index);
      const uint32_t have = ext.func()->raw()->type_id;
      if (have == want) return absl::OkStatus();
      return IncompatibleImport(
          imp, absl::StrCat("function ", sigs.Lookup(want).ToString()),
          absl::StrCat("function ", sigs.Lookup(have).ToString()));
    }
    case wasm::ExternKind::kTable: {
      const runtime::Table& t = *ext.table()->raw();
      TableType actual;
      actual.elem_type = t.elem_type();
      actual.limits.min = t.size();
      actual.limits.max = t.max();
      if (actual.elem_type == imp.table.elem_type &&
          LimitsMatch(actual.limits, imp.table.limits)) {
        return absl::OkStatus();
      }
      return IncompatibleImport(imp,
                                absl::StrCat("table ", TableTypeString(imp.table)),
                                absl::StrCat("table ", TableTypeString(actual)));
    }
    case wasm::ExternKind::kMemory: {
      const runtime::LinearMemory& m = *ext.memory()->raw();
      wasm::Limits actual;
      actual.min = m.size_pages();
      actual.max = m.max_pages();
      // Memory64: the index types must be equal too; threads: shared and
      // unshared memories never match each other.
      if (m.index64() == imp.memory.is64 && m.shared() == imp.memory.shared &&
          LimitsMatch(actual, imp.memory.limits)) {
        return absl::OkStatus();
      }
      return IncompatibleImport(
          imp,
          MemoryTypeString(imp.memory.is64, imp.memory.limits,
                           imp.memory.shared),
          MemoryTypeString(m.index64(), actual, m.shared()));
    }
    case wasm::ExternKind::kGlobal: {
      const GlobalType& actual = ext.global()->type();
      if (actual == imp.global) return absl::OkStatus();
      return IncompatibleImport(
          imp, absl::StrCat("global ", GlobalTypeString(imp.global)),
          absl::StrCat("global ", GlobalTypeString(actual)));
    }
  }
  return absl::OkStatus();
}

}  // namespace kiln::internal
