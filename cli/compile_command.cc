// `kiln compile [--emit=ir|asm|none] FILE`: compiles a module with the
// optimizing compiler and prints the optimized IR or the disassembled
// machine code (annotated with wasm offsets and trap sites).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/asm_printer.h"
#include "cli/module_loader.h"
#include "cli/subcommand.h"
#include "codegen/compiler/compiler.h"
#include "codegen/disasm/disasm.h"
#include "codegen/ir/function.h"
#include "codegen/ir/printer.h"
#include "codegen/isa/host_backend.h"
#include "engine/kiln.h"
#include "engine/serialize.h"
#include "runtime/abi/trap_code.h"
#include "wasm/decoder.h"

namespace kiln::cli {
namespace {

constexpr std::string_view kHelp =
    R"(Usage: kiln compile [OPTIONS] FILE
       kiln compile [--no-opt] [--threads=N] [--target=ISA] FILE -o FILE.cwasm

Compiles every defined function of a WebAssembly module (binary .wasm or
text .wat) with Kiln's optimizing compiler (translate -> const_fold, gvn,
redundant_loads, licm, strength_reduce, dce -> x86-64) and prints the result, or, with -o,
writes a precompiled module that `kiln run` (and Module::DeserializeFile)
loads without compiling. A .cwasm only loads into the same Kiln version on a CPU with the
features it was compiled for, with the same --no-opt, --consume-fuel and
--epoch-interruption settings (`kiln run --fuel` needs a .cwasm compiled with
--consume-fuel, `kiln run --timeout` one with --epoch-interruption); it is
trusted input (its machine code runs as is).

Options:
  -o FILE         write a precompiled module (.cwasm) to FILE instead of
                  printing (also --output FILE, --output=FILE)
  --emit=asm      disassembled machine code per function, annotated with
                  the wasm byte offset of each instruction ("; @0x1a3")
                  and trap sites ("; trap: ...") (default)
  --emit=ir       each function's IR after optimization
  --emit=none     print nothing (with --stats: measure compile speed)
  --target=ISA    compile for ISA: host (default), x64, aarch64 (cross-
                  compiles from any host; with -o the artifact loads only on
                  that ISA's build)
  --func=N        only print function N (function index space)
  --no-opt        skip the optimization passes
  --no-inline     optimize without inlining (for comparisons)
  --consume-fuel  compile fuel checks in (Config::consume_fuel)
  --epoch-interruption
                  compile epoch checks in (Config::epoch_interruption)
  --relaxed-simd-deterministic
                  relaxed SIMD gives the deterministic profile's results
                  (Config::relaxed_simd_deterministic; the .cwasm records it)
  --verify        run the IR verifier after translation and every pass
  --threads=N     compile on N threads (0 = all cores; default 1)
  --stats         print sizes and compile throughput to stderr
  -h, --help      this text
)";

absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

int Usage(std::string_view error) {
  std::fprintf(stderr, "kiln compile: %.*s\n%.*s",
               static_cast<int>(error.size()), error.data(),
               static_cast<int>(kHelp.size()), kHelp.data());
  return 2;
}

// `kiln compile FILE -o OUT`: compiles with the engine's settings and
// writes Module::Serialize's artifact, or for a `cross` target
// serialize::CompileArtifact's (written to OUT.tmp, then renamed).
int WritePrecompiled(const std::string& file, const std::string& output,
                     const compiler::CompileOptions& options, bool cross) {
  absl::StatusOr<std::vector<uint8_t>> bytes = LoadModuleBinary(file);
  if (!bytes.ok()) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(),
                 std::string(bytes.status().message()).c_str());
    return 1;
  }
  Config config;
  config.optimize = options.optimize;
  config.inline_functions = options.inline_functions;
  config.verify = options.verify;
  config.compile_threads = options.num_threads;
  config.consume_fuel = options.translate.consume_fuel;
  config.epoch_interruption = options.translate.epoch_interruption;
  config.relaxed_simd_deterministic =
      options.translate.relaxed_simd.deterministic;
  Engine engine(config);
  absl::StatusOr<std::vector<uint8_t>> artifact;
  if (cross) {  // compiled for --target's ISA; only its build loads it
    artifact = serialize::CompileArtifact(engine, *bytes, *options.backend);
  } else {
    absl::StatusOr<Module> module = Module::FromBinary(engine, *bytes);
    if (!module.ok()) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(),
                   std::string(module.status().message()).c_str());
      return 1;
    }
    artifact = module->Serialize();
  }
  if (!artifact.ok()) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(),
                 std::string(artifact.status().message()).c_str());
    return 1;
  }
  const std::string tmp = output + ".tmp";
  std::FILE* out = std::fopen(tmp.c_str(), "wb");
  bool ok = out != nullptr &&
            std::fwrite(artifact->data(), 1, artifact->size(), out) ==
                artifact->size();
  if (out != nullptr) ok = std::fclose(out) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), output.c_str()) != 0) {
    std::fprintf(stderr, "%s: cannot write: %s\n", output.c_str(),
                 std::strerror(errno));
    std::remove(tmp.c_str());
    return 1;
  }
  return 0;
}

int Run(const std::vector<std::string_view>& args) {
  std::string emit = "asm";
  std::string file;
  int64_t only_func = -1;
  compiler::CompileOptions options;
  bool stats = false;
  std::string output;  // -o: write a precompiled module (.cwasm)
  bool emit_given = false;
  std::string target = "host";
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-o" || arg == "--output") {
      if (i + 1 >= args.size()) return Usage("-o needs a file name");
      output = std::string(args[++i]);
    } else if (arg.substr(0, 9) == "--output=") {
      output = std::string(arg.substr(9));
    } else if (arg.substr(0, 7) == "--emit=") {
      emit_given = true;
      emit = std::string(arg.substr(7));
      if (emit != "asm" && emit != "ir" && emit != "none") {
        return Usage("unknown --emit value (ir, asm or none)");
      }
    } else if (arg.substr(0, 9) == "--target=") {
      target = std::string(arg.substr(9));
    } else if (arg.substr(0, 7) == "--func=") {
      if (!absl::SimpleAtoi(AV(arg.substr(7)), &only_func) || only_func < 0) {
        return Usage("--func needs a function index");
      }
    } else if (arg.substr(0, 10) == "--threads=") {
      int n;
      if (!absl::SimpleAtoi(AV(arg.substr(10)), &n) || n < 0) {
        return Usage("--threads needs a number");
      }
      options.num_threads = n;
    } else if (arg == "--no-opt") {
      options.optimize = false;
    } else if (arg == "--no-inline") {
      options.inline_functions = false;
    } else if (arg == "--consume-fuel") {
      options.translate.consume_fuel = true;
    } else if (arg == "--epoch-interruption") {
      options.translate.epoch_interruption = true;
    } else if (arg == "--relaxed-simd-deterministic") {
      options.translate.relaxed_simd.deterministic = true;
    } else if (arg == "--verify") {
      options.verify = true;
    } else if (arg == "--stats") {
      stats = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return Usage(absl::StrCat("unknown option '", AV(arg), "'"));
    } else if (file.empty()) {
      file = std::string(arg);
    } else {
      return Usage("more than one module given");
    }
  }
  if (file.empty()) return Usage("no module given");
  std::unique_ptr<isa::Backend> backend = isa::CreateBackendForTarget(target);
  if (backend == nullptr) {
    return Usage(absl::StrCat("unknown or unavailable --target '", target,
                              "' (host, x64, aarch64)"));
  }
  options.backend = backend.get();
  if (!output.empty()) {
    if (emit_given) return Usage("-o cannot be combined with --emit");
    return WritePrecompiled(file, output, options,
                            backend->name() != isa::CreateHostBackend()->name());
  }

  absl::StatusOr<std::vector<uint8_t>> bytes = LoadModuleBinary(file);
  if (!bytes.ok()) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(),
                 std::string(bytes.status().message()).c_str());
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  // CompileModule validates every body in the walk that translates it, so
  // the decoder need not validate them first.
  wasm::DecodeOptions decode_options;
  decode_options.validate_function_bodies = false;
  auto module = wasm::DecodeModule(*bytes, decode_options);
  if (!module.ok()) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(),
                 std::string(module.status().message()).c_str());
    return 1;
  }
  auto t1 = std::chrono::steady_clock::now();
  const wasm::ModuleInfo& m = **module;

  std::mutex mu;
  std::map<uint32_t, std::string> ir_text;
  if (emit == "ir") {
    options.skip_codegen = true;
    options.on_ir = [&](uint32_t f, const ir::Function& func) {
      if (only_func >= 0 && f != only_func) return;
      std::string text = absl::StrCat("; ", FunctionTitle(m, f), "\n",
                                      ir::PrintFunction(func), "\n");
      std::lock_guard<std::mutex> lock(mu);
      ir_text[f] = std::move(text);
    };
  }
  auto cm = compiler::CompileModule(m, {}, options);
  auto t2 = std::chrono::steady_clock::now();
  if (!cm.ok()) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(),
                 std::string(cm.status().message()).c_str());
    return 1;
  }
  std::string out;
  if (emit == "ir") {
    for (auto& [f, text] : ir_text) out += text;
  } else if (emit == "asm") {
    for (const compiler::CompiledFunctionInfo& f : cm->functions) {
      if (only_func >= 0 && f.func_index != only_func) continue;
      PrintAsm(m, *cm, cm->code, f, &out, backend->name());
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (stats) {
    double decode_s = std::chrono::duration<double>(t1 - t0).count();
    double compile_s = std::chrono::duration<double>(t2 - t1).count();
    size_t code_bytes = 0;
    for (const auto& f : m.functions) code_bytes += f.body_size;
    std::fprintf(stderr,
                 "%s: %zu bytes (%zu in %zu function bodies), %zu bytes of "
                 "machine code, %zu trap sites\n"
                 "decode %.3f ms; validate+compile %.3f ms = %.2f MB/s of "
                 "module (%.2f MB/s of code section)\n",
                 file.c_str(), bytes->size(), code_bytes,
                 cm->functions.size(), cm->code.size(), cm->traps.size(),
                 decode_s * 1e3, compile_s * 1e3,
                 bytes->size() / compile_s / 1e6,
                 code_bytes / compile_s / 1e6);
  }
  return 0;
}

}  // namespace

const Subcommand& CompileSubcommand() {
  static const Subcommand kSubcommand = {
      .name = "compile",
      .summary = "compile a module; print its optimized IR or machine code",
      .help = kHelp,
      .run = &Run,
  };
  return kSubcommand;
}

}  // namespace kiln::cli
