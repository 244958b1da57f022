// compile_bench FILE.wasm [REPEAT]: compile throughput of a module, per
// phase (decode+validate, translate, optimize, backend), in MB of module
// bytes per second. Functions the backend rejects are counted and skipped
// (their translate/opt time still counts), so a backend gap does not hide
// the numbers of the other phases.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "codegen/ir/function.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/verifier.h"
#include "codegen/isa/backend.h"
#include "codegen/isa/host_backend.h"
#include "codegen/opt/pass.h"
#include "codegen/translate/translator.h"
#include "wasm/decoder.h"

namespace {

using Clock = std::chrono::steady_clock;
double Sec(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: compile_bench FILE.wasm [REPEAT]\n");
    return 2;
  }
  int repeat = argc > 2 ? std::atoi(argv[2]) : 1;
  // KILN_BENCH_TRANSLATE_ONLY=1: stop after translation (for profiling).
  const bool translate_only = std::getenv("KILN_BENCH_TRANSLATE_ONLY") != nullptr;
  // KILN_BENCH_DUMP=N: print function N's IR (translated, then optimized)
  // and verify it.
  const char* dump_env = std::getenv("KILN_BENCH_DUMP");
  const long dump = dump_env ? std::atol(dump_env) : -1;
  // KILN_BENCH_VERIFY=1: verify every function after translation and after
  // the passes (counted as failures).
  const bool verify_all = std::getenv("KILN_BENCH_VERIFY") != nullptr;
  // KILN_BENCH_PARAMS=1: count non-entry block parameters after
  // translation and after the passes.
  const bool count_params = std::getenv("KILN_BENCH_PARAMS") != nullptr;
  size_t params_translated = 0, params_optimized = 0;
  auto count_block_params = [](const kiln::ir::Function& fn) {
    size_t n = 0;
    for (kiln::ir::Block b : fn.blocks()) {
      if (b != fn.entry_block()) n += fn.block_params(b).size();
    }
    return n;
  };
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  double best_total = 1e30;
  for (int r = 0; r < repeat; ++r) {
    auto t0 = Clock::now();
    auto module = kiln::wasm::DecodeModule(bytes);
    if (!module.ok()) {
      std::fprintf(stderr, "%s\n", std::string(module.status().message()).c_str());
      return 1;
    }
    auto t1 = Clock::now();
    const kiln::wasm::ModuleInfo& m = **module;
    kiln::translate::FunctionTranslator tr(m, {});
    kiln::opt::PassManager pm(/*verify_each=*/false);
    kiln::opt::AddDefaultPipeline(pm);
    auto backend = kiln::isa::CreateHostBackend();
    kiln::isa::CompileContext ctx;
    Clock::duration t_translate{}, t_opt{}, t_backend{};
    size_t failed = 0, insts = 0, code_bytes = 0, body_bytes = 0;
    std::string first_error;
    for (uint32_t f = m.num_imported_functions; f < m.functions.size(); ++f) {
      body_bytes += m.functions[f].body_size;
      kiln::ir::Function func;
      auto a = Clock::now();
      absl::Status s = tr.Translate(f, &func);
      auto b = Clock::now();
      t_translate += b - a;
      if (!s.ok()) {
        if (first_error.empty()) first_error = std::string(s.message());
        ++failed;
        continue;
      }
      insts += func.num_insts();
      if (verify_all) {
        absl::Status v = kiln::ir::VerifyFunction(func);
        if (!v.ok()) {
          if (first_error.empty()) {
            first_error = absl::StrCat("f", f, " after translation: ", v.message());
          }
          ++failed;
          continue;
        }
      }
      if (static_cast<long>(f) == dump) {
        std::printf("%s", kiln::ir::PrintFunction(func).c_str());
        absl::Status v = kiln::ir::VerifyFunction(func);
        std::printf("verify: %s\n", v.ToString().c_str());
      }
      if (count_params) params_translated += count_block_params(func);
      if (translate_only) continue;
      (void)pm.Run(func);
      if (count_params) params_optimized += count_block_params(func);
      if (static_cast<long>(f) == dump) {
        std::printf("%s", kiln::ir::PrintFunction(func).c_str());
        absl::Status v = kiln::ir::VerifyFunction(func);
        std::printf("verify: %s\n", v.ToString().c_str());
      }
      auto c = Clock::now();
      t_opt += c - b;
      auto out = backend->Compile(func, ctx);
      t_backend += Clock::now() - c;
      if (!out.ok()) {
        if (first_error.empty()) first_error = std::string(out.status().message());
        ++failed;
        continue;
      }
      code_bytes += out->code.size();
    }
    double mb = bytes.size() / 1e6;
    if (count_params) {
      std::printf("block params: %zu after translation, %zu after passes\n",
                  params_translated, params_optimized);
    }
    double total = Sec(t1 - t0) + Sec(t_translate) + Sec(t_opt) + Sec(t_backend);
    if (total < best_total) best_total = total;
    std::printf(
        "%s: %.2f MB module, %.2f MB code section, %zu functions, %zu IR insts, "
        "%zu failed%s%s\n"
        "  decode+validate %7.1f ms  %8.1f MB/s\n"
        "  translate       %7.1f ms  %8.1f MB/s\n"
        "  optimize        %7.1f ms  %8.1f MB/s\n"
        "  backend         %7.1f ms  %8.1f MB/s\n"
        "  total           %7.1f ms  %8.1f MB/s (1 thread), %.2f MB machine code\n",
        argv[1], mb, body_bytes / 1e6,
        m.functions.size() - m.num_imported_functions, insts, failed,
        first_error.empty() ? "" : "; first: ", first_error.c_str(),
        Sec(t1 - t0) * 1e3, mb / Sec(t1 - t0), Sec(t_translate) * 1e3,
        mb / Sec(t_translate), Sec(t_opt) * 1e3, mb / Sec(t_opt),
        Sec(t_backend) * 1e3, mb / Sec(t_backend), total * 1e3, mb / total,
        code_bytes / 1e6);
  }
  return 0;
}
