#include "codegen/ir/verifier.h"

#include "codegen/ir/simd.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "codegen/ir/cfg.h"
#include "codegen/ir/dominator_tree.h"
#include "codegen/ir/printer.h"

namespace kiln::ir {
namespace {

// A pointer reaches one kind of memory (alias analysis relies on it).
bool OneRegionAtMost(uint8_t mem_flags) {
  const uint8_t r = mem_flags & (kMemVmctx | kMemGlobal | kMemTable);
  return (r & (r - 1)) == 0;
}

bool IsValidType(Type t) {
  return t == Type::kI32 || t == Type::kI64 || t == Type::kF32 ||
         t == Type::kF64 || t == Type::kV128;
}

class Verifier {
 public:
  explicit Verifier(const Function& f) : f_(f) {}

  absl::Status Run() {
    if (auto s = CheckPreamble(); !s.ok()) return s;
    Block entry = f_.entry_block();
    if (!entry.valid()) return FuncError("has no blocks");
    auto params = f_.block_params(entry);
    const Signature& sig = f_.signature();
    if (params.size() != sig.params.size()) {
      return BlockError(entry, absl::StrCat("entry block has ", params.size(),
                                            " parameters, the signature has ",
                                            sig.params.size()));
    }
    for (size_t k = 0; k < params.size(); ++k) {
      if (f_.value_type(params[k]) != sig.params[k]) {
        return BlockError(
            entry, absl::StrCat("entry parameter ", ValueName(params[k]),
                                " has type ", TypeName(f_.value_type(params[k])),
                                ", the signature says ",
                                TypeName(sig.params[k])));
      }
    }
    pos_.assign(f_.num_insts(), 0);
    for (Block b : f_.blocks()) {
      if (auto s = CheckBlockStructure(b); !s.ok()) return s;
    }
    for (Block b : f_.blocks()) {
      for (Inst i : f_.insts(b)) {
        if (auto s = CheckInst(b, i); !s.ok()) return s;
      }
    }
    cfg_.Compute(f_);
    dt_.Compute(f_, cfg_);
    for (Block b : f_.blocks()) {
      if (!dt_.IsReachable(b)) continue;  // Dominance is vacuous there.
      for (Inst i : f_.insts(b)) {
        for (Value v : f_.args(i)) {
          if (auto s = CheckDominance(b, i, v); !s.ok()) return s;
        }
        for (const BlockCall& bc : f_.block_calls(i)) {
          for (Value v : f_.List(bc.args)) {
            if (auto s = CheckDominance(b, i, v); !s.ok()) return s;
          }
        }
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status FuncError(absl::string_view msg) {
    return absl::InvalidArgumentError(
        absl::StrCat("function %", f_.name(), ": ", msg));
  }
  absl::Status BlockError(Block b, absl::string_view msg) {
    return absl::InvalidArgumentError(absl::StrCat(BlockName(b), ": ", msg));
  }
  absl::Status InstError(Block b, Inst i, absl::string_view msg) {
    return absl::InvalidArgumentError(
        absl::StrCat(BlockName(b), ": ", PrintInst(f_, i), ": ", msg));
  }

  absl::Status CheckSig(const Signature& s, absl::string_view what) {
    for (Type t : s.params) {
      if (!IsValidType(t)) {
        return FuncError(absl::StrCat(what, " has unsupported type ", TypeName(t)));
      }
    }
    for (Type t : s.results) {
      if (!IsValidType(t)) {
        return FuncError(absl::StrCat(what, " has unsupported type ", TypeName(t)));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckPreamble() {
    if (auto s = CheckSig(f_.signature(), "signature"); !s.ok()) return s;
    for (uint32_t k = 0; k < f_.num_signatures(); ++k) {
      if (auto s = CheckSig(f_.sig(SigRef(k)), absl::StrCat("sig", k)); !s.ok()) {
        return s;
      }
    }
    for (uint32_t k = 0; k < f_.num_ext_funcs(); ++k) {
      if (f_.ext_func(FuncRef(k)).sig.index >= f_.num_signatures()) {
        return FuncError(absl::StrCat("fn", k, " uses an undeclared signature"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckBlockStructure(Block b) {
    if (!f_.first_inst(b).valid()) return BlockError(b, "block is empty");
    for (Value p : f_.block_params(b)) {
      const ValueData& d = f_.value(p);
      if (d.kind != ValueDefKind::kParam || d.def != b.index) {
        return BlockError(b, absl::StrCat("parameter ", ValueName(p),
                                          " is not defined by this block"));
      }
      if (!IsValidType(d.type)) {
        return BlockError(b, absl::StrCat("parameter ", ValueName(p),
                                          " has unsupported type ",
                                          TypeName(d.type)));
      }
    }
    uint32_t n = 0;
    for (Inst i : f_.insts(b)) {
      pos_[i.index] = n++;
      if (f_.inst_block(i) != b) {
        return InstError(b, i, "instruction's block link is inconsistent");
      }
      bool last = i == f_.last_inst(b);
      bool term = IsTerminator(f_.opcode(i));
      if (term && !last) {
        return InstError(b, i, "terminator in the middle of the block");
      }
      if (!term && last) {
        return InstError(b, i, "block does not end in a terminator");
      }
    }
    return absl::OkStatus();
  }

  // Checks that `v` is usable as an operand and returns its type.
  absl::Status CheckOperand(Block b, Inst i, Value v) {
    if (!f_.IsValueDefined(v)) {
      return InstError(b, i, absl::StrCat("operand ", ValueName(v),
                                          " is not defined"));
    }
    const ValueData& d = f_.value(v);
    if (d.kind == ValueDefKind::kResult &&
        !f_.IsBlockInLayout(f_.inst_block(Inst(d.def)))) {
      return InstError(b, i, absl::StrCat("operand ", ValueName(v),
                                          " is defined by a removed instruction"));
    }
    if (d.kind == ValueDefKind::kParam && !f_.IsBlockInLayout(Block(d.def))) {
      return InstError(b, i, absl::StrCat("operand ", ValueName(v),
                                          " is a parameter of a removed block"));
    }
    return absl::OkStatus();
  }

  absl::Status ExpectType(Block b, Inst i, size_t k, Type want) {
    Value v = f_.args(i)[k];
    Type t = f_.value_type(v);
    if (t != want) {
      return InstError(b, i, absl::StrCat("operand ", ValueName(v), " has type ",
                                          TypeName(t), ", expected ",
                                          TypeName(want)));
    }
    return absl::OkStatus();
  }

  absl::Status ExpectClass(Block b, Inst i, size_t k, TypeClass c) {
    Value v = f_.args(i)[k];
    Type t = f_.value_type(v);
    bool ok = (c == TypeClass::kInt && IsInt(t)) ||
              (c == TypeClass::kFloat && IsFloat(t)) ||
              (c == TypeClass::kAny && IsValidType(t)) || c == TypeClass::kNone;
    if (!ok) {
      const char* want = c == TypeClass::kInt ? "an integer" : "a float";
      return InstError(b, i, absl::StrCat("operand ", ValueName(v), " has type ",
                                          TypeName(t), ", expected ", want,
                                          " type"));
    }
    return absl::OkStatus();
  }

  absl::Status ExpectArgs(Block b, Inst i, absl::Span<const Value> args,
                          size_t first, const std::vector<Type>& types,
                          absl::string_view what) {
    if (args.size() - first != types.size()) {
      return InstError(b, i, absl::StrCat("has ", args.size() - first, " ", what,
                                          ", expected ", types.size()));
    }
    for (size_t k = 0; k < types.size(); ++k) {
      if (auto s = ExpectType(b, i, first + k, types[k]); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status CheckBlockCall(Block b, Inst i, const BlockCall& bc,
                              bool allow_args) {
    if (!f_.IsBlockInLayout(bc.block)) {
      return InstError(b, i, absl::StrCat("target ", BlockName(bc.block),
                                          " is not in the layout"));
    }
    if (bc.block == f_.entry_block()) {
      return InstError(b, i, "the entry block cannot be a branch target");
    }
    auto params = f_.block_params(bc.block);
    auto args = f_.List(bc.args);
    if (!allow_args && !params.empty()) {
      return InstError(b, i, absl::StrCat("br_table target ",
                                          BlockName(bc.block),
                                          " must not have parameters"));
    }
    if (args.size() != params.size()) {
      return InstError(b, i, absl::StrCat("passes ", args.size(),
                                          " arguments to ", BlockName(bc.block),
                                          ", which has ", params.size(),
                                          " parameters"));
    }
    for (size_t k = 0; k < args.size(); ++k) {
      if (auto s = CheckOperand(b, i, args[k]); !s.ok()) return s;
      if (f_.value_type(args[k]) != f_.value_type(params[k])) {
        return InstError(
            b, i, absl::StrCat("argument ", ValueName(args[k]), " has type ",
                               TypeName(f_.value_type(args[k])), " but ",
                               BlockName(bc.block), " parameter ",
                               ValueName(params[k]), " has type ",
                               TypeName(f_.value_type(params[k]))));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckInst(Block b, Inst i) {
    const InstData& d = f_.inst(i);
    const OpcodeInfo& info = GetOpcodeInfo(d.opcode);
    auto args = f_.args(i);
    for (Value v : args) {
      if (auto s = CheckOperand(b, i, v); !s.ok()) return s;
    }
    // Operand count.
    size_t want_args = 0;
    const Signature* call_sig = nullptr;
    switch (info.format) {
      case InstFormat::kUnaryImm:
      case InstFormat::kUnaryIeee32:
      case InstFormat::kUnaryIeee64:
      case InstFormat::kTrap:
      case InstFormat::kJump:
        want_args = 0;
        break;
      case InstFormat::kUnary:
      case InstFormat::kBinaryImm:
      case InstFormat::kLoad:
      case InstFormat::kCondTrap:
      case InstFormat::kBrif:
      case InstFormat::kBrTable:
        want_args = 1;
        break;
      case InstFormat::kBinary:
      case InstFormat::kIntCompare:
      case InstFormat::kFloatCompare:
      case InstFormat::kStore:
      case InstFormat::kHeapLoad:
        want_args = 2;
        break;
      case InstFormat::kTernary:
      case InstFormat::kHeapStore:
        want_args = 3;
        break;
      case InstFormat::kCall:
      case InstFormat::kCallIndirect:
        call_sig = f_.CallSignature(i);
        if (!call_sig) return InstError(b, i, "undeclared callee or signature");
        want_args = call_sig->params.size() +
                    (info.format == InstFormat::kCallIndirect ? 1 : 0);
        break;
      case InstFormat::kReturn:
        want_args = f_.signature().results.size();
        break;
      case InstFormat::kVector:
        want_args = VectorNumArgs(d.opcode);
        break;
      case InstFormat::kAtomic:
        want_args = AtomicValueArgs(d.opcode) + 2;
        break;
      case InstFormat::kNullary:
        want_args = 0;
        break;
    }
    if (args.size() != want_args) {
      return InstError(b, i, absl::StrCat("has ", args.size(),
                                          " operands, expected ", want_args));
    }
    // Results.
    auto results = f_.results(i);
    uint32_t want_results = f_.ExpectedNumResults(i);
    if (results.size() != want_results) {
      return InstError(b, i, absl::StrCat("has ", results.size(),
                                          " results, expected ", want_results));
    }
    for (uint32_t k = 0; k < results.size(); ++k) {
      const ValueData& vd = f_.value(results[k]);
      if (vd.kind != ValueDefKind::kResult || vd.def != i.index || vd.num != k) {
        return InstError(b, i, absl::StrCat("result ", ValueName(results[k]),
                                            " is not linked to this instruction"));
      }
      Type want = f_.ResultType(i, k);
      if (!IsValidType(want)) {
        return InstError(b, i, absl::StrCat("result type ", TypeName(want),
                                            " is not supported"));
      }
      if (vd.type != want) {
        return InstError(b, i, absl::StrCat("result ", ValueName(results[k]),
                                            " has type ", TypeName(vd.type),
                                            ", expected ", TypeName(want)));
      }
    }
    return CheckTypes(b, i, d, info, args, call_sig);
  }

  absl::Status CheckTypes(Block b, Inst i, const InstData& d,
                          const OpcodeInfo& info, absl::Span<const Value> args,
                          const Signature* call_sig) {
    Type ctrl = d.ctrl_type;
    auto ctrl_error = [&](absl::string_view want) {
      return InstError(b, i, absl::StrCat("controlling type ", TypeName(ctrl),
                                          " is invalid, expected ", want));
    };
    switch (info.format) {
      case InstFormat::kUnaryImm:
        if (!IsInt(ctrl)) return ctrl_error("i32 or i64");
        if (ctrl == Type::kI32 && d.imm != static_cast<int32_t>(d.imm)) {
          return InstError(b, i, "immediate does not fit in i32");
        }
        return absl::OkStatus();
      case InstFormat::kUnaryIeee32:
        if (static_cast<uint64_t>(d.imm) > 0xffffffffu) {
          return InstError(b, i, "f32 immediate has more than 32 bits");
        }
        return absl::OkStatus();
      case InstFormat::kUnaryIeee64:
        return absl::OkStatus();
      case InstFormat::kUnary:
        return CheckUnary(b, i, d, info);
      case InstFormat::kBinary:
      case InstFormat::kIntCompare:
      case InstFormat::kFloatCompare: {
        if (auto s = ExpectClass(b, i, 0, info.operands); !s.ok()) return s;
        if (auto s = ExpectType(b, i, 1, f_.value_type(args[0])); !s.ok()) {
          return s;
        }
        if (info.format == InstFormat::kIntCompare && d.code >= 10) {
          return InstError(b, i, "bad condition code");
        }
        if (info.format == InstFormat::kFloatCompare && d.code >= 8) {
          return InstError(b, i, "bad condition code");
        }
        return absl::OkStatus();
      }
      case InstFormat::kBinaryImm:
        return ExpectClass(b, i, 0, TypeClass::kInt);
      case InstFormat::kVector: {
        if (!(ShapeBit(ctrl) & VectorShapes(d.opcode))) {
          return ctrl_error("a shape the operation takes (opcodes.def)");
        }
        for (int k = 0; k < VectorNumArgs(d.opcode); ++k) {
          Type want = VectorArgType(d.opcode, ctrl, k);
          if (auto s = ExpectType(b, i, k, want); !s.ok()) return s;
        }
        if (d.imm < 0 || d.imm >= (VectorHasLane(d.opcode) ? LaneCount(ctrl) : 1)) {
          return InstError(b, i, "lane index out of range");
        }
        if ((VectorHasIntCC(d.opcode) && d.code >= 10) ||
            (VectorHasFloatCC(d.opcode) && d.code >= 8)) {
          return InstError(b, i, "bad condition code");
        }
        return absl::OkStatus();
      }
      case InstFormat::kTernary:
        if (auto s = ExpectType(b, i, 0, Type::kI32); !s.ok()) return s;
        if (auto s = ExpectClass(b, i, 1, TypeClass::kAny); !s.ok()) return s;
        return ExpectType(b, i, 2, f_.value_type(args[1]));
      case InstFormat::kLoad:
        if (!IsValidType(ctrl)) return ctrl_error("a value type");
        if (d.imm != static_cast<int32_t>(d.imm)) {
          return InstError(b, i, "offset does not fit in 32 bits (signed)");
        }
        if (!OneRegionAtMost(d.code)) {
          return InstError(b, i, "more than one alias region flag");
        }
        return ExpectType(b, i, 0, kPointerType);
      case InstFormat::kStore:
        if (d.imm != static_cast<int32_t>(d.imm)) {
          return InstError(b, i, "offset does not fit in 32 bits (signed)");
        }
        if (!OneRegionAtMost(d.code)) {
          return InstError(b, i, "more than one alias region flag");
        }
        if (auto s = ExpectClass(b, i, 0, TypeClass::kAny); !s.ok()) return s;
        return ExpectType(b, i, 1, kPointerType);
      case InstFormat::kHeapLoad:
        if (info.operands == TypeClass::kInt ? !IsInt(ctrl) : !IsValidType(ctrl)) {
          return ctrl_error(info.operands == TypeClass::kInt ? "i32 or i64"
                                                             : "a value type");
        }
        if ((d.opcode == Opcode::kHeapUload32 ||
             d.opcode == Opcode::kHeapSload32) &&
            ctrl != Type::kI64) {
          return ctrl_error("i64");
        }
        if (auto s = ExpectType(b, i, 0, kPointerType); !s.ok()) return s;
        if (auto s = ExpectHeapIndex(b, i, 1); !s.ok()) return s;
        return CheckHeapOffset(b, i, d);
      case InstFormat::kHeapStore:
        if (auto s = ExpectClass(b, i, 0, info.operands); !s.ok()) return s;
        if (d.opcode == Opcode::kHeapIstore32) {
          if (auto s = ExpectType(b, i, 0, Type::kI64); !s.ok()) return s;
        }
        if (auto s = ExpectType(b, i, 1, kPointerType); !s.ok()) return s;
        if (auto s = ExpectHeapIndex(b, i, 2); !s.ok()) return s;
        return CheckHeapOffset(b, i, d);
      case InstFormat::kAtomic: {
        if (!IsInt(ctrl)) return ctrl_error("i32 or i64");
        if (d.code > 3 || (8 << d.code) > TypeBits(ctrl)) {
          return InstError(b, i, "atomic access width wider than its type");
        }
        const int n = AtomicValueArgs(d.opcode);
        for (int k = 0; k < n; ++k) {
          if (auto s = ExpectType(b, i, k, ctrl); !s.ok()) return s;
        }
        if (auto s = ExpectType(b, i, n, kPointerType); !s.ok()) return s;
        if (auto s = ExpectType(b, i, n + 1, Type::kI32); !s.ok()) return s;
        return CheckHeapOffset(b, i, d);
      }
      case InstFormat::kNullary:
        return absl::OkStatus();
      case InstFormat::kCall:
        return ExpectArgs(b, i, args, 0, call_sig->params, "arguments");
      case InstFormat::kCallIndirect:
        if (auto s = ExpectType(b, i, 0, kPointerType); !s.ok()) return s;
        return ExpectArgs(b, i, args, 1, call_sig->params, "arguments");
      case InstFormat::kTrap:
        return CheckTrapCode(b, i, d);
      case InstFormat::kCondTrap:
        if (auto s = ExpectClass(b, i, 0, TypeClass::kInt); !s.ok()) return s;
        return CheckTrapCode(b, i, d);
      case InstFormat::kJump:
        if (d.num_bcalls != 1) return InstError(b, i, "jump needs one target");
        return CheckBlockCall(b, i, f_.block_calls(i)[0], true);
      case InstFormat::kBrif:
        if (auto s = ExpectClass(b, i, 0, TypeClass::kInt); !s.ok()) return s;
        if (d.num_bcalls != 2) return InstError(b, i, "brif needs two targets");
        for (const BlockCall& bc : f_.block_calls(i)) {
          if (auto s = CheckBlockCall(b, i, bc, true); !s.ok()) return s;
        }
        return absl::OkStatus();
      case InstFormat::kBrTable:
        if (auto s = ExpectType(b, i, 0, Type::kI32); !s.ok()) return s;
        if (d.num_bcalls < 1) return InstError(b, i, "br_table needs a default");
        for (const BlockCall& bc : f_.block_calls(i)) {
          if (auto s = CheckBlockCall(b, i, bc, false); !s.ok()) return s;
        }
        return absl::OkStatus();
      case InstFormat::kReturn:
        return ExpectArgs(b, i, args, 0, f_.signature().results,
                          "return values");
    }
    return absl::OkStatus();
  }

  // A heap index is i32 (memory32, zero-extended) or i64 (memory64).
  absl::Status ExpectHeapIndex(Block b, Inst i, size_t arg) {
    if (f_.value_type(f_.args(i)[arg]) == Type::kI64) return absl::OkStatus();
    return ExpectType(b, i, arg, Type::kI32);
  }

  absl::Status CheckHeapOffset(Block b, Inst i, const InstData& d) {
    if (d.imm < 0 || d.imm > 0xffffffffll) {
      return InstError(b, i, "heap offset must be in [0, 2^32)");
    }
    return absl::OkStatus();
  }

  absl::Status CheckTrapCode(Block b, Inst i, const InstData& d) {
    if (d.code >= abi::kNumTrapCodes) return InstError(b, i, "bad trap code");
    return absl::OkStatus();
  }

  absl::Status CheckUnary(Block b, Inst i, const InstData& d,
                          const OpcodeInfo& info) {
    Type in = f_.value_type(f_.args(i)[0]);
    Type out = d.ctrl_type;
    auto conv = [&](bool ok, absl::string_view rule) -> absl::Status {
      if (ok) return absl::OkStatus();
      return InstError(b, i, absl::StrCat("cannot convert ", TypeName(in),
                                          " to ", TypeName(out), " (", rule,
                                          ")"));
    };
    switch (d.opcode) {
      case Opcode::kUextend:
      case Opcode::kSextend:
        return conv(in == Type::kI32 && out == Type::kI64, "i32 -> i64");
      case Opcode::kIreduce:
        return conv(in == Type::kI64 && out == Type::kI32, "i64 -> i32");
      case Opcode::kFcvtToSint:
      case Opcode::kFcvtToUint:
      case Opcode::kFcvtToSintSat:
      case Opcode::kFcvtToUintSat:
        return conv(IsFloat(in) && IsInt(out), "float -> int");
      case Opcode::kFcvtFromSint:
      case Opcode::kFcvtFromUint:
        return conv(IsInt(in) && IsFloat(out), "int -> float");
      case Opcode::kFpromote:
        return conv(in == Type::kF32 && out == Type::kF64, "f32 -> f64");
      case Opcode::kFdemote:
        return conv(in == Type::kF64 && out == Type::kF32, "f64 -> f32");
      case Opcode::kBitcast:
        return conv(IsValidType(in) && IsValidType(out) &&
                        TypeBits(in) == TypeBits(out) &&
                        IsInt(in) != IsInt(out),
                    "same width, int <-> float");
      case Opcode::kSextend32:
        return ExpectType(b, i, 0, Type::kI64);
      default:
        return ExpectClass(b, i, 0, info.operands);
    }
  }

  absl::Status CheckDominance(Block b, Inst use, Value v) {
    const ValueData& d = f_.value(v);
    Block def_block;
    if (d.kind == ValueDefKind::kParam) {
      def_block = Block(d.def);
      if (def_block == b) return absl::OkStatus();
    } else {
      Inst def(d.def);
      def_block = f_.inst_block(def);
      if (def_block == b) {
        if (pos_[def.index] < pos_[use.index]) return absl::OkStatus();
        return InstError(b, use, absl::StrCat("use of ", ValueName(v),
                                              " before its definition"));
      }
    }
    if (!dt_.StrictlyDominates(def_block, b)) {
      return InstError(b, use, absl::StrCat("use of ", ValueName(v),
                                            " is not dominated by its "
                                            "definition in ",
                                            BlockName(def_block)));
    }
    return absl::OkStatus();
  }

  const Function& f_;
  std::vector<uint32_t> pos_;
  ControlFlowGraph cfg_;
  DominatorTree dt_;
};

}  // namespace

absl::Status VerifyFunction(const Function& f) { return Verifier(f).Run(); }

}  // namespace kiln::ir
