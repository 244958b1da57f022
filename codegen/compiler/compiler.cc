#include "codegen/compiler/compiler.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "codegen/compiler/inline_plan.h"
#include "codegen/ir/function.h"
#include "codegen/ir/verifier.h"
#include "codegen/isa/host_backend.h"
#include "codegen/opt/inline.h"
#include "codegen/opt/pass.h"
#include "runtime/abi/vm_context_counts.h"

namespace kiln::compiler {
namespace {

// Names a function in errors: "function 7 ($main)".
std::string Describe(const wasm::ModuleInfo& m, uint32_t func_index) {
  const std::string* name = m.FunctionName(func_index);
  return name ? absl::StrCat("function ", func_index, " ($", *name, ")")
              : absl::StrCat("function ", func_index);
}

absl::Status Annotate(const wasm::ModuleInfo& m, uint32_t func_index,
                      const absl::Status& s) {
  absl::string_view msg = s.message();
  // The translator already prefixes "function N"; name it once.
  std::string prefix = absl::StrCat("function ", func_index);
  if (msg.substr(0, prefix.size()) == prefix) msg.remove_prefix(prefix.size());
  while (!msg.empty() && (msg[0] == ':' || msg[0] == ' ')) msg.remove_prefix(1);
  return absl::Status(s.code(),
                      absl::StrCat(Describe(m, func_index), ": ", msg));
}

// Per-thread compilation state, reused across functions.
// The translation options with the relaxed SIMD forms the target CPU has.
translate::TranslateOptions TranslateOptionsFor(const CompileOptions& o) {
  translate::TranslateOptions t = o.translate;
#if defined(__x86_64__)
  // The x86_blendv and fused fma rows exist for x86-64 targets only (a
  // cross-compile to AArch64 from here keeps the portable forms).
  if (o.backend == nullptr || o.backend->name() == "x64") {
    t.relaxed_simd.fused_madd = o.features.fma;
    t.relaxed_simd.blendv = o.features.avx;
  }
#endif
  return t;
}

struct Worker {
  Worker(const wasm::ModuleInfo& m, const CompileOptions& o)
      : translator(m, TranslateOptionsFor(o)), passes(o.verify) {
    if (o.optimize) opt::AddDefaultPipeline(passes);
  }
  translate::FunctionTranslator translator;
  opt::PassManager passes;
  // Reused for every function (Translate resets it, keeping capacity).
  ir::Function func;
};

// Translates function `func_index` into `f` (verified when o.verify).
absl::Status TranslateOne(const wasm::ModuleInfo& m,
                          absl::Span<const uint8_t> module_bytes,
                          uint32_t func_index, Worker& w,
                          const CompileOptions& o, ir::Function& f) {
  absl::Status s;
  if (m.bytes.empty()) {
    const wasm::Function& fn = m.functions[func_index];
    if (uint64_t{fn.body_offset} + fn.body_size > module_bytes.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          Describe(m, func_index), ": body outside the module bytes"));
    }
    s = w.translator.Translate(
        func_index, module_bytes.subspan(fn.body_offset, fn.body_size),
        fn.body_offset, &f);
  } else {
    s = w.translator.Translate(func_index, &f);
  }
  if (!s.ok()) return Annotate(m, func_index, s);
  if (o.verify) {
    s = ir::VerifyFunction(f);
    if (!s.ok()) {
      return absl::InternalError(absl::StrCat(
          Describe(m, func_index), ": translated IR does not verify: ",
          s.message()));
    }
  }
  return absl::OkStatus();
}

// The optimized IR of the inlining candidates (codegen/compiler/
// inline_plan.h), made once before the per-function compile and read by
// every thread. A candidate's own compile starts from its entry too.
struct InlineCache {
  uint32_t first = 0;
  std::vector<std::unique_ptr<opt::InlineBody>> bodies;  // By index - first.
  opt::InlineBudget budget;

  const opt::InlineBody* Get(uint32_t func_index) const {
    if (func_index < first || func_index - first >= bodies.size()) {
      return nullptr;
    }
    return bodies[func_index - first].get();
  }
};

absl::StatusOr<isa::CompiledFunction> CompileOne(
    const wasm::ModuleInfo& m, absl::Span<const uint8_t> module_bytes,
    uint32_t func_index, Worker& w, const isa::Backend* backend,
    const isa::CompileContext& ctx, const CompileOptions& o,
    const InlineCache* inline_cache) {
  ir::Function& f = w.func;
  absl::Status s;
  const opt::InlineBody* own =
      inline_cache ? inline_cache->Get(func_index) : nullptr;
  bool optimized = false;
  // An `always` body is absorbed by its only caller and nothing else
  // reaches the function (InlinePlan::unreferenced): its own code is never
  // called, so it is just a trap.
  const bool absorbed = own != nullptr && own->always;
  if (absorbed) {
    f.Reset(own->func.name(), own->func.signature());
    const ir::Block entry = f.CreateBlock();
    for (ir::Type t : f.signature().params) f.AppendBlockParam(entry, t);
    f.AppendBlock(entry);
    const ir::Inst trap =
        f.CreateInst(ir::Opcode::kTrap, ir::Type::kInvalid, {});
    f.mutable_inst(trap).code =
        static_cast<uint8_t>(ir::TrapCode::kUnreachableCodeReached);
    f.AppendInst(entry, trap);
    optimized = true;
  } else if (own != nullptr) {
    f = own->func;  // Already translated and optimized.
    optimized = true;
  } else {
    s = TranslateOne(m, module_bytes, func_index, w, o, f);
    if (!s.ok()) return s;
  }
  if (inline_cache != nullptr && !absorbed) {
    const int inlined = opt::InlineCalls(
        f, func_index,
        [inline_cache](uint32_t callee) { return inline_cache->Get(callee); },
        inline_cache->budget);
    if (inlined > 0) {
      optimized = false;
      if (o.verify) {
        s = ir::VerifyFunction(f);
        if (!s.ok()) {
          return absl::InternalError(
              absl::StrCat(Describe(m, func_index),
                           ": IR does not verify after inlining: ",
                           s.message()));
        }
      }
    }
  }
  if (!optimized) {
    s = w.passes.Run(f);
    if (!s.ok()) {
      return absl::InternalError(
          absl::StrCat(Describe(m, func_index), ": ", s.message()));
    }
  }
  if (o.on_ir) o.on_ir(func_index, f);
  if (o.skip_codegen) return isa::CompiledFunction();
  absl::StatusOr<isa::CompiledFunction> c = backend->Compile(f, ctx);
  if (!c.ok()) return Annotate(m, func_index, c.status());
  return c;
}

// Runs work(i, worker) for every i in [0, count) on `threads` threads (one
// Worker each). On failure returns the lowest-numbered failure
// (deterministic for one bad function).
template <typename Work>
absl::Status ForEachFunction(uint32_t count, int threads,
                             const wasm::ModuleInfo& m, const CompileOptions& o,
                             const Work& work) {
  if (threads <= 1) {
    Worker w(m, o);
    for (uint32_t i = 0; i < count; ++i) {
      absl::Status s = work(i, w);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  // Work stealing over function indexes, largest-first would be better
  // for balance; functions in order keep it simple and deterministic.
  std::atomic<uint32_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<absl::Status> status(count);
  auto run = [&] {
    Worker w(m, o);
    while (!failed.load(std::memory_order_relaxed)) {
      uint32_t i = next.fetch_add(1);
      if (i >= count) break;
      absl::Status s = work(i, w);
      if (!s.ok()) {
        status[i] = std::move(s);
        failed.store(true);
        break;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(run);
  run();
  for (std::thread& t : pool) t.join();
  for (const absl::Status& s : status) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Translates and optimizes every inlining candidate of the plan.
std::unique_ptr<InlineCache> PrepareInlining(
    const wasm::ModuleInfo& m, absl::Span<const uint8_t> module_bytes,
    int threads, const CompileOptions& o) {
  const InlineLimits limits;
  const InlinePlan plan = PlanInlining(m, module_bytes, limits);
  auto cache = std::make_unique<InlineCache>();
  cache->first = m.num_imported_functions;
  cache->budget = limits.budget;
  cache->bodies.resize(m.functions.size() - cache->first);
  std::vector<uint32_t> candidates;
  for (uint32_t f = cache->first; f < plan.max_size.size(); ++f) {
    if (plan.max_size[f] != 0) candidates.push_back(f);
  }
  if (candidates.empty()) return cache;
  threads = static_cast<int>(
      std::min<size_t>(std::max(threads, 1), candidates.size()));
  // Failures are not reported here: the function's own compile translates
  // it again and reports the error in order.
  (void)ForEachFunction(
      static_cast<uint32_t>(candidates.size()), threads, m, o,
      [&](uint32_t k, Worker& w) {
        const uint32_t func_index = candidates[k];
        if (!TranslateOne(m, module_bytes, func_index, w, o, w.func).ok() ||
            !w.passes.Run(w.func).ok()) {
          return absl::OkStatus();
        }
        auto body = std::make_unique<opt::InlineBody>(
            opt::PrepareInlineBody(std::move(w.func)));
        w.func = ir::Function();
        if (body->size > plan.max_size[func_index]) body->inlinable = false;
        cache->bodies[func_index - cache->first] = std::move(body);
        return absl::OkStatus();
      });
  // Unreferenced single-site callees up to single_site_total per caller
  // (in function order: deterministic) are inlined whatever the caller's
  // budget, and their own code is only a trap (absorbed).
  std::vector<uint32_t> used(m.functions.size(), 0);
  for (uint32_t f : candidates) {
    opt::InlineBody* body = cache->bodies[f - cache->first].get();
    if (!plan.unreferenced[f] || body == nullptr || !body->inlinable) continue;
    uint32_t& u = used[plan.caller[f]];
    if (u + body->size > limits.single_site_total) {
      // Compiled as usual; inlined if small and the budget allows.
      if (body->size > limits.small_size) body->inlinable = false;
      continue;
    }
    u += body->size;
    body->always = true;
  }
  return cache;
}

}  // namespace

abi::VMOffsetsCounts VMContextCountsFor(const wasm::ModuleInfo& module) {
  return abi::VMContextCountsFor(module);
}

absl::StatusOr<CompiledModule> CompileModule(
    const wasm::ModuleInfo& module, absl::Span<const uint8_t> module_bytes,
    const CompileOptions& options) {
  std::unique_ptr<isa::Backend> owned_backend;
  const isa::Backend* backend = options.backend;
  if (!backend && !options.skip_codegen) {
    owned_backend = isa::CreateHostBackend();
    backend = owned_backend.get();
  }
  isa::CompileContext ctx;
  // The stack limit lives in VMRuntimeLimits (through the header pointer);
  // the backend's prologue reads it (codegen/isa/x64/emit.h).
  ctx.stack_limit_offset = abi::VMOffsets::kRuntimeLimits;
  ctx.stack_check = options.stack_check;
  ctx.features = options.features;
  ctx.check_regalloc = options.check_regalloc;

  const uint32_t first = module.num_imported_functions;
  const uint32_t count = static_cast<uint32_t>(module.functions.size()) - first;
  std::vector<isa::CompiledFunction> compiled(count);
  std::vector<absl::Status> errors;

  int threads = options.num_threads;
  if (threads <= 0) {
    threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  threads = static_cast<int>(std::min<uint32_t>(threads, std::max(count, 1u)));

  std::unique_ptr<InlineCache> inline_cache;
  if (options.optimize && options.inline_functions) {
    inline_cache = PrepareInlining(module, module_bytes, threads, options);
  }
  absl::Status status = ForEachFunction(
      count, threads, module, options, [&](uint32_t i, Worker& w) {
        absl::StatusOr<isa::CompiledFunction> c =
            CompileOne(module, module_bytes, first + i, w, backend, ctx,
                       options, inline_cache.get());
        if (!c.ok()) return c.status();
        compiled[i] = *std::move(c);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  inline_cache.reset();

  // Link: concatenate (16-byte aligned), rebase traps and source maps,
  // resolve direct calls between defined functions.
  CompiledModule out;
  out.num_imported_functions = first;
  out.vmctx_counts = VMContextCountsFor(module);
  if (options.skip_codegen) return out;
  size_t total = 0, ntraps = 0, nlocs = 0;
  for (const isa::CompiledFunction& c : compiled) {
    total = (total + kFunctionAlignment - 1) & ~size_t{kFunctionAlignment - 1};
    total += c.code.size();
    ntraps += c.traps.size();
    nlocs += c.source_map.size();
  }
  if (total > UINT32_MAX) {
    return absl::ResourceExhaustedError(
        absl::StrCat("compiled code is too large (", total, " bytes)"));
  }
  const uint8_t padding = backend->padding_byte();
  out.code.reserve(total);
  out.traps.reserve(ntraps);
  out.source_map.reserve(nlocs);
  out.functions.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    const isa::CompiledFunction& c = compiled[i];
    size_t aligned = (out.code.size() + kFunctionAlignment - 1) &
                     ~size_t{kFunctionAlignment - 1};
    out.code.resize(aligned, padding);
    const uint32_t base = static_cast<uint32_t>(aligned);
    CompiledFunctionInfo& info = out.functions[i];
    info.func_index = first + i;
    info.code_offset = base;
    info.code_size = static_cast<uint32_t>(c.code.size());
    info.frame_size = c.frame_size;
    out.code.insert(out.code.end(), c.code.begin(), c.code.end());
    info.traps_begin = static_cast<uint32_t>(out.traps.size());
    for (const isa::TrapSite& t : c.traps) {
      out.traps.push_back({base + t.code_offset, t.code});
    }
    info.traps_end = static_cast<uint32_t>(out.traps.size());
    info.source_map_begin = static_cast<uint32_t>(out.source_map.size());
    for (const isa::SourceLoc& l : c.source_map) {
      out.source_map.push_back({base + l.code_offset, l.wasm_offset});
    }
    info.source_map_end = static_cast<uint32_t>(out.source_map.size());
  }
  // Backends report traps sorted per function; functions are laid out in
  // order, so the concatenation is sorted. Keep it robust anyway.
  if (!std::is_sorted(out.traps.begin(), out.traps.end(),
                      [](const TrapEntry& a, const TrapEntry& b) {
                        return a.code_offset < b.code_offset;
                      })) {
    return absl::InternalError("backend returned an unsorted trap table");
  }
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t base = out.functions[i].code_offset;
    for (const isa::Relocation& r : compiled[i].relocations) {
      const uint32_t at = base + r.offset;
      if (uint64_t{at} + 4 > out.code.size()) {
        return absl::InternalError(absl::StrCat(
            Describe(module, first + i), ": relocation outside its code"));
      }
      const bool local = r.target == isa::RelocTarget::kWasmFunction &&
                         r.index >= first && r.index < module.functions.size();
      if (r.encoding == isa::RelocEncoding::kAarch64Call26) {
        // Calls between the module's own functions are resolved here;
        // BlobRelocation (resolved at load time) knows only rel32 fields.
        if (!local) {
          return absl::UnimplementedError(absl::StrCat(
              Describe(module, first + i),
              ": aarch64 call to a builtin or import by relocation"));
        }
        const int64_t target = out.functions[r.index - first].code_offset;
        const int64_t delta = target - int64_t{at} + r.addend;
        if (delta % 4 != 0 || delta < -(int64_t{1} << 27) || delta >= (int64_t{1} << 27)) {
          return absl::InternalError(absl::StrCat(
              Describe(module, first + i), ": bl target out of range"));
        }
        uint32_t word;
        std::memcpy(&word, out.code.data() + at, 4);
        word = (word & 0xfc000000u) | (static_cast<uint32_t>(delta >> 2) & 0x03ffffffu);
        std::memcpy(out.code.data() + at, &word, 4);
        continue;
      }
      if (r.encoding != isa::RelocEncoding::kX64PcRel32) {
        return absl::InternalError(absl::StrCat(
            Describe(module, first + i), ": unsupported relocation encoding"));
      }
      if (local) {
        const int64_t target = out.functions[r.index - first].code_offset;
        const int64_t value = target - int64_t{at} + r.addend;
        const int32_t v32 = static_cast<int32_t>(value);
        std::memcpy(out.code.data() + at, &v32, 4);
        continue;
      }
      BlobRelocation br;
      br.offset = at;
      br.kind = r.target == isa::RelocTarget::kWasmFunction
                    ? RelocKind::kWasmFunction
                    : RelocKind::kBuiltin;
      br.index = r.index;
      br.addend = r.addend;
      out.relocations.push_back(br);
    }
  }
  return out;
}

}  // namespace kiln::compiler
