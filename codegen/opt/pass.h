// Optimization pass framework.
//
// A Pass transforms one function in place. PassManager runs a pipeline and,
// when verification is on (debug builds, tests, filetests), runs the IR
// verifier after every pass so a broken pass is named at once.
#ifndef KILN_CODEGEN_OPT_PASS_H_
#define KILN_CODEGEN_OPT_PASS_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "codegen/ir/function.h"

namespace kiln::opt {

class Pass {
 public:
  virtual ~Pass() = default;
  // The registry name ("const_fold").
  virtual absl::string_view name() const = 0;
  // Returns whether the function changed.
  virtual bool Run(ir::Function& f) = 0;
};

#ifdef NDEBUG
inline constexpr bool kVerifyPassesByDefault = false;
#else
inline constexpr bool kVerifyPassesByDefault = true;
#endif

class PassManager {
 public:
  explicit PassManager(bool verify_each = kVerifyPassesByDefault)
      : verify_each_(verify_each) {}

  void Add(std::unique_ptr<Pass> pass) { passes_.push_back(std::move(pass)); }
  // Adds passes from a comma-separated list of registry names
  // ("const_fold,dce"). Fails on an unknown name.
  absl::Status AddByNames(absl::string_view names);
  // Runs all passes in order. With verification on, an invalid function
  // after a pass fails with "after pass <name>: <verifier message>".
  absl::Status Run(ir::Function& f) const;
  void set_verify_each(bool v) { verify_each_ = v; }

 private:
  bool verify_each_;
  std::vector<std::unique_ptr<Pass>> passes_;
};

// Registry of the passes in this folder, by name: nullptr if unknown.
std::unique_ptr<Pass> CreatePass(absl::string_view name);
std::vector<absl::string_view> PassNames();

// The default optimization pipeline for compiled wasm functions.
void AddDefaultPipeline(PassManager& pm);

}  // namespace kiln::opt

#endif  // KILN_CODEGEN_OPT_PASS_H_
