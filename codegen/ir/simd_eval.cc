#include "codegen/ir/simd_eval.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "codegen/ir/eval.h"

namespace kiln::ir {
namespace {

struct Vec {
  uint8_t b[16] = {};
  explicit Vec(const Bits128& x) {
    std::memcpy(b, &x.lo, 8);
    std::memcpy(b + 8, &x.hi, 8);
  }
  Vec() = default;
  Bits128 ToBits() const {
    Bits128 x;
    std::memcpy(&x.lo, b, 8);
    std::memcpy(&x.hi, b + 8, 8);
    return x;
  }
  // Lane k of `bits` bits, zero-extended.
  uint64_t Get(int bits, int k) const {
    uint64_t v = 0;
    std::memcpy(&v, b + k * bits / 8, bits / 8);
    return v;
  }
  int64_t GetS(int bits, int k) const {
    const int shift = 64 - bits;
    return static_cast<int64_t>(Get(bits, k) << shift) >> shift;
  }
  void Set(int bits, int k, uint64_t v) { std::memcpy(b + k * bits / 8, &v, bits / 8); }
};

uint64_t Mask(int bits) { return bits == 64 ? ~0ull : (1ull << bits) - 1; }

int64_t Clamp(int64_t v, int64_t lo, int64_t hi) { return std::min(std::max(v, lo), hi); }

// One scalar operation through eval.h.
uint64_t Scalar(Opcode op, Type ctrl, Type arg, uint8_t code,
                std::initializer_list<uint64_t> in) {
  uint64_t a[3] = {};
  int n = 0;
  for (uint64_t x : in) a[n++] = x;
  return Evaluate(op, ctrl, arg, code, 0, a, n).bits;
}

bool IntCompare(IntCC cc, int64_t as, int64_t bs, uint64_t au, uint64_t bu) {
  switch (cc) {
    case IntCC::kEq: return au == bu;
    case IntCC::kNe: return au != bu;
    case IntCC::kSlt: return as < bs;
    case IntCC::kSle: return as <= bs;
    case IntCC::kSgt: return as > bs;
    case IntCC::kSge: return as >= bs;
    case IntCC::kUlt: return au < bu;
    case IntCC::kUle: return au <= bu;
    case IntCC::kUgt: return au > bu;
    case IntCC::kUge: return au >= bu;
  }
  return false;
}

// x * y + z rounded once, on the bits of float type F (integer type U).
template <typename F, typename U>
uint64_t FmaBits(uint64_t x, uint64_t y, uint64_t z) {
  F v[3];
  const U in[3] = {static_cast<U>(x), static_cast<U>(y), static_cast<U>(z)};
  std::memcpy(v, in, sizeof(in));
  const F r = std::fma(v[0], v[1], v[2]);
  U out;
  std::memcpy(&out, &r, sizeof(r));
  return out;
}

// The scalar row computing a float lane operation.
std::optional<Opcode> ScalarFloatOp(Opcode op) {
  switch (op) {
    case Opcode::kVfadd: return Opcode::kFadd;
    case Opcode::kVfsub: return Opcode::kFsub;
    case Opcode::kVfmul: return Opcode::kFmul;
    case Opcode::kVfdiv: return Opcode::kFdiv;
    case Opcode::kVfmin: return Opcode::kFmin;
    case Opcode::kVfmax: return Opcode::kFmax;
    case Opcode::kVsqrt: return Opcode::kSqrt;
    case Opcode::kVfabs: return Opcode::kFabs;
    case Opcode::kVfneg: return Opcode::kFneg;
    case Opcode::kVceil: return Opcode::kCeil;
    case Opcode::kVfloor: return Opcode::kFloor;
    case Opcode::kVtrunc: return Opcode::kTrunc;
    case Opcode::kVnearest: return Opcode::kNearest;
    default: return std::nullopt;
  }
}

}  // namespace

std::optional<Bits128> EvaluateVector(Opcode op, Type shape, uint8_t code,
                                      int64_t imm, const Bits128* args,
                                      int num_args) {
  if (GetOpcodeInfo(op).format != InstFormat::kVector) return std::nullopt;
  const int bits = LaneBits(shape);
  const int n = LaneCount(shape);
  const Type float_type = shape == Type::kF64X2 ? Type::kF64 : Type::kF32;
  Vec a = num_args > 0 ? Vec(args[0]) : Vec();
  Vec b = num_args > 1 ? Vec(args[1]) : Vec();
  const uint64_t s0 = num_args > 0 ? args[0].lo : 0;
  const uint64_t s1 = num_args > 1 ? args[1].lo : 0;
  Vec r;
  auto lanes = [&](auto fn) {
    for (int k = 0; k < n; ++k) r.Set(bits, k, fn(k) & Mask(bits));
  };
  auto scalar = [](uint64_t v) { return Bits128{v, 0}; };
  switch (op) {
    case Opcode::kVconst: return Bits128{s0, s1};
    case Opcode::kShuffle: {
      Vec m(Bits128{args[2].lo, args[3].lo});
      for (int k = 0; k < 16; ++k) {
        const uint8_t i = m.b[k];
        r.b[k] = i < 16 ? a.b[i] : i < 32 ? b.b[i - 16] : 0;
      }
      break;
    }
    case Opcode::kSwizzle:
      for (int k = 0; k < 16; ++k) r.b[k] = b.b[k] < 16 ? a.b[b.b[k]] : 0;
      break;
    case Opcode::kSplat: lanes([&](int) { return s0; }); break;
    case Opcode::kScalarToVector: r.Set(bits, 0, s0 & Mask(bits)); break;
    case Opcode::kExtractlane: return scalar(a.Get(bits, static_cast<int>(imm)));
    case Opcode::kInsertlane:
      r = a;
      r.Set(bits, static_cast<int>(imm), s1 & Mask(bits));
      break;
    case Opcode::kVband: return Bits128{args[0].lo & args[1].lo, args[0].hi & args[1].hi};
    case Opcode::kVbor: return Bits128{args[0].lo | args[1].lo, args[0].hi | args[1].hi};
    case Opcode::kVbxor: return Bits128{args[0].lo ^ args[1].lo, args[0].hi ^ args[1].hi};
    case Opcode::kVbandNot:
      return Bits128{args[0].lo & ~args[1].lo, args[0].hi & ~args[1].hi};
    case Opcode::kVbnot: return Bits128{~args[0].lo, ~args[0].hi};
    case Opcode::kBitselect:  // c, x, y
      return Bits128{(args[1].lo & args[0].lo) | (args[2].lo & ~args[0].lo),
                     (args[1].hi & args[0].hi) | (args[2].hi & ~args[0].hi)};
    case Opcode::kVanyTrue: return scalar((args[0].lo | args[0].hi) != 0);
    case Opcode::kVallTrue: {
      bool all = true;
      for (int k = 0; k < n; ++k) all &= a.Get(bits, k) != 0;
      return scalar(all);
    }
    case Opcode::kVhighBits: {
      uint64_t m = 0;
      for (int k = 0; k < n; ++k) m |= (a.Get(bits, k) >> (bits - 1)) << k;
      return scalar(m);
    }
    case Opcode::kViadd: lanes([&](int k) { return a.Get(bits, k) + b.Get(bits, k); }); break;
    case Opcode::kVisub: lanes([&](int k) { return a.Get(bits, k) - b.Get(bits, k); }); break;
    case Opcode::kVimul: lanes([&](int k) { return a.Get(bits, k) * b.Get(bits, k); }); break;
    case Opcode::kVineg: lanes([&](int k) { return 0 - a.Get(bits, k); }); break;
    case Opcode::kViabs:
      lanes([&](int k) {
        int64_t v = a.GetS(bits, k);
        return static_cast<uint64_t>(v < 0 ? 0 - static_cast<uint64_t>(v) : v);
      });
      break;
    case Opcode::kVsaddSat: case Opcode::kVssubSat: {
      const int64_t lo = -(int64_t{1} << (bits - 1)), hi = (int64_t{1} << (bits - 1)) - 1;
      const bool add = op == Opcode::kVsaddSat;
      lanes([&](int k) {
        int64_t x = a.GetS(bits, k), y = b.GetS(bits, k);
        return static_cast<uint64_t>(Clamp(add ? x + y : x - y, lo, hi));
      });
      break;
    }
    case Opcode::kVuaddSat: case Opcode::kVusubSat: {
      const bool add = op == Opcode::kVuaddSat;
      lanes([&](int k) {
        int64_t x = a.Get(bits, k), y = b.Get(bits, k);
        return static_cast<uint64_t>(
            Clamp(add ? x + y : x - y, 0, static_cast<int64_t>(Mask(bits))));
      });
      break;
    }
    case Opcode::kVsmin: lanes([&](int k) { return static_cast<uint64_t>(std::min(a.GetS(bits, k), b.GetS(bits, k))); }); break;
    case Opcode::kVsmax: lanes([&](int k) { return static_cast<uint64_t>(std::max(a.GetS(bits, k), b.GetS(bits, k))); }); break;
    case Opcode::kVumin: lanes([&](int k) { return std::min(a.Get(bits, k), b.Get(bits, k)); }); break;
    case Opcode::kVumax: lanes([&](int k) { return std::max(a.Get(bits, k), b.Get(bits, k)); }); break;
    case Opcode::kAvgRound:
      lanes([&](int k) { return (a.Get(bits, k) + b.Get(bits, k) + 1) >> 1; });
      break;
    case Opcode::kVpopcnt:
      lanes([&](int k) { return static_cast<uint64_t>(std::popcount(a.Get(bits, k))); });
      break;
    case Opcode::kSqmulRoundSat:
      lanes([&](int k) {
        int64_t p = a.GetS(16, k) * b.GetS(16, k);
        return static_cast<uint64_t>(Clamp((p + 0x4000) >> 15, -32768, 32767));
      });
      break;
    case Opcode::kX86Pmulhrsw:  // lanes() wraps 0x8000 * 0x8000 to 0x8000
      lanes([&](int k) {
        return static_cast<uint64_t>((a.GetS(16, k) * b.GetS(16, k) + 0x4000) >> 15);
      });
      break;
    case Opcode::kX86Blendv: {  // c, x, y
      Vec x(args[1]), y(args[2]);
      lanes([&](int k) { return a.Get(bits, k) >> (bits - 1) ? x.Get(bits, k) : y.Get(bits, k); });
      break;
    }
    case Opcode::kVfma: {
      Vec c(args[2]);
      lanes([&](int k) -> uint64_t {
        return bits == 32 ? FmaBits<float, uint32_t>(a.Get(32, k), b.Get(32, k), c.Get(32, k))
                          : FmaBits<double, uint64_t>(a.Get(64, k), b.Get(64, k), c.Get(64, k));
      });
      break;
    }
    case Opcode::kX86Pshufb:
      for (int k = 0; k < 16; ++k) r.b[k] = b.b[k] & 0x80 ? 0 : a.b[b.b[k] & 15];
      break;
    case Opcode::kX86Pmaddubsw:
      for (int k = 0; k < 8; ++k) {
        int64_t v = a.GetS(8, 2 * k) * static_cast<int64_t>(b.Get(8, 2 * k)) +
                    a.GetS(8, 2 * k + 1) * static_cast<int64_t>(b.Get(8, 2 * k + 1));
        r.Set(16, k, static_cast<uint64_t>(Clamp(v, -32768, 32767)));
      }
      break;
    case Opcode::kVishl: case Opcode::kVushr: case Opcode::kVsshr: {
      const int sh = static_cast<int>(s1 % bits);
      lanes([&](int k) {
        if (op == Opcode::kVishl) return a.Get(bits, k) << sh;
        if (op == Opcode::kVushr) return a.Get(bits, k) >> sh;
        return static_cast<uint64_t>(a.GetS(bits, k) >> sh);
      });
      break;
    }
    case Opcode::kVicmp:
      lanes([&](int k) {
        return IntCompare(static_cast<IntCC>(code), a.GetS(bits, k), b.GetS(bits, k),
                          a.Get(bits, k), b.Get(bits, k))
                   ? ~0ull
                   : 0;
      });
      break;
    case Opcode::kVfcmp:
      lanes([&](int k) {
        return Scalar(Opcode::kFcmp, Type::kI32, float_type, code,
                      {a.Get(bits, k), b.Get(bits, k)})
                   ? ~0ull
                   : 0;
      });
      break;
    case Opcode::kSwidenLow: case Opcode::kSwidenHigh: case Opcode::kUwidenLow:
    case Opcode::kUwidenHigh: {
      const bool s = op == Opcode::kSwidenLow || op == Opcode::kSwidenHigh;
      const int off = op == Opcode::kSwidenHigh || op == Opcode::kUwidenHigh ? n / 2 : 0;
      for (int k = 0; k < n / 2; ++k) {
        uint64_t v = s ? static_cast<uint64_t>(a.GetS(bits, k + off)) : a.Get(bits, k + off);
        r.Set(2 * bits, k, v & Mask(2 * bits));
      }
      break;
    }
    case Opcode::kSnarrow: case Opcode::kUnarrow: {
      const int h = bits / 2;
      const int64_t lo = op == Opcode::kSnarrow ? -(int64_t{1} << (h - 1)) : 0;
      const int64_t hi = op == Opcode::kSnarrow ? (int64_t{1} << (h - 1)) - 1
                                                : static_cast<int64_t>(Mask(h));
      for (int k = 0; k < n; ++k) {
        r.Set(h, k, static_cast<uint64_t>(Clamp(a.GetS(bits, k), lo, hi)) & Mask(h));
        r.Set(h, k + n, static_cast<uint64_t>(Clamp(b.GetS(bits, k), lo, hi)) & Mask(h));
      }
      break;
    }
    case Opcode::kSwidenAddPairwise: case Opcode::kUwidenAddPairwise: {
      const bool s = op == Opcode::kSwidenAddPairwise;
      auto ext = [&](int k) { return s ? static_cast<uint64_t>(a.GetS(bits, k)) : a.Get(bits, k); };
      for (int k = 0; k < n / 2; ++k) {
        r.Set(2 * bits, k, (ext(2 * k) + ext(2 * k + 1)) & Mask(2 * bits));
      }
      break;
    }
    case Opcode::kSwidenMulLow: case Opcode::kSwidenMulHigh: case Opcode::kUwidenMulLow:
    case Opcode::kUwidenMulHigh: {
      const bool s = op == Opcode::kSwidenMulLow || op == Opcode::kSwidenMulHigh;
      const int off = op == Opcode::kSwidenMulHigh || op == Opcode::kUwidenMulHigh ? n / 2 : 0;
      for (int k = 0; k < n / 2; ++k) {
        uint64_t x = s ? static_cast<uint64_t>(a.GetS(bits, k + off)) : a.Get(bits, k + off);
        uint64_t y = s ? static_cast<uint64_t>(b.GetS(bits, k + off)) : b.Get(bits, k + off);
        r.Set(2 * bits, k, (x * y) & Mask(2 * bits));
      }
      break;
    }
    case Opcode::kSdotPairwise:
      for (int k = 0; k < 4; ++k) {
        int64_t v = a.GetS(16, 2 * k) * b.GetS(16, 2 * k) +
                    a.GetS(16, 2 * k + 1) * b.GetS(16, 2 * k + 1);
        r.Set(32, k, static_cast<uint64_t>(v) & Mask(32));
      }
      break;
    case Opcode::kFminPseudo: case Opcode::kFmaxPseudo: {
      const bool mn = op == Opcode::kFminPseudo;
      lanes([&](int k) {
        uint64_t x = a.Get(bits, k), y = b.Get(bits, k);
        // pmin: y < x ? y : x; pmax: x < y ? y : x.
        bool lt = mn ? Scalar(Opcode::kFcmp, Type::kI32, float_type,
                              static_cast<uint8_t>(FloatCC::kLt), {y, x})
                     : Scalar(Opcode::kFcmp, Type::kI32, float_type,
                              static_cast<uint8_t>(FloatCC::kLt), {x, y});
        return lt ? y : x;
      });
      break;
    }
    case Opcode::kVfcvtFromSint: case Opcode::kVfcvtFromUint: {
      const Opcode s = op == Opcode::kVfcvtFromSint ? Opcode::kFcvtFromSint
                                                    : Opcode::kFcvtFromUint;
      lanes([&](int k) { return Scalar(s, Type::kF32, Type::kI32, 0, {a.Get(32, k)}); });
      break;
    }
    case Opcode::kFcvtLowFromSint: case Opcode::kFcvtLowFromUint: {
      const Opcode s = op == Opcode::kFcvtLowFromSint ? Opcode::kFcvtFromSint
                                                      : Opcode::kFcvtFromUint;
      for (int k = 0; k < 2; ++k) {
        r.Set(64, k, Scalar(s, Type::kF64, Type::kI32, 0, {a.Get(32, k)}));
      }
      break;
    }
    case Opcode::kVfcvtToSintSat: case Opcode::kVfcvtToUintSat: {
      const Opcode s = op == Opcode::kVfcvtToSintSat ? Opcode::kFcvtToSintSat
                                                     : Opcode::kFcvtToUintSat;
      lanes([&](int k) { return Scalar(s, Type::kI32, Type::kF32, 0, {a.Get(32, k)}); });
      break;
    }
    case Opcode::kFcvtToSintSatZero: case Opcode::kFcvtToUintSatZero: {
      const Opcode s = op == Opcode::kFcvtToSintSatZero ? Opcode::kFcvtToSintSat
                                                        : Opcode::kFcvtToUintSat;
      for (int k = 0; k < 2; ++k) {
        r.Set(32, k, Scalar(s, Type::kI32, Type::kF64, 0, {a.Get(64, k)}) & Mask(32));
      }
      break;
    }
    case Opcode::kFvdemote:
      for (int k = 0; k < 2; ++k) {
        r.Set(32, k, Scalar(Opcode::kFdemote, Type::kF32, Type::kF64, 0, {a.Get(64, k)}));
      }
      break;
    case Opcode::kFvpromoteLow:
      for (int k = 0; k < 2; ++k) {
        r.Set(64, k, Scalar(Opcode::kFpromote, Type::kF64, Type::kF32, 0, {a.Get(32, k)}));
      }
      break;
    default: {
      std::optional<Opcode> s = ScalarFloatOp(op);
      if (!s) return std::nullopt;
      const bool unary = num_args == 1;
      lanes([&](int k) {
        return unary ? Scalar(*s, float_type, float_type, 0, {a.Get(bits, k)})
                     : Scalar(*s, float_type, float_type, 0,
                              {a.Get(bits, k), b.Get(bits, k)});
      });
      break;
    }
  }
  return r.ToBits();
}

}  // namespace kiln::ir
