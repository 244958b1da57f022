#include "wasm/name_section.h"

#include <string>
#include <utility>

#include "wasm/leb128.h"
#include "wasm/status_macros.h"

namespace kiln::wasm {
namespace {

constexpr const char* kEof = "unexpected end of section or function";

absl::Status ParseNameMap(Reader& r,
                          absl::flat_hash_map<uint32_t, std::string>* out) {
  KILN_ASSIGN_OR_RETURN(uint32_t n, r.U32());
  if (n > r.remaining() / 2) return r.Error(kEof);
  out->reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    KILN_ASSIGN_OR_RETURN(uint32_t idx, r.U32());
    KILN_ASSIGN_OR_RETURN(std::string name, r.Name());
    (*out)[idx] = std::move(name);
  }
  return absl::OkStatus();
}

absl::Status Parse(absl::Span<const uint8_t> payload, size_t base_offset,
                   ModuleInfo* m) {
  Reader r(payload, base_offset, kEof);
  int last_id = -1;
  while (!r.at_end()) {
    KILN_ASSIGN_OR_RETURN(uint8_t id, r.U8());
    if (static_cast<int>(id) <= last_id) {
      return r.Error("out-of-order name subsection");
    }
    last_id = id;
    KILN_ASSIGN_OR_RETURN(absl::Span<const uint8_t> sub, r.LengthPrefixed());
    Reader s(sub, r.offset() - sub.size(), kEof);
    switch (id) {
      case 0: {
        KILN_ASSIGN_OR_RETURN(std::string name, s.Name());
        m->module_name = std::move(name);
        break;
      }
      case 1:
        KILN_RETURN_IF_ERROR(ParseNameMap(s, &m->function_names));
        break;
      case 2: {
        KILN_ASSIGN_OR_RETURN(uint32_t n, s.U32());
        if (n > s.remaining() / 2) return s.Error(kEof);
        for (uint32_t i = 0; i < n; ++i) {
          KILN_ASSIGN_OR_RETURN(uint32_t f, s.U32());
          KILN_RETURN_IF_ERROR(ParseNameMap(s, &m->local_names[f]));
        }
        break;
      }
      default:
        continue;  // Unknown subsections (labels, types, ...) are skipped.
    }
    if (!s.at_end()) return s.Error("name subsection size mismatch");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseNameSection(absl::Span<const uint8_t> payload,
                              size_t base_offset, ModuleInfo* module) {
  absl::Status s = Parse(payload, base_offset, module);
  if (!s.ok()) {
    module->module_name.reset();
    module->function_names.clear();
    module->local_names.clear();
  }
  return s;
}

}  // namespace kiln::wasm
