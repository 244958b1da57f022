#include "codegen/ir/eval.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

namespace kiln::ir {
namespace {

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
  if (std::isnan(f)) return kCanonicalNanF32;
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
uint64_t Bits(double d) {
  if (std::isnan(d)) return kCanonicalNanF64;
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}

EvalResult Val(uint64_t bits) { return {EvalResult::kValue, bits}; }
EvalResult Trap(TrapCode c) { return {EvalResult::kTrap, 0, c}; }
EvalResult Unsupported() { return {}; }

// Integer ops on `bits`-wide values held in uint64 (upper bits ignored).
EvalResult EvalInt(Opcode op, int bits, uint64_t x, uint64_t y) {
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
      return Val((x + y) & mask);
    case Opcode::kIsub:
      return Val((x - y) & mask);
    case Opcode::kImul:
    case Opcode::kImulImm:
      return Val((x * y) & mask);
    case Opcode::kBand:
    case Opcode::kBandImm:
      return Val(x & y);
    case Opcode::kBor:
    case Opcode::kBorImm:
      return Val(x | y);
    case Opcode::kBxor:
    case Opcode::kBxorImm:
      return Val(x ^ y);
    case Opcode::kIshl:
    case Opcode::kIshlImm:
      return Val((x << sh) & mask);
    case Opcode::kUshr:
    case Opcode::kUshrImm:
      return Val(x >> sh);
    case Opcode::kSshr:
    case Opcode::kSshrImm:
      return Val(static_cast<uint64_t>(sext(x) >> sh) & mask);
    case Opcode::kRotl:
      return Val(sh == 0 ? x : ((x << sh) | (x >> (bits - sh))) & mask);
    case Opcode::kRotr:
      return Val(sh == 0 ? x : ((x >> sh) | (x << (bits - sh))) & mask);
    case Opcode::kUdiv:
      if (y == 0) return Trap(TrapCode::kIntegerDivisionByZero);
      return Val(x / y);
    case Opcode::kUrem:
      if (y == 0) return Trap(TrapCode::kIntegerDivisionByZero);
      return Val(x % y);
    case Opcode::kSdiv:
      if (y == 0) return Trap(TrapCode::kIntegerDivisionByZero);
      if (x == sign_min && y == mask) return Trap(TrapCode::kIntegerOverflow);
      return Val(static_cast<uint64_t>(sext(x) / sext(y)) & mask);
    case Opcode::kSrem:
      if (y == 0) return Trap(TrapCode::kIntegerDivisionByZero);
      if (x == sign_min && y == mask) return Val(0);  // No trap in wasm.
      return Val(static_cast<uint64_t>(sext(x) % sext(y)) & mask);
    default:
      return Unsupported();
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

template <typename F>
std::optional<F> EvalFloat(Opcode op, F x, F y) {
  switch (op) {
    case Opcode::kFadd: return x + y;
    case Opcode::kFsub: return x - y;
    case Opcode::kFmul: return x * y;
    case Opcode::kFdiv: return x / y;
    case Opcode::kFmin:
    case Opcode::kFmax: {
      if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<F>::quiet_NaN();
      if (x == y) {
        // -0 vs +0: min prefers the negative, max the positive.
        if (x != 0) return x;
        bool neg = op == Opcode::kFmin ? (std::signbit(x) || std::signbit(y))
                                       : (std::signbit(x) && std::signbit(y));
        return neg ? -F(0) : F(0);
      }
      return op == Opcode::kFmin ? (x < y ? x : y) : (x > y ? x : y);
    }
    case Opcode::kSqrt: return std::sqrt(x);
    case Opcode::kCeil: return std::ceil(x);
    case Opcode::kFloor: return std::floor(x);
    case Opcode::kTrunc: return std::trunc(x);
    case Opcode::kNearest: return std::nearbyint(x);  // Ties to even.
    default: return std::nullopt;
  }
}

EvalResult EvalFcvtToInt(Opcode op, Type to, double x) {
  const bool sat = op == Opcode::kFcvtToSintSat || op == Opcode::kFcvtToUintSat;
  const bool is_signed = op == Opcode::kFcvtToSint || op == Opcode::kFcvtToSintSat;
  const bool is64 = to == Type::kI64;
  if (std::isnan(x)) {
    if (!sat) return Trap(TrapCode::kBadConversionToInteger);
    return Val(0);
  }
  double t = std::trunc(x);
  // Valid iff lo <= t < hi; the bounds are powers of two, exact in double.
  double lo, hi;
  if (is_signed) {
    lo = is64 ? -9223372036854775808.0 : -2147483648.0;
    hi = is64 ? 9223372036854775808.0 : 2147483648.0;
  } else {
    lo = 0.0;
    hi = is64 ? 18446744073709551616.0 : 4294967296.0;
  }
  if (t < lo || t >= hi) {
    if (!sat) return Trap(TrapCode::kIntegerOverflow);
    if (is_signed) {
      if (t < lo) return Val(is64 ? uint64_t{1} << 63 : uint64_t{0x80000000});
      return Val(is64 ? ~uint64_t{0} >> 1 : uint64_t{0x7fffffff});
    }
    if (t < lo) return Val(0);
    return Val(is64 ? ~uint64_t{0} : uint64_t{0xffffffff});
  }
  if (is_signed) {
    int64_t v = static_cast<int64_t>(t);
    return Val(is64 ? static_cast<uint64_t>(v)
                    : static_cast<uint64_t>(v) & 0xffffffffu);
  }
  return Val(static_cast<uint64_t>(t));
}

EvalResult EvalIntToFloat(Opcode op, Type from, Type to, uint64_t x) {
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
    return Val(Bits(r));
  }
  double r;
  if (from == Type::kI32) {
    r = is_signed ? static_cast<double>(static_cast<int32_t>(x))
                  : static_cast<double>(static_cast<uint32_t>(x));
  } else {
    r = is_signed ? static_cast<double>(static_cast<int64_t>(x))
                  : static_cast<double>(x);
  }
  return Val(Bits(r));
}

}  // namespace

EvalResult Evaluate(Opcode op, Type ctrl, Type arg_type, uint8_t code,
                    int64_t imm, const uint64_t* a, int n) {
  const int bits = TypeBits(arg_type);
  const OpcodeInfo& info = GetOpcodeInfo(op);
  switch (info.format) {
    case InstFormat::kBinary:
      if (n != 2) return Unsupported();
      if (IsInt(arg_type)) return EvalInt(op, bits, a[0], a[1]);
      if (arg_type == Type::kF32) {
        if (op == Opcode::kFcopysign) {
          return Val((a[0] & 0x7fffffffu) | (a[1] & 0x80000000u));
        }
        auto r = EvalFloat<float>(op, AsF32(a[0]), AsF32(a[1]));
        return r ? Val(Bits(*r)) : Unsupported();
      }
      if (arg_type == Type::kF64) {
        const uint64_t sign = uint64_t{1} << 63;
        if (op == Opcode::kFcopysign) return Val((a[0] & ~sign) | (a[1] & sign));
        auto r = EvalFloat<double>(op, AsF64(a[0]), AsF64(a[1]));
        return r ? Val(Bits(*r)) : Unsupported();
      }
      return Unsupported();
    case InstFormat::kBinaryImm:
      if (n != 1 || !IsInt(arg_type)) return Unsupported();
      return EvalInt(op, bits, a[0], static_cast<uint64_t>(imm));
    case InstFormat::kIntCompare:
      if (n != 2 || code >= 10) return Unsupported();
      return Val(IntCompare(static_cast<IntCC>(code), bits, a[0], a[1]) ? 1 : 0);
    case InstFormat::kFloatCompare:
      if (n != 2 || code >= 8) return Unsupported();
      if (arg_type == Type::kF32) {
        return Val(FloatCompare(static_cast<FloatCC>(code), AsF32(a[0]),
                                AsF32(a[1])));
      }
      return Val(FloatCompare(static_cast<FloatCC>(code), AsF64(a[0]),
                              AsF64(a[1])));
    case InstFormat::kTernary:
      if (op != Opcode::kSelect || n != 3) return Unsupported();
      return Val((a[0] & 0xffffffffu) ? a[1] : a[2]);
    case InstFormat::kUnary:
      if (n != 1) return Unsupported();
      break;
    default:
      return Unsupported();
  }
  const uint64_t x = a[0];
  const uint64_t mask32 = 0xffffffffu;
  const bool is32 = bits == 32;
  switch (op) {
    case Opcode::kClz:
      return Val(is32 ? std::countl_zero(static_cast<uint32_t>(x))
                      : std::countl_zero(x));
    case Opcode::kCtz:
      return Val(is32 ? std::countr_zero(static_cast<uint32_t>(x))
                      : std::countr_zero(x));
    case Opcode::kPopcnt:
      return Val(is32 ? std::popcount(static_cast<uint32_t>(x))
                      : std::popcount(x));
    case Opcode::kSextend8:
    case Opcode::kSextend16:
    case Opcode::kSextend32: {
      int64_t v = op == Opcode::kSextend8    ? static_cast<int8_t>(x)
                  : op == Opcode::kSextend16 ? static_cast<int16_t>(x)
                                             : static_cast<int32_t>(x);
      return Val(is32 ? static_cast<uint64_t>(v) & mask32
                      : static_cast<uint64_t>(v));
    }
    case Opcode::kSextend:
      return Val(static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(x))));
    case Opcode::kUextend:
    case Opcode::kIreduce:
      return Val(x & mask32);
    case Opcode::kFabs:
      return Val(is32 ? x & 0x7fffffffu : x & ~(uint64_t{1} << 63));
    case Opcode::kFneg:
      return Val(is32 ? (x ^ 0x80000000u) & mask32 : x ^ (uint64_t{1} << 63));
    case Opcode::kSqrt:
    case Opcode::kCeil:
    case Opcode::kFloor:
    case Opcode::kTrunc:
    case Opcode::kNearest:
      if (arg_type == Type::kF32) {
        return Val(Bits(*EvalFloat<float>(op, AsF32(x), 0.0f)));
      }
      return Val(Bits(*EvalFloat<double>(op, AsF64(x), 0.0)));
    case Opcode::kFcvtToSint:
    case Opcode::kFcvtToUint:
    case Opcode::kFcvtToSintSat:
    case Opcode::kFcvtToUintSat:
      return EvalFcvtToInt(op, ctrl,
                           arg_type == Type::kF32 ? AsF32(x) : AsF64(x));
    case Opcode::kFcvtFromSint:
    case Opcode::kFcvtFromUint:
      return EvalIntToFloat(op, arg_type, ctrl, x);
    case Opcode::kFpromote:
      return Val(Bits(static_cast<double>(AsF32(x))));
    case Opcode::kFdemote:
      return Val(Bits(static_cast<float>(AsF64(x))));
    case Opcode::kBitcast:
      return Val(TypeBits(ctrl) == 32 ? x & mask32 : x);
    default:
      return Unsupported();
  }
}

}  // namespace kiln::ir
