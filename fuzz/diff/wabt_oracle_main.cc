// wabt_oracle: the differential fuzzer's third oracle, wabt's interpreter
// (libwabt's wabt::interp, which shares no code with Kiln's compiler or
// runtime). Runs a module the way binaryen's fuzz-exec does (before every
// exported function the export "hangLimitInitializer", then the function
// with zero arguments) and prints the canonical trace of
// fuzz/README.md; traps are printed with wabt's own message, which
// difftool.py maps to trap kinds.
//
//   wabt_oracle FILE.wasm...
//
// With several files each trace follows a line "== file PATH" (one process
// for a whole batch of cases: process start-up was most of a case's time).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "wabt/binary-reader.h"
#include "wabt/error.h"
#include "wabt/feature.h"
#include "wabt/interp/binary-reader-interp.h"
#include "wabt/interp/interp.h"

namespace {

namespace interp = wabt::interp;
using wabt::Type;

// This file is C++17 without abseil (see BUILD.bazel), hence these.
std::string Format(const char* fmt, uint64_t a, uint64_t b = 0,
                   uint64_t c = 0, uint64_t d = 0) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, a, b, c, d);
  return buf;
}

template <typename... Parts>
void Append(std::string* out, const Parts&... parts) {
  (out->append(parts), ...);
}

template <typename To, typename From>
To Bits(From v) {
  static_assert(sizeof(To) == sizeof(From));
  To out;
  std::memcpy(&out, &v, sizeof(To));
  return out;
}

std::string Token(Type type, const interp::Value& v) {
  switch (type) {
    case Type::I32:
      return Format("i32:%08lx", v.Get<uint32_t>());
    case Type::I64:
      return Format("i64:%016lx", v.Get<uint64_t>());
    case Type::F32:
      return Format("f32:%08lx", Bits<uint32_t>(v.Get<float>()));
    case Type::F64:
      return Format("f64:%016lx", Bits<uint64_t>(v.Get<double>()));
    case Type::V128: {
      const ::v128 x = v.Get<::v128>();
      return Format("v128:%08lx_%08lx_%08lx_%08lx", x.u32(0), x.u32(1),
                    x.u32(2), x.u32(3));
    }
    case Type::FuncRef:
      return v.Get<interp::Ref>() == interp::Ref::Null ? "funcref:null"
                                                       : "funcref:func";
    case Type::ExternRef:
      return v.Get<interp::Ref>() == interp::Ref::Null ? "externref:null"
                                                       : "externref:obj";
    default:
      return "unknown:?";
  }
}

std::string Tokens(const interp::ValueTypes& types,
                   const interp::Values& values) {
  std::string out;
  for (size_t i = 0; i < types.size() && i < values.size(); ++i) {
    if (i > 0) out += ' ';
    out += Token(types[i], values[i]);
  }
  return out;
}

interp::Value Zero(Type type) {
  switch (type) {
    case Type::FuncRef:
    case Type::ExternRef:
      return interp::Value::Make(interp::Ref::Null);
    default:
      return interp::Value();  // all zero bits
  }
}

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

// Runs one module and prints its trace; false when it cannot be read.
bool RunFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> data((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    std::fprintf(stderr, "wabt_oracle: cannot read %s\n", path);
    return false;
  }
  // Exactly the features Kiln implements (the generator asks for no more).
  wabt::Features features;
  features.enable_sign_extension();
  features.enable_sat_float_to_int();
  features.enable_mutable_globals();
  features.enable_bulk_memory();
  features.enable_multi_value();
  features.enable_simd();
  features.enable_reference_types();

  interp::Store store(features);
  wabt::Errors errors;
  interp::ModuleDesc desc;
  const wabt::ReadBinaryOptions options(features, nullptr,
                                        /*read_debug_names=*/false,
                                        /*stop_on_first_error=*/true,
                                        /*fail_on_custom_section_error=*/false);
  if (wabt::Failed(interp::ReadBinaryInterp(path, data.data(), data.size(),
                                            options, &errors, &desc))) {
    std::string msg;
    for (const wabt::Error& e : errors) Append(&msg, e.message, "; ");
    std::printf("harness-error wabt rejected the module: %s\n",
                OneLine(msg).c_str());
    return true;
  }
  interp::Module::Ptr module = interp::Module::New(store, desc);

  std::string trace;
  interp::RefVec imports;
  for (const interp::ImportDesc& import : module->desc().imports) {
    const auto* func_type =
        wabt::dyn_cast<interp::FuncType>(import.type.type.get());
    if (import.type.module != "fuzzing-support" || func_type == nullptr) {
      std::printf("harness-error import %s.%s is not a fuzzing-support "
                  "function\n",
                  import.type.module.c_str(), import.type.name.c_str());
      return true;
    }
    const interp::ValueTypes params = func_type->params;
    interp::HostFunc::Ptr host = interp::HostFunc::New(
        store, *func_type,
        [params, &trace](interp::Thread&, const interp::Values& args,
                         interp::Values&, interp::Trap::Ptr*) {
          Append(&trace, "log ", Tokens(params, args), "\n");
          return wabt::Result::Ok;
        });
    imports.push_back(host.ref());
  }

  interp::Trap::Ptr trap;
  interp::Instance::Ptr instance =
      interp::Instance::Instantiate(store, module.ref(), imports, &trap);
  if (!instance) {
    Append(&trace, "instantiate-trap ",
                    trap ? OneLine(trap->message()) : "?", "\n");
    std::fputs(trace.c_str(), stdout);
    return true;
  }

  interp::Func::Ptr hang_init;
  const auto& exports = module->desc().exports;
  for (size_t i = 0; i < exports.size(); ++i) {
    if (exports[i].type.name == "hangLimitInitializer" &&
        exports[i].type.type->kind == interp::ExternKind::Func) {
      hang_init = store.UnsafeGet<interp::Func>(instance->exports()[i]);
    }
  }
  for (size_t i = 0; i < exports.size(); ++i) {
    if (exports[i].type.type->kind != interp::ExternKind::Func) continue;
    interp::Func::Ptr func =
        store.UnsafeGet<interp::Func>(instance->exports()[i]);
    Append(&trace, "call ", exports[i].type.name, "\n");
    if (hang_init) {
      interp::Values no_values;
      interp::Values results;
      trap.reset();
      if (wabt::Failed(hang_init->Call(store, no_values, results, &trap))) {
        Append(&trace, "trap ", trap ? OneLine(trap->message()) : "?",
                        "\n");
        continue;
      }
    }
    const interp::FuncType& type = func->type();
    interp::Values args;
    for (Type t : type.params) args.push_back(Zero(t));
    interp::Values results;
    trap.reset();
    if (wabt::Failed(func->Call(store, args, results, &trap))) {
      Append(&trace, "trap ", trap ? OneLine(trap->message()) : "?",
                      "\n");
      continue;
    }
    if (!type.results.empty()) {
      Append(&trace, "result ", Tokens(type.results, results), "\n");
    }
  }
  std::fputs(trace.c_str(), stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: wabt_oracle FILE.wasm...\n");
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    if (argc > 2) std::printf("== file %s\n", argv[i]);
    // Flushed so that a crash still shows which module caused it.
    std::fflush(stdout);
    if (!RunFile(argv[i])) return 2;
  }
  std::fflush(stdout);
  return 0;
}
