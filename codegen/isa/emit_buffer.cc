#include "codegen/isa/emit_buffer.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kiln::isa {

void EmitBuffer::ErrorCollector::handleError(asmjit::Error err,
                                             const char* message,
                                             asmjit::BaseEmitter*) {
  if (error == asmjit::kErrorOk) {
    error = err;
    text = message;
  }
}

EmitBuffer::EmitBuffer(asmjit::Arch arch) {
  code_.init(asmjit::Environment(arch));
  code_.setErrorHandler(&errors_);
}

void EmitBuffer::DeclareLabels(
    const VCode& vcode, const std::function<bool(uint32_t)>& needs_island) {
  const uint32_t nb = vcode.num_blocks();
  block_labels_.resize(nb);
  for (uint32_t b = 0; b < nb; ++b) block_labels_[b] = a_->newLabel();
  edge_labels_.assign(vcode.num_edges(), asmjit::Label());
  for (uint32_t e = 0; e < vcode.num_edges(); ++e) {
    if (needs_island(e)) edge_labels_[e] = a_->newLabel();
  }
}

asmjit::Label EmitBuffer::TrapLabel(abi::TrapCode code) {
  if (last_srcloc_ != ~0u) {
    // Islands of the current location are the last ones made (a location
    // seen again later, e.g. in a rotated loop, may get a second island).
    for (auto it = srcloc_islands_.rbegin();
         it != srcloc_islands_.rend() && it->srcloc == last_srcloc_; ++it) {
      if (it->code == code) return it->label;
    }
    srcloc_islands_.push_back({code, last_srcloc_, a_->newLabel()});
    return srcloc_islands_.back().label;
  }
  asmjit::Label& l = trap_labels_[static_cast<int>(code)];
  if (!l.isValid()) l = a_->newLabel();
  return l;
}

void EmitBuffer::EmitTrapIslands(const std::function<void()>& emit_trap) {
  // Islands without a location first: they keep the source location of the
  // code before them, as they always had.
  for (int c = 0; c < abi::kNumTrapCodes; ++c) {
    if (!trap_labels_[c].isValid()) continue;
    a_->bind(trap_labels_[c]);
    AddTrapSite(static_cast<abi::TrapCode>(c));
    emit_trap();
  }
  for (const TrapIsland& t : srcloc_islands_) {
    MarkSourceLoc(t.srcloc);
    a_->bind(t.label);
    AddTrapSite(t.code);
    emit_trap();
  }
}

void EmitBuffer::AddRelocation(RelocEncoding encoding, RelocTarget target,
                               uint32_t index, uint32_t field_offset,
                               int32_t addend) {
  Relocation r;
  r.offset = field_offset;
  r.encoding = encoding;
  r.target = target;
  r.index = index;
  r.addend = addend;
  relocations_.push_back(r);
}

void EmitBuffer::MarkSourceLoc(uint32_t wasm_offset) {
  if (wasm_offset == ~0u || wasm_offset == last_srcloc_) return;
  last_srcloc_ = wasm_offset;
  source_map_.push_back(SourceLoc{offset(), wasm_offset});
}

absl::StatusOr<CompiledFunction> EmitBuffer::Finish(std::string_view what,
                                                    uint32_t frame_size,
                                                    uint32_t num_spill_slots) {
  for (auto& emit : late_data_) emit();
  if (errors_.error == asmjit::kErrorOk) {
    code_.flatten();
    code_.resolveUnresolvedLinks();
  }
  if (errors_.error != asmjit::kErrorOk) {
    return absl::InternalError(
        absl::StrCat(std::string(what), ": asmjit: ", errors_.text));
  }
  CompiledFunction out;
  asmjit::CodeBuffer& buf = code_.textSection()->buffer();
  out.code.assign(buf.data(), buf.data() + buf.size());
  out.traps = std::move(traps_);
  std::sort(out.traps.begin(), out.traps.end(),
            [](const TrapSite& x, const TrapSite& y) {
              return x.code_offset < y.code_offset;
            });
  out.relocations = std::move(relocations_);
  out.source_map = std::move(source_map_);
  out.frame_size = frame_size;
  out.num_spill_slots = num_spill_slots;
  return out;
}

}  // namespace kiln::isa
