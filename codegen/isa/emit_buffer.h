// The ISA-neutral emission buffer every backend emits into: an asmjit
// CodeHolder (asmjit's core labels, fixups and alignment work for every
// architecture it assembles) plus what Kiln's CompiledFunction needs and
// no ISA knows better: block and edge labels over the VCode, one
// out-of-line trap island per trap code, trap sites, relocations (with a
// per-ISA encoding), the wasm source map and late data (jump tables,
// constants) placed after the code. The ISA's emitter owns only the
// instructions: it attaches its assembler (x86::Assembler, a64::Assembler,
// ...) and supplies the trap instruction when the islands are written.
#ifndef KILN_CODEGEN_ISA_EMIT_BUFFER_H_
#define KILN_CODEGEN_ISA_EMIT_BUFFER_H_

#include <asmjit/core.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "codegen/isa/backend.h"
#include "codegen/isa/vcode.h"
#include "runtime/abi/trap_code.h"

namespace kiln::isa {

class EmitBuffer {
 public:
  explicit EmitBuffer(asmjit::Arch arch);
  EmitBuffer(const EmitBuffer&) = delete;
  EmitBuffer& operator=(const EmitBuffer&) = delete;

  // The holder the ISA's assembler is created on; then Attach it.
  asmjit::CodeHolder& holder() { return code_; }
  void Attach(asmjit::BaseAssembler* assembler) { a_ = assembler; }
  uint32_t offset() const { return static_cast<uint32_t>(a_->offset()); }

  // --- Labels over the VCode: one per block, one per edge that needs an
  // out-of-line island (`needs_island(edge)`).
  void DeclareLabels(const VCode& vcode,
                     const std::function<bool(uint32_t)>& needs_island);
  asmjit::Label block_label(uint32_t block) const {
    return block_labels_[block];
  }
  // The edge's island label (invalid when the edge has no island).
  asmjit::Label edge_label(uint32_t edge) const { return edge_labels_[edge]; }
  void BindBlock(uint32_t block) { a_->bind(block_labels_[block]); }
  void Bind(asmjit::Label label) { a_->bind(label); }

  // --- Traps.
  // A trap site at the current offset (the next instruction faults).
  void AddTrapSite(abi::TrapCode code) {
    traps_.push_back(TrapSite{offset(), code});
  }
  // The out-of-line island that traps with `code` (made on first use),
  // shared by the instructions of one wasm offset (the current source
  // location): the island's own source-map entry then names the trapping
  // wasm instruction, also inside an inlined function (backtraces,
  // engine/func.cc). Without a source location, one per code.
  asmjit::Label TrapLabel(abi::TrapCode code);
  // Binds every used trap island, records its trap site and emits the ISA's
  // trap instruction (x64: ud2) with `emit_trap`.
  void EmitTrapIslands(const std::function<void()>& emit_trap);

  // --- Relocations: `field_offset` is the position of the field to patch
  // (usually offset() right after the instruction minus the field size).
  void AddRelocation(RelocEncoding encoding, RelocTarget target,
                     uint32_t index, uint32_t field_offset, int32_t addend);

  // --- Source map: records (offset, wasm_offset) when the location
  // changes; ~0u means "none".
  void MarkSourceLoc(uint32_t wasm_offset);

  // --- Late data, emitted after the trap islands in order (jump tables).
  void AddLateData(std::function<void()> emit) {
    late_data_.push_back(std::move(emit));
  }

  // Emits the late data, resolves every label and returns the function
  // (traps sorted by offset). `what` names it in errors ("x64 emit (f)").
  absl::StatusOr<CompiledFunction> Finish(std::string_view what,
                                          uint32_t frame_size,
                                          uint32_t num_spill_slots);

 private:
  class ErrorCollector : public asmjit::ErrorHandler {
   public:
    void handleError(asmjit::Error err, const char* message,
                     asmjit::BaseEmitter*) override;
    asmjit::Error error = asmjit::kErrorOk;
    std::string text;
  };

  asmjit::CodeHolder code_;
  ErrorCollector errors_;
  asmjit::BaseAssembler* a_ = nullptr;
  std::vector<asmjit::Label> block_labels_;
  std::vector<asmjit::Label> edge_labels_;
  std::array<asmjit::Label, abi::kNumTrapCodes> trap_labels_;
  struct TrapIsland {
    abi::TrapCode code;
    uint32_t srcloc;
    asmjit::Label label;
  };
  std::vector<TrapIsland> srcloc_islands_;  // In order of first use.
  std::vector<TrapSite> traps_;
  std::vector<Relocation> relocations_;
  std::vector<SourceLoc> source_map_;
  uint32_t last_srcloc_ = ~0u;
  std::vector<std::function<void()>> late_data_;
};

}  // namespace kiln::isa

#endif  // KILN_CODEGEN_ISA_EMIT_BUFFER_H_
