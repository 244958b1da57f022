// The execution engine behind `kiln wast`: runs script modules on Kiln's
// engine (compile, link against registered modules and `spectest`,
// instantiate, invoke, read globals).
#ifndef KILN_CLI_KILN_WAST_ENGINE_H_
#define KILN_CLI_KILN_WAST_ENGINE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cli/wast_engine.h"
#include "engine/kiln.h"

namespace kiln::cli {

class KilnWastEngine : public WastEngine {
 public:
  explicit KilnWastEngine(const kiln::Config& config = kiln::Config());

  // Passes every module through Module::Serialize -> Module::Deserialize
  // before instantiating it (tests/cwasm: the spec suite on precompiled
  // modules).
  void set_round_trip_precompiled(bool on) { round_trip_precompiled_ = on; }

  // With Config::consume_fuel / epoch_interruption (kiln wast --interrupt)
  // every store gets all the fuel there is and a deadline callback that
  // always continues one epoch later.
  const kiln::Engine& engine() const { return engine_; }

  void Reset() override;
  absl::Status Instantiate(absl::Span<const uint8_t> bytes,
                           std::string_view name) override;
  absl::Status Register(std::string_view as_name,
                        std::string_view module_name) override;
  absl::StatusOr<WastInvokeOutcome> Invoke(
      std::string_view module_name, std::string_view field,
      absl::Span<const WastValue> args) override;
  absl::StatusOr<WastValue> Get(std::string_view module_name,
                                std::string_view field) override;

 private:
  absl::StatusOr<kiln::Instance> FindInstance(std::string_view name) const;

  kiln::Engine engine_;
  bool round_trip_precompiled_ = false;
  std::unique_ptr<kiln::Store<>> store_;
  std::optional<kiln::Instance> current_;
  std::map<std::string, kiln::Instance, std::less<>> named_;
  // Importable modules: name -> export name -> extern.
  std::map<std::string, std::map<std::string, kiln::Extern, std::less<>>,
           std::less<>>
      registered_;
};

}  // namespace kiln::cli

#endif  // KILN_CLI_KILN_WAST_ENGINE_H_
