#include "codegen/opt/pass.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "codegen/ir/verifier.h"
#include "codegen/opt/const_fold.h"
#include "codegen/opt/dce.h"
#include "codegen/opt/gvn.h"
#include "codegen/opt/licm.h"
#include "codegen/opt/redundant_loads.h"
#include "codegen/opt/simplify_cfg.h"
#include "codegen/opt/simplify_params.h"
#include "codegen/opt/split_critical_edges.h"
#include "codegen/opt/strength_reduce.h"

namespace kiln::opt {
namespace {

struct Entry {
  absl::string_view name;
  std::unique_ptr<Pass> (*make)();
};

template <typename P>
std::unique_ptr<Pass> Make() {
  return std::make_unique<P>();
}

// Every pass in this folder. Add new passes here.
const Entry kPasses[] = {
    {"const_fold", &Make<ConstFoldPass>},
    {"dce", &Make<DcePass>},
    {"gvn", &Make<GvnPass>},
    {"licm", &Make<LicmPass>},
    {"redundant_loads", &Make<RedundantLoadsPass>},
    {"simplify_cfg", &Make<SimplifyCfgPass>},
    {"simplify_params", &Make<SimplifyParamsPass>},
    {"split_critical_edges", &Make<SplitCriticalEdgesPass>},
    {"strength_reduce", &Make<StrengthReducePass>},
};

}  // namespace

std::unique_ptr<Pass> CreatePass(absl::string_view name) {
  for (const Entry& e : kPasses) {
    if (e.name == name) return e.make();
  }
  return nullptr;
}

std::vector<absl::string_view> PassNames() {
  std::vector<absl::string_view> out;
  for (const Entry& e : kPasses) out.push_back(e.name);
  return out;
}

void AddDefaultPipeline(PassManager& pm) {
  pm.Add(std::make_unique<SimplifyParamsPass>());
  pm.Add(std::make_unique<ConstFoldPass>());
  pm.Add(std::make_unique<GvnPass>());
  pm.Add(std::make_unique<RedundantLoadsPass>());
  // licm then strength_reduce on the same loop analysis (invariants
  // hoisted, every loop with a preheader); dce removes the address
  // arithmetic and IVs it leaves dead.
  pm.Add(std::make_unique<LicmPass>(/*reduce_strength=*/true));
  pm.Add(std::make_unique<DcePass>());
}

absl::Status PassManager::AddByNames(absl::string_view names) {
  for (absl::string_view n : absl::StrSplit(names, ',', absl::SkipEmpty())) {
    n = absl::StripAsciiWhitespace(n);
    std::unique_ptr<Pass> p = CreatePass(n);
    if (!p) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown pass '", n, "' (known: ",
                       absl::StrJoin(PassNames(), ", "), ")"));
    }
    Add(std::move(p));
  }
  return absl::OkStatus();
}

absl::Status PassManager::Run(ir::Function& f) const {
  for (const auto& p : passes_) {
    p->Run(f);
    if (verify_each_) {
      if (absl::Status s = ir::VerifyFunction(f); !s.ok()) {
        return absl::InternalError(
            absl::StrCat("after pass ", p->name(), ": ", s.message()));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace kiln::opt
