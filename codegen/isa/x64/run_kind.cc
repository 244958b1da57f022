// `test run_x64 [passes]`: differential execution. Each "; run: %f(args)"
// line is interpreted (codegen/ir/interpreter, before any pass) and also
// compiled with the x64 backend (after the optional passes) and executed
// for real; the output is the interpreter's result, plus a MISMATCH line
// when the machine code disagrees (different values or trap codes, or a
// fault outside the trap table).
//
// Functions that touch memory or call are reported as "not run" (their
// pointers mean different things to the interpreter and to real code). The
// prologue stack check is off (the functions need no VMContext).
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <asmjit/x86.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "codegen/ir/instructions.h"
#include "codegen/ir/interpreter.h"
#include "codegen/ir/parser.h"
#include "codegen/isa/backend.h"
#include "codegen/isa/x64/abi.h"
#include "codegen/opt/pass.h"
#include "tests/filetests/filetest.h"

namespace kiln::isa::x64 {
namespace {

absl::StatusOr<uint64_t> ParseArg(absl::string_view s, ir::Type t) {
  s = absl::StripAsciiWhitespace(s);
  std::string str(s);
  if (ir::IsFloat(t) && !absl::StartsWith(s, "0x")) {
    char* end = nullptr;
    uint64_t bits = 0;
    if (t == ir::Type::kF32) {
      float v = std::strtof(str.c_str(), &end);
      uint32_t b;
      std::memcpy(&b, &v, 4);
      bits = b;
    } else {
      double v = std::strtod(str.c_str(), &end);
      std::memcpy(&bits, &v, 8);
    }
    if (end != str.c_str() + str.size()) {
      return absl::InvalidArgumentError(absl::StrCat("bad float '", s, "'"));
    }
    return bits;
  }
  bool neg = absl::ConsumePrefix(&s, "-");
  uint64_t u = 0;
  bool ok = absl::ConsumePrefix(&s, "0x") ? absl::SimpleHexAtoi(s, &u) : absl::SimpleAtoi(s, &u);
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("bad integer '", str, "'"));
  if (neg) u = 0 - u;
  return ir::TypeBits(t) == 32 ? u & 0xffffffffu : u;
}

std::string FormatValue(uint64_t bits, ir::Type t) {
  switch (t) {
    case ir::Type::kI32: return absl::StrCat(static_cast<int32_t>(bits));
    case ir::Type::kI64: return absl::StrCat(static_cast<int64_t>(bits));
    case ir::Type::kF32: {
      float f;
      uint32_t b = static_cast<uint32_t>(bits);
      std::memcpy(&f, &b, 4);
      return std::isnan(f) ? absl::StrCat("nan:0x", absl::Hex(b)) : absl::StrCat(f);
    }
    case ir::Type::kF64: {
      double d;
      std::memcpy(&d, &bits, 8);
      return std::isnan(d) ? absl::StrCat("nan:0x", absl::Hex(bits)) : absl::StrCat(d);
    }
    default: return absl::StrCat(bits);
  }
}

struct Outcome {
  bool trapped = false;
  abi::TrapCode trap = abi::TrapCode::kUnreachableCodeReached;
  std::vector<uint64_t> results;
  std::string crash;  // fault outside the trap table
};

std::string FormatOutcome(const Outcome& o, const ir::Signature& sig) {
  if (!o.crash.empty()) return o.crash;
  if (o.trapped) return absl::StrCat("trap ", ir::TrapCodeTextName(o.trap));
  std::string out;
  for (size_t k = 0; k < o.results.size(); ++k) {
    absl::StrAppend(&out, k ? ", " : "", FormatValue(o.results[k], sig.results[k]));
  }
  return out.empty() ? "()" : out;
}

bool SameOutcome(const Outcome& a, const Outcome& b, const ir::Signature& sig) {
  if (!a.crash.empty() || !b.crash.empty()) return false;
  if (a.trapped != b.trapped) return false;
  if (a.trapped) return a.trap == b.trap;
  if (a.results.size() != b.results.size()) return false;
  for (size_t k = 0; k < a.results.size(); ++k) {
    const ir::Type t = sig.results[k];
    const uint64_t mask = ir::TypeBits(t) == 32 ? 0xffffffffu : ~0ull;
    uint64_t x = a.results[k] & mask, y = b.results[k] & mask;
    if (t == ir::Type::kF32) {
      float fx, fy;
      uint32_t bx = static_cast<uint32_t>(x), by = static_cast<uint32_t>(y);
      std::memcpy(&fx, &bx, 4);
      std::memcpy(&fy, &by, 4);
      if (std::isnan(fx) && std::isnan(fy)) continue;  // NaN payloads may differ
    } else if (t == ir::Type::kF64) {
      double dx, dy;
      std::memcpy(&dx, &x, 8);
      std::memcpy(&dy, &y, 8);
      if (std::isnan(dx) && std::isnan(dy)) continue;
    }
    if (x != y) return false;
  }
  return true;
}

bool UsesMemoryOrCalls(const ir::Function& f) {
  for (ir::Block b : f.blocks()) {
    for (ir::Inst i : f.insts(b)) {
      const uint8_t fl = ir::GetOpcodeInfo(f.opcode(i)).flags;
      if (fl & (ir::kReadsMemory | ir::kCall)) return true;
      switch (f.opcode(i)) {
        case ir::Opcode::kStore: case ir::Opcode::kHeapStore: case ir::Opcode::kHeapIstore8:
        case ir::Opcode::kHeapIstore16: case ir::Opcode::kHeapIstore32:
          return true;
        default:
          break;
      }
    }
  }
  return false;
}

// Executable memory holding `code` (RW, then RX).
struct ExecCode {
  void* p = nullptr;
  size_t size = 0;
  explicit ExecCode(const std::vector<uint8_t>& code) {
    size = (code.size() + 4095) & ~size_t{4095};
    p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      p = nullptr;
      return;
    }
    std::memcpy(p, code.data(), code.size());
    mprotect(p, size, PROT_READ | PROT_EXEC);
  }
  ~ExecCode() {
    if (p != nullptr) munmap(p, size);
  }
};

// void tramp(const void* fn, const uint64_t* args, uint64_t* results)
// for the System V signature `sig` (results > 1: `results` is the return
// area passed as an extra last integer argument).
absl::StatusOr<std::vector<uint8_t>> MakeTrampoline(const ir::Signature& sig) {
  namespace ax = asmjit::x86;
  asmjit::CodeHolder code;
  code.init(asmjit::Environment(asmjit::Arch::kX64));
  ax::Assembler a(&code);
  const bool multi = sig.results.size() > 1;
  // Placement from the ABI object: hardware register numbers or stack slots.
  struct Loc { bool is_float; int reg; int stack; };
  std::vector<Loc> locs;
  int nstack = 0;
  for (const ArgLoc& l : X64Abi().ArgLocs(sig.params, multi, &nstack)) {
    if (l.in_reg) {
      locs.push_back({l.reg.cls() == RegClass::kFloat, l.reg.hw(), -1});
    } else {
      locs.push_back({false, -1, l.stack_offset / X64Abi().StackSlotSize()});
    }
  }
  a.push(ax::rbp);
  a.mov(ax::rbp, ax::rsp);
  a.push(ax::rbx);
  a.push(ax::r12);
  const uint32_t frame = ((8 * nstack) + 15) & ~15u;
  if (frame) a.sub(ax::rsp, frame);
  a.mov(ax::rax, ax::rdi);
  a.mov(ax::rbx, ax::rsi);
  a.mov(ax::r12, ax::rdx);
  for (size_t k = 0; k < locs.size(); ++k) {
    const bool is_ret_area = k >= sig.params.size();
    if (locs[k].stack >= 0) {
      if (is_ret_area) a.mov(ax::r10, ax::r12); else a.mov(ax::r10, ax::qword_ptr(ax::rbx, 8 * k));
      a.mov(ax::qword_ptr(ax::rsp, 8 * locs[k].stack), ax::r10);
    }
  }
  for (size_t k = 0; k < locs.size(); ++k) {
    const bool is_ret_area = k >= sig.params.size();
    if (locs[k].reg < 0) continue;
    if (locs[k].is_float) {
      a.movsd(ax::xmm(locs[k].reg), ax::qword_ptr(ax::rbx, 8 * k));
    } else if (is_ret_area) {
      a.mov(ax::gpq(locs[k].reg), ax::r12);
    } else {
      a.mov(ax::gpq(locs[k].reg), ax::qword_ptr(ax::rbx, 8 * k));
    }
  }
  a.call(ax::rax);
  if (sig.results.size() == 1) {
    if (ir::IsFloat(sig.results[0])) a.movsd(ax::qword_ptr(ax::r12), ax::xmm0);
    else a.mov(ax::qword_ptr(ax::r12), ax::rax);
  }
  a.lea(ax::rsp, ax::ptr(ax::rbp, -16));
  a.pop(ax::r12);
  a.pop(ax::rbx);
  a.pop(ax::rbp);
  a.ret();
  code.flatten();
  asmjit::CodeBuffer& buf = code.textSection()->buffer();
  return std::vector<uint8_t>(buf.data(), buf.data() + buf.size());
}

sigjmp_buf g_jmp;
uintptr_t g_pc = 0;
void OnFault(int, siginfo_t*, void* uctx) {
  g_pc = static_cast<ucontext_t*>(uctx)->uc_mcontext.gregs[REG_RIP];
  siglongjmp(g_jmp, 1);
}

Outcome Execute(const CompiledFunction& cf, const ir::Signature& sig,
                const std::vector<uint64_t>& args) {
  Outcome o;
  absl::StatusOr<std::vector<uint8_t>> tramp_code = MakeTrampoline(sig);
  if (!tramp_code.ok()) {
    o.crash = "trampoline failed";
    return o;
  }
  ExecCode fn(cf.code), tramp(*tramp_code);
  std::vector<uint64_t> results(std::max<size_t>(sig.results.size(), 1) + 1, 0);
  using Tramp = void (*)(const void*, const uint64_t*, uint64_t*);
  auto call = reinterpret_cast<Tramp>(tramp.p);
  struct sigaction sa = {}, old[3];
  sa.sa_sigaction = OnFault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  const int sigs[3] = {SIGILL, SIGFPE, SIGSEGV};
  for (int k = 0; k < 3; ++k) sigaction(sigs[k], &sa, &old[k]);
  if (sigsetjmp(g_jmp, 1) == 0) {
    call(fn.p, args.data(), results.data());
    results.resize(sig.results.size());
    o.results = results;
  } else {
    const uintptr_t off = g_pc - reinterpret_cast<uintptr_t>(fn.p);
    bool found = false;
    for (const TrapSite& t : cf.traps) {
      if (t.code_offset == off) {
        o.trapped = true;
        o.trap = t.code;
        found = true;
      }
    }
    if (!found) o.crash = absl::StrCat("crash at code offset ", off);
  }
  for (int k = 0; k < 3; ++k) sigaction(sigs[k], &old[k], nullptr);
  return o;
}

absl::StatusOr<std::string> RunX64(absl::string_view options, absl::string_view input) {
  absl::StatusOr<std::vector<ir::Function>> fs = ir::ParseFunctions(input);
  if (!fs.ok()) return fs.status();
  std::vector<ir::Function> optimized = *fs;
  if (!options.empty()) {
    opt::PassManager pm(/*verify_each=*/true);
    if (absl::Status s = pm.AddByNames(options); !s.ok()) return s;
    for (ir::Function& f : optimized) {
      if (absl::Status s = pm.Run(f); !s.ok()) return s;
    }
  }
  CompileContext ctx;
  ctx.stack_check = false;
  std::unique_ptr<Backend> backend = CreateX64Backend();
  std::vector<std::optional<absl::StatusOr<CompiledFunction>>> compiled(fs->size());
  std::string out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(input, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "; run:")) continue;
    line = absl::StripAsciiWhitespace(line);
    const size_t open = line.find('(');
    if (!absl::StartsWith(line, "%") || open == absl::string_view::npos ||
        !absl::EndsWith(line, ")")) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": expected '; run: %name(args)'"));
    }
    absl::string_view name = line.substr(1, open - 1);
    absl::string_view arg_text = line.substr(open + 1, line.size() - open - 2);
    size_t idx = 0;
    while (idx < fs->size() && (*fs)[idx].name() != name) ++idx;
    if (idx == fs->size()) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": no function %", name));
    }
    const ir::Function& f = (*fs)[idx];
    const ir::Signature& sig = f.signature();
    std::vector<uint64_t> args;
    if (!absl::StripAsciiWhitespace(arg_text).empty()) {
      for (absl::string_view a : absl::StrSplit(arg_text, ',')) {
        if (args.size() >= sig.params.size()) break;
        absl::StatusOr<uint64_t> v = ParseArg(a, sig.params[args.size()]);
        if (!v.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": ", v.status().message()));
        }
        args.push_back(*v);
      }
    }
    while (args.size() < sig.params.size()) args.push_back(0);
    if (UsesMemoryOrCalls(f) || UsesMemoryOrCalls(optimized[idx])) {
      absl::StrAppend(&out, line, " -> not run: memory or calls\n");
      continue;
    }
    std::vector<uint8_t> heap(65536, 0), raw(65536, 0);
    ir::InterpOptions opts;
    opts.heap = &heap;
    opts.raw_memory = &raw;
    opts.fuel = 1'000'000;
    absl::StatusOr<ir::InterpOutcome> ref = ir::Interpret(f, args, opts);
    if (!ref.ok()) {
      absl::StrAppend(&out, line, " -> not run: ", ref.status().message(), "\n");
      continue;
    }
    Outcome expected;
    expected.trapped = ref->trapped;
    expected.trap = ref->trap;
    expected.results = ref->results;
    absl::StrAppend(&out, line, " -> ", FormatOutcome(expected, sig), "\n");
    if (!compiled[idx].has_value()) compiled[idx] = backend->Compile(optimized[idx], ctx);
    const absl::StatusOr<CompiledFunction>& cf = *compiled[idx];
    if (!cf.ok()) {
      absl::StrAppend(&out, "  MISMATCH x64: ", cf.status().message(), "\n");
      continue;
    }
    Outcome actual = Execute(*cf, sig, args);
    if (!SameOutcome(expected, actual, sig)) {
      absl::StrAppend(&out, "  MISMATCH x64: ", FormatOutcome(actual, sig), "\n");
    }
  }
  return out;
}

}  // namespace

KILN_FILETEST_KIND(run_x64, RunX64);

}  // namespace kiln::isa::x64
