#include "codegen/ir/interpreter.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "codegen/ir/eval.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/simd_eval.h"

namespace kiln::ir {
namespace {

uint64_t Canonical(Type t, uint64_t bits) {
  return TypeBits(t) == 32 ? bits & 0xffffffffu : bits;
}

}  // namespace

absl::StatusOr<InterpOutcome> Interpret(const Function& f,
                                        absl::Span<const uint64_t> args,
                                        const InterpOptions& options) {
  Block block = f.entry_block();
  if (!block.valid()) return absl::InvalidArgumentError("function has no blocks");
  if (args.size() != f.signature().params.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", f.signature().params.size(),
                     " arguments, got ", args.size()));
  }
  for (Type t : f.signature().params) {
    if (t == Type::kV128) {
      return absl::UnimplementedError("interpreter: v128 parameters");
    }
  }
  for (Type t : f.signature().results) {
    if (t == Type::kV128) return absl::UnimplementedError("interpreter: v128 results");
  }
  // A value's bits; `hi` holds the upper half of v128 values.
  std::vector<uint64_t> vals(f.num_values(), 0);
  std::vector<uint64_t> hi(f.num_values(), 0);
  std::vector<uint64_t> incoming(args.begin(), args.end());
  std::vector<uint64_t> incoming_hi(args.size(), 0);
  uint64_t fuel = options.fuel;
  auto unsupported = [&](Inst i, absl::string_view why) {
    return absl::UnimplementedError(
        absl::StrCat("interpreter: ", PrintInst(f, i), ": ", why));
  };
  while (true) {
    // Block parameters take the incoming arguments (copied first, so
    // swaps through parameters work).
    auto params = f.block_params(block);
    for (size_t k = 0; k < params.size(); ++k) {
      vals[params[k].index] = Canonical(f.value_type(params[k]), incoming[k]);
      hi[params[k].index] = incoming_hi[k];
    }
    Block next;
    for (Inst i : f.insts(block)) {
      if (fuel-- == 0) {
        return absl::ResourceExhaustedError("interpreter: out of fuel");
      }
      const InstData& d = f.inst(i);
      const OpcodeInfo& info = GetOpcodeInfo(d.opcode);
      auto a = f.args(i);
      auto arg = [&](size_t k) { return vals[a[k].index]; };
      auto set = [&](uint64_t bits, uint64_t high = 0) {
        Value r = f.first_result(i);
        vals[r.index] = Canonical(f.value_type(r), bits);
        hi[r.index] = high;
      };
      auto trap = [&](TrapCode c) {
        InterpOutcome o;
        o.trapped = true;
        o.trap = c;
        return o;
      };
      auto take = [&](const BlockCall& bc) {
        incoming.clear();
        incoming_hi.clear();
        for (Value v : f.List(bc.args)) {
          incoming.push_back(vals[v.index]);
          incoming_hi.push_back(hi[v.index]);
        }
        next = bc.block;
      };
      switch (info.format) {
        case InstFormat::kUnaryImm:
        case InstFormat::kUnaryIeee32:
        case InstFormat::kUnaryIeee64:
          set(static_cast<uint64_t>(d.imm));
          break;
        case InstFormat::kUnary:
        case InstFormat::kBinary:
        case InstFormat::kBinaryImm:
        case InstFormat::kTernary:
        case InstFormat::kIntCompare:
        case InstFormat::kFloatCompare: {
          if (d.opcode == Opcode::kSelect && f.value_type(a[1]) == Type::kV128) {
            const Value v = a[vals[a[0].index] != 0 ? 1 : 2];
            set(vals[v.index], hi[v.index]);
            break;
          }
          uint64_t in[3] = {0, 0, 0};
          for (size_t k = 0; k < a.size() && k < 3; ++k) in[k] = arg(k);
          Type arg_type = f.value_type(a[d.opcode == Opcode::kSelect ? 1 : 0]);
          EvalResult r = Evaluate(d.opcode, d.ctrl_type, arg_type, d.code,
                                  d.imm, in, static_cast<int>(a.size()));
          if (r.kind == EvalResult::kTrap) return trap(r.trap);
          if (r.kind != EvalResult::kValue) return unsupported(i, "no semantics");
          set(r.bits);
          break;
        }
        case InstFormat::kVector: {
          Bits128 in[4];
          for (size_t k = 0; k < a.size() && k < 4; ++k) {
            in[k] = {vals[a[k].index], hi[a[k].index]};
          }
          std::optional<Bits128> r = EvaluateVector(
              d.opcode, d.ctrl_type, d.code, d.imm, in, static_cast<int>(a.size()));
          if (!r) return unsupported(i, "no semantics");
          set(r->lo, r->hi);
          break;
        }
        case InstFormat::kHeapLoad:
        case InstFormat::kHeapStore: {
          if (!options.heap) return unsupported(i, "no heap given");
          const bool store = info.format == InstFormat::kHeapStore;
          const size_t first = store ? 1 : 0;
          // An i32 index is zero-extended; an i64 one (memory64) is whole.
          const bool index64 = f.value_type(a[first + 1]) == Type::kI64;
          const uint64_t index =
              index64 ? arg(first + 1) : (arg(first + 1) & 0xffffffffu);
          const uint64_t addr = index + static_cast<uint64_t>(d.imm);
          const int bytes = HeapAccessBytes(d.opcode, d.ctrl_type);
          if (addr < index || addr > options.heap->size() ||
              static_cast<uint64_t>(bytes) > options.heap->size() - addr) {
            return trap(TrapCode::kMemoryOutOfBounds);
          }
          uint8_t* p = options.heap->data() + addr;
          if (store) {
            uint64_t v[2] = {arg(0), hi[a[0].index]};
            std::memcpy(p, v, bytes);  // Little endian host.
            break;
          }
          if (bytes == 16) {
            uint64_t v[2];
            std::memcpy(v, p, 16);
            set(v[0], v[1]);
            break;
          }
          uint64_t v = 0;
          std::memcpy(&v, p, bytes);
          bool sign = d.opcode == Opcode::kHeapSload8 ||
                      d.opcode == Opcode::kHeapSload16 ||
                      d.opcode == Opcode::kHeapSload32;
          if (sign && bytes < 8) {
            const int shift = 64 - 8 * bytes;
            v = static_cast<uint64_t>(static_cast<int64_t>(v << shift) >> shift);
          }
          set(v);
          break;
        }
        case InstFormat::kAtomic: {
          // One thread: the plain read-modify-write.
          if (!options.heap) return unsupported(i, "no heap given");
          const int n = AtomicValueArgs(d.opcode);
          const uint64_t addr = (arg(n + 1) & 0xffffffffu) +
                                static_cast<uint64_t>(d.imm);
          const int bytes = 1 << d.code;
          if (addr + bytes > options.heap->size()) {
            return trap(TrapCode::kMemoryOutOfBounds);
          }
          if (addr % bytes != 0) return trap(TrapCode::kHeapMisaligned);
          uint8_t* p = options.heap->data() + addr;
          const uint64_t mask =
              bytes == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * bytes)) - 1;
          uint64_t old = 0;
          std::memcpy(&old, p, bytes);
          uint64_t nv = old;
          switch (d.opcode) {
            case Opcode::kAtomicStore: nv = arg(0); break;
            case Opcode::kAtomicRmwAdd: nv = old + arg(0); break;
            case Opcode::kAtomicRmwSub: nv = old - arg(0); break;
            case Opcode::kAtomicRmwAnd: nv = old & arg(0); break;
            case Opcode::kAtomicRmwOr: nv = old | arg(0); break;
            case Opcode::kAtomicRmwXor: nv = old ^ arg(0); break;
            case Opcode::kAtomicRmwXchg: nv = arg(0); break;
            case Opcode::kAtomicCas:
              if (old == (arg(0) & mask)) nv = arg(1);
              break;
            default: break;
          }
          nv &= mask;
          std::memcpy(p, &nv, bytes);
          if (d.opcode != Opcode::kAtomicStore) set(old);
          break;
        }
        case InstFormat::kNullary:
          break;
        case InstFormat::kLoad:
        case InstFormat::kStore: {
          if (!options.raw_memory) return unsupported(i, "no raw memory given");
          const bool store = info.format == InstFormat::kStore;
          const uint64_t addr = arg(store ? 1 : 0) + static_cast<uint64_t>(d.imm);
          const Type t = store ? f.value_type(a[0]) : d.ctrl_type;
          const uint64_t bytes = TypeBits(t) / 8;
          if (addr > options.raw_memory->size() ||
              options.raw_memory->size() - addr < bytes) {
            return unsupported(i, "raw address outside the simulated memory");
          }
          uint8_t* p = options.raw_memory->data() + addr;
          uint64_t v[2] = {0, 0};
          if (store) {
            v[0] = arg(0);
            v[1] = hi[a[0].index];
            std::memcpy(p, v, bytes);
          } else {
            std::memcpy(v, p, bytes);
            set(v[0], v[1]);
          }
          break;
        }
        case InstFormat::kCall:
        case InstFormat::kCallIndirect: {
          if (!options.call_handler) return unsupported(i, "no call handler");
          for (Value v : a) {
            if (f.value_type(v) == Type::kV128) return unsupported(i, "v128 call argument");
          }
          for (Value v : f.results(i)) {
            if (f.value_type(v) == Type::kV128) return unsupported(i, "v128 call result");
          }
          std::vector<uint64_t> call_args;
          size_t k0 = info.format == InstFormat::kCallIndirect ? 1 : 0;
          for (size_t k = k0; k < a.size(); ++k) call_args.push_back(arg(k));
          auto out = options.call_handler(f, i, call_args);
          if (!out.ok()) return out.status();
          if (out->trapped) return *out;
          auto res = f.results(i);
          if (out->results.size() != res.size()) {
            return unsupported(i, "call handler returned the wrong arity");
          }
          for (size_t k = 0; k < res.size(); ++k) {
            vals[res[k].index] = Canonical(f.value_type(res[k]), out->results[k]);
          }
          break;
        }
        case InstFormat::kTrap:
          return trap(static_cast<TrapCode>(d.code));
        case InstFormat::kCondTrap: {
          bool zero = Canonical(f.value_type(a[0]), arg(0)) == 0;
          if (zero == (d.opcode == Opcode::kTrapz)) {
            return trap(static_cast<TrapCode>(d.code));
          }
          break;
        }
        case InstFormat::kJump:
          take(f.block_calls(i)[0]);
          break;
        case InstFormat::kBrif:
          take(f.block_calls(i)[arg(0) != 0 ? 0 : 1]);
          break;
        case InstFormat::kBrTable: {
          auto calls = f.block_calls(i);
          uint64_t idx = arg(0) & 0xffffffffu;
          take(idx + 1 < calls.size() ? calls[idx + 1] : calls[0]);
          break;
        }
        case InstFormat::kReturn: {
          InterpOutcome o;
          for (size_t k = 0; k < a.size(); ++k) o.results.push_back(arg(k));
          return o;
        }
      }
      if (next.valid()) break;
    }
    if (!next.valid()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "interpreter: ", BlockName(block), " fell off its end"));
    }
    block = next;
  }
}

}  // namespace kiln::ir
