// `kiln run [OPTIONS] FILE [ARGS...]`: runs a WASI command (or calls one
// export with --invoke) with wasi_snapshot_preview1 provided.
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "cli/module_loader.h"
#include "cli/subcommand.h"
#include "engine/kiln.h"
#include "linker/linker.h"
#include "wasi/add_to_linker.h"
#include "wasi/host.h"
#include "wasi/threads.h"
#include "wasi/wasi_ctx.h"

namespace kiln::cli {
namespace {

constexpr std::string_view kHelp =
    R"(Usage: kiln run [OPTIONS] FILE.wasm|FILE.wat|FILE.cwasm [ARGS...]

Runs a WebAssembly module with WASI preview1 (wasi_snapshot_preview1):
calls its "_start" export (a WASI command) with ARGS as its arguments
(argv[0] is FILE), or, with --invoke, calls one export with ARGS as wasm
values and prints the results, one per line.

wasi-threads: a module that imports wasi::thread-spawn (and a shared
memory) gets it; each spawned thread runs a new instance of the module
over the same shared memory and calls its wasi_thread_start(tid, arg).
A trap or proc_exit in any thread ends the process; so does the end of
_start (or of the --invoke call) while other threads still run.

FILE is binary .wasm or text .wat (compiled now), or a .cwasm written by
`kiln compile FILE -o FILE.cwasm` (recognised by its magic; starts
without compiling). A .cwasm must come from the same Kiln build, CPU
features and -O level, and is trusted input (like wasmtime's deserialized
modules: its machine code runs as is): load only files you made. A .cwasm
whose header is wrong (magic, format version, checksums, engine
compatibility: Kiln version, ISA, CPU features, options, ABI) is refused.

Options:
  --dir HOST[::GUEST]   give the guest the host directory HOST, named GUEST
                        (default: HOST). Repeatable. The guest sees nothing
                        of the file system outside these directories.
  --env NAME=VALUE      set a guest environment variable (NAME alone takes
                        the host's value). Repeatable.
  --invoke NAME         call export NAME instead of _start (a reactor's
                        _initialize runs first); ARGS are its parameters
                        (integers, or floats for f32/f64)
  --fuel N              give the guest N units of fuel (one per wasm
                        operator, as wasmtime counts them); running out
                        traps "all fuel consumed by WebAssembly"
  --timeout DURATION    interrupt the guest after DURATION of wall-clock
                        time (e.g. 500ms, 2s, 1m; epoch interruption: the
                        guest traps "interrupt" at its next function entry
                        or loop iteration)
  --relaxed-simd-deterministic
                        relaxed SIMD gives the deterministic profile's
                        results (Config::relaxed_simd_deterministic; a
                        .cwasm must have been compiled with it too)
  -O0                   no optimization passes
  -O2                   optimize (default)
  --no-inline           optimize without inlining (for comparisons)
  -h, --help            this text

Exit status:
  the guest's exit code (proc_exit, or 0 when _start returns);
  134 when the guest traps, runs out of fuel or times out (the trap and
      its backtrace go to stderr);
  1 when the module cannot be loaded, compiled, linked or called;
  2 for a usage error.
)";

constexpr int kTrapExit = 134;
constexpr int kErrorExit = 1;

int Usage(std::string_view error) {
  std::fprintf(stderr, "kiln run: %.*s\n\n%.*s", static_cast<int>(error.size()),
               error.data(), static_cast<int>(kHelp.size()), kHelp.data());
  return 2;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "kiln run: %s\n", what.c_str());
  return kErrorExit;
}

struct Options {
  std::vector<std::pair<std::string, std::string>> dirs;  // host, guest
  std::vector<std::string> env;
  std::optional<std::string> invoke;
  bool optimize = true;
  bool inline_functions = true;
  bool relaxed_simd_deterministic = false;
  std::optional<uint64_t> fuel;
  std::optional<absl::Duration> timeout;
  std::string file;
  std::vector<std::string> args;
};

// Parses `--opt VALUE` and `--opt=VALUE`.
bool TakeValue(const std::vector<std::string_view>& args, size_t* i,
               std::string_view opt, std::string* value) {
  std::string_view a = args[*i];
  if (a == opt) {
    if (*i + 1 >= args.size()) return false;
    *value = std::string(args[++*i]);
    return true;
  }
  if (a.size() > opt.size() && a.substr(0, opt.size()) == opt &&
      a[opt.size()] == '=') {
    *value = std::string(a.substr(opt.size() + 1));
    return true;
  }
  return false;
}

bool ParseVal(ValType type, const std::string& text, Val* out) {
  switch (type) {
    case ValType::kI32: {
      int64_t v;
      if (!absl::SimpleAtoi(text, &v) || v < INT32_MIN || v > UINT32_MAX) {
        return false;
      }
      *out = Val::I32(static_cast<int32_t>(static_cast<uint32_t>(v)));
      return true;
    }
    case ValType::kI64: {
      int64_t v;
      uint64_t u;
      if (absl::SimpleAtoi(text, &v)) {
        *out = Val::I64(v);
      } else if (absl::SimpleAtoi(text, &u)) {
        *out = Val::I64(static_cast<int64_t>(u));
      } else {
        return false;
      }
      return true;
    }
    case ValType::kF32: {
      float v;
      if (!absl::SimpleAtof(text, &v)) return false;
      *out = Val::F32(v);
      return true;
    }
    case ValType::kF64: {
      double v;
      if (!absl::SimpleAtod(text, &v)) return false;
      *out = Val::F64(v);
      return true;
    }
    default:
      return false;
  }
}

std::string FormatVal(const Val& v) {
  switch (v.type()) {
    case ValType::kI32: return absl::StrCat(v.i32());
    case ValType::kI64: return absl::StrCat(v.i64());
    case ValType::kF32: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.9g", v.f32());
      return buf;
    }
    case ValType::kF64: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", v.f64());
      return buf;
    }
    default: return v.ToString();
  }
}

// The exit status for a call that trapped: the guest's exit code after
// proc_exit, else the trap on stderr and kTrapExit.
int TrapExit(const Trap& trap, const wasi::WasiCtx& ctx,
             const std::string& file) {
  if (std::optional<uint32_t> code = wasi::ExitCode(trap, ctx)) {
    return static_cast<int>(*code & 0xff);
  }
  std::fprintf(stderr, "kiln run: %s: wasm trap: %s\n", file.c_str(),
               trap.ToString().c_str());
  return kTrapExit;
}

// Ends the engine's epoch after `timeout` unless destroyed first.
class Timeout {
 public:
  Timeout(const Engine& engine, absl::Duration timeout)
      : thread_([this, engine, timeout] {
          if (!done_.WaitForNotificationWithTimeout(timeout)) {
            engine.IncrementEpoch();
          }
        }) {}
  ~Timeout() {
    done_.Notify();
    thread_.join();
  }

 private:
  absl::Notification done_;
  std::thread thread_;
};

int Run(const std::vector<std::string_view>& args) {
  Options o;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string_view a = args[i];
    std::string value;
    if (a == "--") {
      ++i;
      break;
    } else if (a == "-h" || a == "--help") {
      std::fwrite(kHelp.data(), 1, kHelp.size(), stdout);
      return 0;
    } else if (a == "--relaxed-simd-deterministic") {
      o.relaxed_simd_deterministic = true;
    } else if (a == "-O0") {
      o.optimize = false;
    } else if (a == "--no-inline") {
      o.inline_functions = false;
    } else if (a == "-O2" || a == "-O1" || a == "-O3") {
      o.optimize = true;
    } else if (a.substr(0, 5) == "--dir") {
      if (!TakeValue(args, &i, "--dir", &value) || value.empty()) {
        return Usage("--dir needs HOST[::GUEST]");
      }
      size_t sep = value.find("::");
      if (sep == std::string::npos) {
        o.dirs.emplace_back(value, value);
      } else {
        o.dirs.emplace_back(value.substr(0, sep), value.substr(sep + 2));
      }
    } else if (a.substr(0, 5) == "--env") {
      if (!TakeValue(args, &i, "--env", &value) || value.empty()) {
        return Usage("--env needs NAME=VALUE");
      }
      if (value.find('=') == std::string::npos) {
        const char* host = std::getenv(value.c_str());
        if (host == nullptr) continue;
        value = absl::StrCat(value, "=", host);
      }
      o.env.push_back(value);
    } else if (a.substr(0, 6) == "--fuel") {
      uint64_t fuel;
      if (!TakeValue(args, &i, "--fuel", &value) ||
          !absl::SimpleAtoi(value, &fuel)) {
        return Usage("--fuel needs a non-negative integer");
      }
      o.fuel = fuel;
    } else if (a.substr(0, 9) == "--timeout") {
      absl::Duration d;
      if (!TakeValue(args, &i, "--timeout", &value) ||
          !absl::ParseDuration(value, &d) || d <= absl::ZeroDuration()) {
        return Usage("--timeout needs a positive duration (500ms, 2s, 1m)");
      }
      o.timeout = d;
    } else if (a.substr(0, 8) == "--invoke") {
      if (!TakeValue(args, &i, "--invoke", &value)) {
        return Usage("--invoke needs a function name");
      }
      o.invoke = value;
    } else if (a.size() > 1 && a[0] == '-') {
      return Usage(absl::StrCat("unknown option '", std::string(a), "'"));
    } else {
      break;
    }
  }
  if (i >= args.size()) return Usage("no module file");
  o.file = std::string(args[i++]);
  for (; i < args.size(); ++i) o.args.emplace_back(args[i]);

  Config config;
  config.optimize = o.optimize;
  config.inline_functions = o.inline_functions;
  config.consume_fuel = o.fuel.has_value();
  config.epoch_interruption = o.timeout.has_value();
  config.relaxed_simd_deterministic = o.relaxed_simd_deterministic;
  Engine engine(config);
  if (!engine.init_status().ok()) {
    return Fail(std::string(engine.init_status().message()));
  }
  // .cwasm (precompiled, by its magic): mapped without compiling; else
  // .wasm / .wat compiled now.
  absl::StatusOr<Module> module = LoadModule(engine, o.file);
  if (!module.ok()) {
    return Fail(absl::StrCat(o.file, ": ", module.status().message()));
  }

  wasi::WasiCtx ctx;
  ctx.InheritStdio();
  std::vector<std::string> argv = {o.file};
  if (!o.invoke.has_value()) {
    argv.insert(argv.end(), o.args.begin(), o.args.end());
  }
  ctx.set_args(std::move(argv));
  ctx.set_env(o.env);
  for (const auto& [host, guest] : o.dirs) {
    absl::Status s = ctx.PreopenDir(host, guest);
    if (!s.ok()) return Fail(absl::StrCat("--dir: ", s.message()));
  }

  Linker<> linker(engine);
  // A memory64 module gets the wasm64 signatures (i64 pointers).
  absl::Status defined =
      wasi::AddToLinker(linker, &ctx, wasi::WasiAbi(module->info()));
  if (!defined.ok()) return Fail(std::string(defined.message()));
  // Fuel and the --timeout deadline (the next epoch), for the main store
  // and each wasi-threads thread's.
  auto configure_store = [&o](Store<>& s) -> absl::Status {
    if (o.fuel.has_value()) {
      if (absl::Status st = s.SetFuel(*o.fuel); !st.ok()) return st;
    }
    if (o.timeout.has_value()) s.SetEpochDeadline(1);
    return absl::OkStatus();
  };
  Store<> store(engine);
  if (absl::Status s = configure_store(store); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  std::shared_ptr<wasi::WasiThreads> threads;
  if (wasi::WasiThreads::Wanted(*module)) {
    absl::StatusOr<std::shared_ptr<wasi::WasiThreads>> t =
        wasi::WasiThreads::Create(engine, *module, &ctx, configure_store,
                                  [](int code) {
                                    std::fflush(stdout);
                                    std::fflush(stderr);
                                    std::_Exit(code);
                                  });
    if (!t.ok()) return Fail(absl::StrCat(o.file, ": ", t.status().message()));
    threads = *std::move(t);
    if (absl::Status s = threads->AddToLinker(linker, store); !s.ok()) {
      return Fail(std::string(s.message()));
    }
  }
  // Threads still running when the main thread is done: end the process
  // here (they use this function's WasiCtx).
  auto finish = [&threads](int code) {
    if (threads != nullptr && threads->Running() > 0) {
      std::fflush(stdout);
      std::fflush(stderr);
      std::_Exit(code);
    }
    return code;
  };
  // --timeout: a timer thread ends the epoch when the time is up (unless
  // the run finished first). Covers the start function too.
  std::optional<Timeout> timer;
  if (o.timeout.has_value()) timer.emplace(engine, *o.timeout);
  Result<Instance> instance = linker.Instantiate(store, *module);
  if (instance.is_trap()) return finish(TrapExit(instance.trap(), ctx, o.file));
  if (!instance.ok()) {
    return Fail(absl::StrCat(o.file, ": ", instance.status().message()));
  }

  if (o.invoke.has_value()) {
    if (absl::StatusOr<Func> init = instance->GetFunc(store, "_initialize");
        init.ok()) {
      Result<std::vector<Val>> r = init->Call(store, {});
      if (r.is_trap()) return finish(TrapExit(r.trap(), ctx, o.file));
      if (!r.ok()) return Fail(std::string(r.status().message()));
    }
    absl::StatusOr<Func> f = instance->GetFunc(store, *o.invoke);
    if (!f.ok()) {
      return Fail(absl::StrCat(o.file, ": no exported function \"", *o.invoke,
                               "\""));
    }
    absl::StatusOr<FuncType> func_type = f->type(store);
    if (!func_type.ok()) return Fail(std::string(func_type.status().message()));
    const FuncType& type = *func_type;
    if (o.args.size() != type.params.size()) {
      return Fail(absl::StrCat(*o.invoke, " takes ", type.params.size(),
                               " arguments ", type.ToString(), ", got ",
                               o.args.size()));
    }
    std::vector<Val> params;
    for (size_t k = 0; k < o.args.size(); ++k) {
      Val v;
      if (!ParseVal(type.params[k], o.args[k], &v)) {
        return Fail(absl::StrCat("argument ", k + 1, " '", o.args[k],
                                 "' is not a valid ",
                                 wasm::ValTypeName(type.params[k])));
      }
      params.push_back(v);
    }
    Result<std::vector<Val>> r = f->Call(store, params);
    if (r.is_trap()) return finish(TrapExit(r.trap(), ctx, o.file));
    if (!r.ok()) return Fail(std::string(r.status().message()));
    for (const Val& v : *r) std::printf("%s\n", FormatVal(v).c_str());
    std::fflush(stdout);
    return finish(0);
  }

  absl::StatusOr<Func> start = instance->GetFunc(store, "_start");
  if (!start.ok()) start = instance->GetFunc(store, "");
  if (!start.ok()) {
    return Fail(absl::StrCat(
        o.file, ": no \"_start\" export (a WASI command); use --invoke NAME"));
  }
  Result<std::vector<Val>> r = start->Call(store, {});
  std::fflush(stdout);
  if (r.is_trap()) return finish(TrapExit(r.trap(), ctx, o.file));
  if (!r.ok()) return finish(Fail(std::string(r.status().message())));
  return finish(0);
}

}  // namespace

const Subcommand& RunSubcommand() {
  static const Subcommand kSub = {
      "run", "run a WASI program or call an export", kHelp, &Run,
      /*handles_help=*/true};
  return kSub;
}

}  // namespace kiln::cli
