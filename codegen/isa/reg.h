// Registers shared by every ISA: physical registers (PReg), virtual registers
// (VReg), register classes and register sets.
//
// PReg numbering is ISA-neutral: indices 0..31 are integer registers (the
// hardware encoding), 32..63 float/vector registers (32 + hardware number).
// A RegSet is a 64-bit mask over PReg indices.
#ifndef KILN_CODEGEN_ISA_REG_H_
#define KILN_CODEGEN_ISA_REG_H_

#include <cstdint>

namespace kiln::isa {

enum class RegClass : uint8_t { kInt = 0, kFloat = 1 };
inline constexpr int kNumRegClasses = 2;

class PReg {
 public:
  static constexpr int kMaxIndex = 64;
  constexpr PReg() = default;
  static constexpr PReg FromIndex(int index) { return PReg(index); }
  static constexpr PReg Int(int hw) { return PReg(hw); }
  static constexpr PReg Float(int hw) { return PReg(32 + hw); }
  constexpr int index() const { return index_; }
  constexpr int hw() const { return index_ & 31; }
  constexpr RegClass cls() const {
    return index_ >= 32 ? RegClass::kFloat : RegClass::kInt;
  }
  constexpr bool valid() const { return index_ >= 0; }
  friend constexpr bool operator==(PReg a, PReg b) { return a.index_ == b.index_; }
  friend constexpr bool operator!=(PReg a, PReg b) { return a.index_ != b.index_; }

 private:
  constexpr explicit PReg(int index) : index_(static_cast<int8_t>(index)) {}
  int8_t index_ = -1;
};

// Dense virtual register id, allocated by VCode::NewVReg.
using VReg = uint32_t;
inline constexpr VReg kInvalidVReg = ~0u;

class RegSet {
 public:
  constexpr RegSet() = default;
  constexpr explicit RegSet(uint64_t bits) : bits_(bits) {}
  constexpr void Add(PReg r) { bits_ |= uint64_t{1} << r.index(); }
  constexpr void Remove(PReg r) { bits_ &= ~(uint64_t{1} << r.index()); }
  constexpr bool Contains(PReg r) const { return (bits_ >> r.index()) & 1; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr uint64_t bits() const { return bits_; }
  constexpr RegSet operator|(RegSet o) const { return RegSet(bits_ | o.bits_); }
  constexpr RegSet operator&(RegSet o) const { return RegSet(bits_ & o.bits_); }
  friend constexpr bool operator==(RegSet a, RegSet b) { return a.bits_ == b.bits_; }

 private:
  uint64_t bits_ = 0;
};

}  // namespace kiln::isa

#endif  // KILN_CODEGEN_ISA_REG_H_
