#include "codegen/opt/const_fold.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "codegen/ir/cfg.h"
#include "codegen/ir/dominator_tree.h"
#include "codegen/opt/unreachable.h"

namespace kiln::opt {
namespace {

using ir::FloatCC;
using ir::Inst;
using ir::IntCC;
using ir::Opcode;
using ir::Type;
using ir::Value;

float AsF32(uint64_t b) {
  uint32_t u = static_cast<uint32_t>(b);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
double AsF64(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}
uint64_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
uint64_t Bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}

// Integer ops on `bits`-wide values held in uint64 (upper bits ignored).
std::optional<uint64_t> FoldInt(Opcode op, int bits, uint64_t x, uint64_t y) {
  const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  x &= mask;
  y &= mask;
  auto sext = [&](uint64_t v) -> int64_t {
    return bits == 64 ? static_cast<int64_t>(v)
                      : static_cast<int64_t>(static_cast<int32_t>(v));
  };
  const uint64_t sign_min = uint64_t{1} << (bits - 1);
  const unsigned sh = static_cast<unsigned>(y & (bits - 1));
  switch (op) {
    case Opcode::kIadd:
    case Opcode::kIaddImm:
      return (x + y) & mask;
    case Opcode::kIsub:
      return (x - y) & mask;
    case Opcode::kImul:
    case Opcode::kImulImm:
      return (x * y) & mask;
    case Opcode::kBand:
    case Opcode::kBandImm:
      return x & y;
    case Opcode::kBor:
    case Opcode::kBorImm:
      return x | y;
    case Opcode::kBxor:
    case Opcode::kBxorImm:
      return x ^ y;
    case Opcode::kIshl:
    case Opcode::kIshlImm:
      return (x << sh) & mask;
    case Opcode::kUshr:
    case Opcode::kUshrImm:
      return x >> sh;
    case Opcode::kSshr:
    case Opcode::kSshrImm:
      return static_cast<uint64_t>(sext(x) >> sh) & mask;
    case Opcode::kRotl:
      return sh == 0 ? x : ((x << sh) | (x >> (bits - sh))) & mask;
    case Opcode::kRotr:
      return sh == 0 ? x : ((x >> sh) | (x << (bits - sh))) & mask;
    case Opcode::kUdiv:
      if (y == 0) return std::nullopt;
      return x / y;
    case Opcode::kUrem:
      if (y == 0) return std::nullopt;
      return x % y;
    case Opcode::kSdiv:
      if (y == 0 || (x == sign_min && y == mask)) return std::nullopt;
      return static_cast<uint64_t>(sext(x) / sext(y)) & mask;
    case Opcode::kSrem:
      if (y == 0) return std::nullopt;
      if (x == sign_min && y == mask) return 0;  // No trap in wasm.
      return static_cast<uint64_t>(sext(x) % sext(y)) & mask;
    default:
      return std::nullopt;
  }
}

bool IntCompare(IntCC cc, int bits, uint64_t x, uint64_t y) {
  if (bits == 32) {
    x &= 0xffffffffu;
    y &= 0xffffffffu;
  }
  int64_t sx = bits == 32 ? static_cast<int32_t>(x) : static_cast<int64_t>(x);
  int64_t sy = bits == 32 ? static_cast<int32_t>(y) : static_cast<int64_t>(y);
  switch (cc) {
    case IntCC::kEq: return x == y;
    case IntCC::kNe: return x != y;
    case IntCC::kSlt: return sx < sy;
    case IntCC::kSle: return sx <= sy;
    case IntCC::kSgt: return sx > sy;
    case IntCC::kSge: return sx >= sy;
    case IntCC::kUlt: return x < y;
    case IntCC::kUle: return x <= y;
    case IntCC::kUgt: return x > y;
    case IntCC::kUge: return x >= y;
  }
  return false;
}

template <typename F>
bool FloatCompare(FloatCC cc, F x, F y) {
  bool uno = std::isnan(x) || std::isnan(y);
  switch (cc) {
    case FloatCC::kEq: return !uno && x == y;
    case FloatCC::kNe: return uno || x != y;
    case FloatCC::kLt: return !uno && x < y;
    case FloatCC::kLe: return !uno && x <= y;
    case FloatCC::kGt: return !uno && x > y;
    case FloatCC::kGe: return !uno && x >= y;
    case FloatCC::kOrd: return !uno;
    case FloatCC::kUno: return uno;
  }
  return false;
}

// Float arithmetic in type F. Returns nullopt when the result is NaN.
template <typename F>
std::optional<F> FoldFloat(Opcode op, F x, F y) {
  F r;
  switch (op) {
    case Opcode::kFadd: r = x + y; break;
    case Opcode::kFsub: r = x - y; break;
    case Opcode::kFmul: r = x * y; break;
    case Opcode::kFdiv: r = x / y; break;
    case Opcode::kFmin:
    case Opcode::kFmax: {
      if (std::isnan(x) || std::isnan(y)) return std::nullopt;
      if (x == y) {
        // -0 vs +0: min prefers the negative, max the positive.
        bool neg = op == Opcode::kFmin ? (std::signbit(x) || std::signbit(y))
                                       : (std::signbit(x) && std::signbit(y));
        r = neg ? -std::fabs(x) : std::fabs(x);
        if (x != 0) r = x;
      } else {
        r = op == Opcode::kFmin ? (x < y ? x : y) : (x > y ? x : y);
      }
      break;
    }
    case Opcode::kSqrt: r = std::sqrt(x); break;
    case Opcode::kCeil: r = std::ceil(x); break;
    case Opcode::kFloor: r = std::floor(x); break;
    case Opcode::kTrunc: r = std::trunc(x); break;
    case Opcode::kNearest: r = std::nearbyint(x); break;  // Ties to even.
    default: return std::nullopt;
  }
  if (std::isnan(r)) return std::nullopt;
  return r;
}

// Float -> int conversion. Returns nullopt if it would trap (non-sat).
std::optional<uint64_t> FoldFcvtToInt(Opcode op, Type to, double x) {
  const bool sat = op == Opcode::kFcvtToSintSat || op == Opcode::kFcvtToUintSat;
  const bool is_signed = op == Opcode::kFcvtToSint || op == Opcode::kFcvtToSintSat;
  const bool is64 = to == Type::kI64;
  if (std::isnan(x)) {
    if (!sat) return std::nullopt;
    return 0;
  }
  double t = std::trunc(x);
  // Exclusive bounds are powers of two, exactly representable.
  double lo, hi;  // Valid iff lo <= t < hi.
  if (is_signed) {
    lo = is64 ? -9223372036854775808.0 : -2147483648.0;
    hi = is64 ? 9223372036854775808.0 : 2147483648.0;
  } else {
    lo = 0.0;
    hi = is64 ? 18446744073709551616.0 : 4294967296.0;
  }
  if (t < lo || t >= hi) {
    if (!sat) return std::nullopt;
    if (is_signed) {
      if (t < lo) {
        return is64 ? uint64_t{1} << 63 : uint64_t{0x80000000};
      }
      return is64 ? ~uint64_t{0} >> 1 : uint64_t{0x7fffffff};
    }
    if (t < lo) return 0;
    return is64 ? ~uint64_t{0} : uint64_t{0xffffffff};
  }
  if (is_signed) {
    int64_t v = static_cast<int64_t>(t);
    return is64 ? static_cast<uint64_t>(v)
                : static_cast<uint64_t>(v) & 0xffffffffu;
  }
  return static_cast<uint64_t>(t);
}

std::optional<uint64_t> FoldIntToFloat(Opcode op, Type from, Type to,
                                       uint64_t x) {
  const bool is_signed = op == Opcode::kFcvtFromSint;
  if (to == Type::kF32) {
    float r;
    if (from == Type::kI32) {
      r = is_signed ? static_cast<float>(static_cast<int32_t>(x))
                    : static_cast<float>(static_cast<uint32_t>(x));
    } else {
      r = is_signed ? static_cast<float>(static_cast<int64_t>(x))
                    : static_cast<float>(x);
    }
    return Bits(r);
  }
  double r;
  if (from == Type::kI32) {
    r = is_signed ? static_cast<double>(static_cast<int32_t>(x))
                  : static_cast<double>(static_cast<uint32_t>(x));
  } else {
    r = is_signed ? static_cast<double>(static_cast<int64_t>(x))
                  : static_cast<double>(x);
  }
  return Bits(r);
}

}  // namespace

std::optional<uint64_t> FoldOperation(Opcode op, Type ctrl, Type arg_type,
                                      uint8_t code, int64_t imm,
                                      const uint64_t* a, int n) {
  const int bits = ir::TypeBits(arg_type);
  const ir::OpcodeInfo& info = ir::GetOpcodeInfo(op);
  switch (info.format) {
    case ir::InstFormat::kBinary:
      if (ir::IsInt(arg_type)) return FoldInt(op, bits, a[0], a[1]);
      if (arg_type == Type::kF32) {
        if (op == Opcode::kFcopysign) {
          return (a[0] & 0x7fffffffu) | (a[1] & 0x80000000u);
        }
        auto r = FoldFloat<float>(op, AsF32(a[0]), AsF32(a[1]));
        if (!r) return std::nullopt;
        return Bits(*r);
      }
      if (arg_type == Type::kF64) {
        const uint64_t sign = uint64_t{1} << 63;
        if (op == Opcode::kFcopysign) return (a[0] & ~sign) | (a[1] & sign);
        auto r = FoldFloat<double>(op, AsF64(a[0]), AsF64(a[1]));
        if (!r) return std::nullopt;
        return Bits(*r);
      }
      return std::nullopt;
    case ir::InstFormat::kBinaryImm:
      return FoldInt(op, bits, a[0], static_cast<uint64_t>(imm));
    case ir::InstFormat::kIntCompare:
      return IntCompare(static_cast<IntCC>(code), bits, a[0], a[1]) ? 1 : 0;
    case ir::InstFormat::kFloatCompare:
      if (arg_type == Type::kF32) {
        return FloatCompare(static_cast<FloatCC>(code), AsF32(a[0]),
                            AsF32(a[1]));
      }
      return FloatCompare(static_cast<FloatCC>(code), AsF64(a[0]), AsF64(a[1]));
    case ir::InstFormat::kUnary:
      break;
    default:
      return std::nullopt;
  }
  const uint64_t x = a[0];
  const uint64_t mask32 = 0xffffffffu;
  switch (op) {
    case Opcode::kClz:
      return bits == 32 ? std::countl_zero(static_cast<uint32_t>(x))
                        : std::countl_zero(x);
    case Opcode::kCtz:
      return bits == 32 ? std::countr_zero(static_cast<uint32_t>(x))
                        : std::countr_zero(x);
    case Opcode::kPopcnt:
      return bits == 32 ? std::popcount(static_cast<uint32_t>(x))
                        : std::popcount(x);
    case Opcode::kSextend8:
      return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(x)));
    case Opcode::kSextend16:
      return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(x)));
    case Opcode::kSextend32:
    case Opcode::kSextend:
      return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(x)));
    case Opcode::kUextend:
    case Opcode::kIreduce:
      return x & mask32;
    case Opcode::kFabs:
      return bits == 32 ? x & 0x7fffffffu : x & ~(uint64_t{1} << 63);
    case Opcode::kFneg:
      return bits == 32 ? (x ^ 0x80000000u) & mask32 : x ^ (uint64_t{1} << 63);
    case Opcode::kSqrt:
    case Opcode::kCeil:
    case Opcode::kFloor:
    case Opcode::kTrunc:
    case Opcode::kNearest:
      if (arg_type == Type::kF32) {
        auto r = FoldFloat<float>(op, AsF32(x), 0.0f);
        if (!r) return std::nullopt;
        return Bits(*r);
      } else {
        auto r = FoldFloat<double>(op, AsF64(x), 0.0);
        if (!r) return std::nullopt;
        return Bits(*r);
      }
    case Opcode::kFcvtToSint:
    case Opcode::kFcvtToUint:
    case Opcode::kFcvtToSintSat:
    case Opcode::kFcvtToUintSat:
      return FoldFcvtToInt(op, ctrl,
                           arg_type == Type::kF32 ? AsF32(x) : AsF64(x));
    case Opcode::kFcvtFromSint:
    case Opcode::kFcvtFromUint:
      return FoldIntToFloat(op, arg_type, ctrl, x);
    case Opcode::kFpromote: {
      float f = AsF32(x);
      if (std::isnan(f)) return std::nullopt;
      return Bits(static_cast<double>(f));
    }
    case Opcode::kFdemote: {
      double d = AsF64(x);
      if (std::isnan(d)) return std::nullopt;
      return Bits(static_cast<float>(d));
    }
    case Opcode::kBitcast:
      return bits == 32 ? x & mask32 : x;
    default:
      return std::nullopt;
  }
}

bool ConstFoldPass::Run(ir::Function& f) {
  ir::ControlFlowGraph cfg(f);
  ir::DominatorTree dt(f, cfg);
  // Known constant bits per value.
  std::vector<uint8_t> known(f.num_values(), 0);
  std::vector<uint64_t> bits(f.num_values(), 0);
  auto set_const = [&](Value v, uint64_t b) {
    known[v.index] = 1;
    bits[v.index] = b;
  };
  bool changed = false;
  bool cfg_changed = false;
  // RPO: definitions are seen before uses (except through block params,
  // which we do not track).
  for (ir::Block b : dt.rpo()) {
    for (Inst i = f.first_inst(b); i.valid();) {
      Inst next = f.next_inst(i);
      const ir::InstData& d = f.inst(i);
      const Opcode op = d.opcode;
      Value r = f.first_result(i);
      if (op == Opcode::kIconst) {
        set_const(r, static_cast<uint64_t>(d.imm));
      } else if (op == Opcode::kF32const || op == Opcode::kF64const) {
        set_const(r, static_cast<uint64_t>(d.imm));
      } else {
        auto args = f.args(i);
        bool all_known = !args.empty();
        uint64_t vals[3] = {0, 0, 0};
        for (size_t k = 0; k < args.size(); ++k) {
          if (k >= 3 || !known[args[k].index]) {
            all_known = false;
            break;
          }
          vals[k] = bits[args[k].index];
        }
        if (op == Opcode::kSelect && !args.empty() && known[args[0].index]) {
          // The chosen operand, if it is itself constant.
          Value pick = (bits[args[0].index] & 0xffffffffu) ? args[1] : args[2];
          if (known[pick.index]) {
            uint64_t v = bits[pick.index];
            Type t = f.value_type(r);
            if (t == Type::kF32) {
              f.ReplaceWithF32const(i, static_cast<uint32_t>(v));
            } else if (t == Type::kF64) {
              f.ReplaceWithF64const(i, v);
            } else {
              f.ReplaceWithIconst(i, static_cast<int64_t>(v));
            }
            set_const(r, f.inst(i).imm);
            changed = true;
          }
        } else if (op == Opcode::kBrif && all_known) {
          uint64_t c = vals[0];
          if (f.value_type(args[0]) == Type::kI32) c &= 0xffffffffu;
          f.ReplaceWithJump(i, f.block_calls(i)[c != 0 ? 0 : 1]);
          changed = cfg_changed = true;
        } else if ((op == Opcode::kTrapz || op == Opcode::kTrapnz) &&
                   all_known) {
          uint64_t c = vals[0];
          if (f.value_type(args[0]) == Type::kI32) c &= 0xffffffffu;
          bool traps = (op == Opcode::kTrapz) == (c == 0);
          if (!traps) {
            f.RemoveInst(i);
          } else {
            // Always traps: the rest of the block is dead.
            ir::InstData& m = f.mutable_inst(i);
            m.opcode = Opcode::kTrap;
            m.args = {};
            for (Inst j = next; j.valid();) {
              Inst n2 = f.next_inst(j);
              f.RemoveInst(j);
              j = n2;
            }
            next = Inst();
            cfg_changed = true;
          }
          changed = true;
        } else if (all_known && r.valid() && f.results(i).size() == 1) {
          Type arg_type = f.value_type(args[0]);
          if (op == Opcode::kSelect) arg_type = f.value_type(args[1]);
          auto folded = FoldOperation(op, d.ctrl_type, arg_type, d.code, d.imm,
                                      vals, args.size());
          if (folded) {
            Type t = f.value_type(r);
            if (t == Type::kF32) {
              f.ReplaceWithF32const(i, static_cast<uint32_t>(*folded));
            } else if (t == Type::kF64) {
              f.ReplaceWithF64const(i, *folded);
            } else {
              f.ReplaceWithIconst(i, static_cast<int64_t>(*folded));
            }
            set_const(r, static_cast<uint64_t>(f.inst(i).imm));
            changed = true;
          }
        }
      }
      i = next;
    }
  }
  if (cfg_changed) RemoveUnreachableBlocks(f);
  return changed;
}

}  // namespace kiln::opt
