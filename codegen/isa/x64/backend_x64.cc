// isa::CreateX64Backend: lowering -> register allocation -> emission.
#include <memory>

#include "absl/strings/str_cat.h"
#include "codegen/ir/function.h"
#include "codegen/isa/backend.h"
#include "codegen/isa/x64/emit.h"
#include "codegen/isa/x64/lower.h"

namespace kiln::isa {
namespace {

class X64Backend final : public Backend {
 public:
  std::string_view name() const override { return "x64"; }
  uint8_t padding_byte() const override { return 0xCC; }  // int3

  absl::StatusOr<CompiledFunction> Compile(const ir::Function& func,
                                           const CompileContext& ctx) const override {
    absl::StatusOr<x64::MachFunction> mf = x64::Lower(func, ctx);
    if (!mf.ok()) return mf.status();
    return x64::AllocateAndEmit(*mf, ctx);
  }

  absl::StatusOr<std::string> DumpVCode(const ir::Function& func,
                                        const CompileContext& ctx) const override {
    absl::StatusOr<x64::MachFunction> mf = x64::Lower(func, ctx);
    if (!mf.ok()) return mf.status();
    return x64::PrintMachFunction(*mf);
  }
};

}  // namespace

std::unique_ptr<Backend> CreateX64Backend() { return std::make_unique<X64Backend>(); }

}  // namespace kiln::isa
