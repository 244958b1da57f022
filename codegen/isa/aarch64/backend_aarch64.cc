// isa::CreateAarch64Backend: lowering -> register allocation -> emission.
#include <memory>

#include "codegen/ir/function.h"
#include "codegen/isa/aarch64/emit.h"
#include "codegen/isa/aarch64/lower.h"
#include "codegen/isa/backend.h"

namespace kiln::isa {
namespace {

class Aarch64Backend final : public Backend {
 public:
  std::string_view name() const override { return "aarch64"; }
  // Zero bytes are `udf #0`: padding between functions traps.
  uint8_t padding_byte() const override { return 0x00; }

  absl::StatusOr<CompiledFunction> Compile(const ir::Function& func,
                                           const CompileContext& ctx) const override {
    absl::StatusOr<aarch64::MachFunction> mf = aarch64::Lower(func, ctx);
    if (!mf.ok()) return mf.status();
    return aarch64::AllocateAndEmit(*mf, ctx);
  }

  absl::StatusOr<std::string> DumpVCode(const ir::Function& func,
                                        const CompileContext& ctx) const override {
    absl::StatusOr<aarch64::MachFunction> mf = aarch64::Lower(func, ctx);
    if (!mf.ok()) return mf.status();
    return aarch64::PrintMachFunction(*mf);
  }
};

}  // namespace

std::unique_ptr<Backend> CreateAarch64Backend() { return std::make_unique<Aarch64Backend>(); }

}  // namespace kiln::isa
