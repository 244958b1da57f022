#include "fuzz/diff/kiln_runner.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "engine/kiln.h"

namespace kiln::fuzz_diff {
namespace {

constexpr char kLogModule[] = "fuzzing-support";
constexpr char kHangLimitInitializer[] = "hangLimitInitializer";

// One value as a trace token: the type and the exact bits (the comparer,
// not this file, decides which bits may differ, e.g. NaN payloads).
std::string Token(const Val& v) {
  switch (v.type()) {
    case ValType::kI32:
      return absl::StrFormat("i32:%08x", static_cast<uint32_t>(v.i32()));
    case ValType::kI64:
      return absl::StrFormat("i64:%016x", static_cast<uint64_t>(v.i64()));
    case ValType::kF32:
      return absl::StrFormat("f32:%08x", v.f32_bits());
    case ValType::kF64:
      return absl::StrFormat("f64:%016x", v.f64_bits());
    case ValType::kV128: {
      // Lane 0 first, as binaryen prints i32x4.
      const uint64_t lo = v.v128_lo(), hi = v.v128_hi();
      return absl::StrFormat("v128:%08x_%08x_%08x_%08x",
                             static_cast<uint32_t>(lo),
                             static_cast<uint32_t>(lo >> 32),
                             static_cast<uint32_t>(hi),
                             static_cast<uint32_t>(hi >> 32));
    }
    case ValType::kFuncRef:
      return v.funcref().has_value() ? "funcref:func" : "funcref:null";
    case ValType::kExternRef:
      return v.is_null_ref() ? "externref:null" : "externref:obj";
  }
  return "unknown:?";
}

// Short, oracle-independent trap names; fuzz/diff/compare.py maps every
// oracle's messages onto them.
const char* TrapKind(TrapCode code) {
  switch (code) {
    case TrapCode::kStackOverflow: return "stack";
    case TrapCode::kMemoryOutOfBounds: return "mem";
    case TrapCode::kHeapMisaligned: return "misaligned";
    case TrapCode::kTableOutOfBounds: return "table";
    case TrapCode::kIndirectCallOutOfBounds: return "call_oob";
    case TrapCode::kIndirectCallToNull: return "call_null";
    case TrapCode::kBadSignature: return "call_sig";
    case TrapCode::kIntegerOverflow: return "int_overflow";
    case TrapCode::kIntegerDivisionByZero: return "div_zero";
    case TrapCode::kBadConversionToInteger: return "bad_conv";
    case TrapCode::kUnreachableCodeReached: return "unreachable";
    case TrapCode::kNullReference: return "null_ref";
    case TrapCode::kInterrupt: return "interrupt";
    case TrapCode::kHostError: return "host";
    case TrapCode::kOutOfFuel: return "fuel";
    case TrapCode::kAtomicWaitNonSharedMemory: return "wait_unshared";
  }
  return "unknown";
}

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

// Kiln's host functions cannot take v128 (Func::New refuses it), so a
// log import with a v128 parameter is a small wasm function that splits
// each v128 into its four i32 lanes and calls the host with those.
std::string SplitterWat(const FuncType& type) {
  std::string host_params, params, args;
  for (size_t i = 0; i < type.params.size(); ++i) {
    const ValType t = type.params[i];
    absl::StrAppend(&params, " ", wasm::ValTypeName(t));
    if (t == ValType::kV128) {
      for (int lane = 0; lane < 4; ++lane) {
        absl::StrAppend(&host_params, " i32");
        absl::StrAppend(&args, " (i32x4.extract_lane ", lane,
                        " (local.get ", i, "))");
      }
    } else {
      absl::StrAppend(&host_params, " ", wasm::ValTypeName(t));
      absl::StrAppend(&args, " (local.get ", i, ")");
    }
  }
  return absl::StrCat("(module (import \"host\" \"log\" (func $log (param",
                      host_params, ")))\n (func (export \"log\") (param",
                      params, ") (call $log", args, ")))");
}

FuncType Expanded(const FuncType& type) {
  FuncType out;
  for (ValType t : type.params) {
    if (t == ValType::kV128) {
      out.params.insert(out.params.end(), 4, ValType::kI32);
    } else {
      out.params.push_back(t);
    }
  }
  return out;
}

// The host side of a log import of `type`: appends "log TOKEN..." with the
// original types (v128 lanes reassembled).
HostCallback LogCallback(const FuncType& type, std::string* trace) {
  return [type, trace](Caller<>&, absl::Span<const Val> params,
                       absl::Span<Val>) -> std::optional<Trap> {
    std::vector<std::string> tokens;
    size_t k = 0;
    for (ValType t : type.params) {
      if (t == ValType::kV128) {
        auto lane = [&](int i) {
          return static_cast<uint64_t>(static_cast<uint32_t>(params[k + i].i32()));
        };
        tokens.push_back(Token(Val::V128(lane(0) | lane(1) << 32,
                                         lane(2) | lane(3) << 32)));
        k += 4;
      } else {
        tokens.push_back(Token(params[k++]));
      }
    }
    absl::StrAppend(trace, "log ", absl::StrJoin(tokens, " "), "\n");
    return std::nullopt;
  };
}

Config EngineConfig(const RunConfig& rc) {
  Config c;
  c.optimize = rc.optimize;
  c.verify = rc.verify;
  c.consume_fuel = rc.consume_fuel;
  c.epoch_interruption = rc.epoch_interruption;
  c.memory_init_cow = !rc.no_cow;
  if (rc.pooling) {
    c.allocation_strategy = InstanceAllocationStrategy::kPooling;
    // The module and the v128 log splitters: a few slots are plenty, and a
    // small pool keeps engine creation (once per case) cheap.
    c.pooling.total_instances = 8;
    c.pooling.max_memory_size = uint64_t{64} << 20;
  }
  return c;
}

// Compiles `wasm`, or round-trips it through a .cwasm file when asked.
absl::StatusOr<Module> Load(const Engine& engine, absl::Span<const uint8_t> wasm,
                            const RunConfig& rc, const std::string& tmp_dir) {
  absl::StatusOr<Module> module = Module::FromBinary(engine, wasm);
  if (!module.ok() || !rc.cwasm_round_trip) return module;
  absl::StatusOr<std::vector<uint8_t>> bytes = module->Serialize();
  if (!bytes.ok()) return bytes.status();
  const std::string path =
      absl::StrCat(tmp_dir, "/kiln_diff_", getpid(), ".cwasm");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes->data()),
              static_cast<std::streamsize>(bytes->size()));
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  absl::StatusOr<Module> loaded = Module::DeserializeFile(engine, path);
  // The code stays mapped from the file; unlinking keeps the mapping valid
  // and leaves nothing behind.
  std::remove(path.c_str());
  return loaded;
}

// Advances `engine`'s epoch every few microseconds while it lives.
class EpochTicker {
 public:
  explicit EpochTicker(const Engine& engine)
      : thread_([this, engine] {
          while (!stop_.load(std::memory_order_relaxed)) {
            engine.IncrementEpoch();
            std::this_thread::sleep_for(std::chrono::microseconds(20));
          }
        }) {}
  ~EpochTicker() {
    stop_.store(true, std::memory_order_relaxed);
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string ResultLine(absl::Span<const Val> results) {
  std::vector<std::string> tokens;
  for (const Val& v : results) tokens.push_back(Token(v));
  return absl::StrCat("result ", absl::StrJoin(tokens, " "), "\n");
}

// Calls `func` with zero arguments; appends its result or trap line. Returns
// false when it trapped.
bool CallWithZeros(StoreOpaque& store, const Func& func, std::string* trace) {
  absl::StatusOr<FuncType> func_type = func.type(store);
  if (!func_type.ok()) {
    absl::StrAppend(trace, "error ", OneLine(func_type.status().ToString()),
                    "\n");
    return false;
  }
  const FuncType& type = *func_type;
  std::vector<Val> args;
  for (ValType t : type.params) args.push_back(Val::Default(t));
  std::vector<Val> results;
  for (ValType t : type.results) results.push_back(Val::Default(t));
  Result<void> r = func.Call(store, args, absl::MakeSpan(results));
  if (r.is_trap()) {
    absl::StrAppend(trace, "trap ", TrapKind(r.trap().code()), "\n");
    return false;
  }
  if (r.is_error()) {
    absl::StrAppend(trace, "error ", OneLine(r.status().ToString()), "\n");
    return false;
  }
  if (!type.results.empty()) absl::StrAppend(trace, ResultLine(results));
  return true;
}

}  // namespace

std::vector<RunConfig> AllConfigs() {
  std::vector<RunConfig> configs;
  configs.push_back({.name = "default"});
  configs.push_back({.name = "noopt", .optimize = false});
  configs.push_back({.name = "verify", .verify = true});
  configs.push_back({.name = "fuel", .consume_fuel = true});
  configs.push_back(
      {.name = "fuel-limited", .consume_fuel = true, .fuel_per_call = 1000});
  configs.push_back({.name = "epoch", .epoch_interruption = true});
  configs.push_back({.name = "epoch-callback",
                     .epoch_interruption = true,
                     .epoch_callback = true});
  configs.push_back({.name = "pooling", .pooling = true});
  configs.push_back({.name = "nocow", .no_cow = true});
  configs.push_back({.name = "cwasm", .cwasm_round_trip = true});
  return configs;
}

absl::StatusOr<std::string> RunModule(absl::Span<const uint8_t> wasm,
                                      const RunConfig& config,
                                      Protocol protocol,
                                      const std::string& tmp_dir) {
  std::string trace;
  Engine engine(EngineConfig(config));
  if (absl::Status s = engine.init_status(); !s.ok()) return s;
  absl::StatusOr<Module> module = Load(engine, wasm, config, tmp_dir);
  if (!module.ok()) {
    return absl::StrCat("error ", OneLine(module.status().ToString()), "\n");
  }
  Store<> store(engine);
  if (config.consume_fuel) {
    // Effectively unlimited: the module's own hang limit ends every loop;
    // this configuration checks that fuel accounting changes nothing else.
    if (absl::Status s = store.SetFuel(uint64_t{1} << 62); !s.ok()) return s;
  }
  std::optional<EpochTicker> ticker;
  if (config.epoch_callback) {
    // Every deadline continues, one tick later.
    store.EpochDeadlineCallback(
        [](StoreOpaque&) -> absl::StatusOr<uint64_t> { return 1; });
    store.SetEpochDeadline(1);
    ticker.emplace(engine);
  } else if (config.epoch_interruption) {
    // Nobody increments the epoch: the checks run and never fire.
    store.SetEpochDeadline(uint64_t{1} << 62);
  }

  const wasm::ModuleInfo& info = module->info();
  std::vector<Extern> imports;
  for (const wasm::Import& import : info.imports) {
    if (import.module != kLogModule ||
        import.kind != wasm::ExternKind::kFunction) {
      return absl::UnimplementedError(absl::StrCat(
          "kiln_runner: import \"", import.module, "\" \"", import.name,
          "\" is not a fuzzing-support function"));
    }
    const FuncType& type = info.types[import.func_type_index];
    const FuncType host_type = Expanded(type);
    absl::StatusOr<Func> host =
        Func::New(store, host_type, LogCallback(type, &trace));
    if (!host.ok()) return host.status();
    if (host_type == type) {
      imports.push_back(*host);
      continue;
    }
    absl::StatusOr<Module> splitter =
        Module::FromWat(engine, SplitterWat(type));
    if (!splitter.ok()) return splitter.status();
    const Extern host_extern = *host;
    Result<Instance> split =
        Instance::Create(store, *splitter, absl::MakeConstSpan(&host_extern, 1));
    if (!split.ok()) return split.status();
    absl::StatusOr<Func> log = split->GetFunc(store, "log");
    if (!log.ok()) return absl::InternalError("splitter has no log");
    imports.push_back(*log);
  }

  Result<Instance> instance = Instance::Create(store, *module, imports);
  if (instance.is_trap()) {
    absl::StrAppend(&trace, "instantiate-trap ",
                    TrapKind(instance.trap().code()), "\n");
    return trace;
  }
  if (instance.is_error()) {
    absl::StrAppend(&trace, "error ", OneLine(instance.status().ToString()),
                    "\n");
    return trace;
  }
  // Between 50 and 50 + fuel_per_call, chosen by the module's size so a
  // case replays the same: calls run out at varying depths.
  const uint64_t fuel_per_call =
      config.fuel_per_call == 0
          ? 0
          : 50 + (wasm.size() * uint64_t{2654435761}) % config.fuel_per_call;
  std::optional<Func> hang_init;
  if (protocol == Protocol::kBinaryen) {
    absl::StatusOr<Func> f = instance->GetFunc(store, kHangLimitInitializer);
    if (f.ok()) hang_init = *f;
  }
  absl::StatusOr<std::vector<std::pair<std::string, Extern>>> exports =
      instance->Exports(store);
  if (!exports.ok()) return exports.status();
  for (const auto& [name, ext] : *exports) {
    const Func* func = ext.func();
    if (func == nullptr) continue;
    absl::StrAppend(&trace, "call ", name, "\n");
    if (config.fuel_per_call != 0) {
      if (absl::Status s = store.SetFuel(fuel_per_call); !s.ok()) return s;
    }
    if (hang_init.has_value() && !CallWithZeros(store, *hang_init, &trace)) {
      continue;
    }
    CallWithZeros(store, *func, &trace);
  }
  return trace;
}

}  // namespace kiln::fuzz_diff
