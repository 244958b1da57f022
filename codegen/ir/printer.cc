#include "codegen/ir/printer.h"

#include "codegen/ir/simd.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace kiln::ir {
namespace {

void AppendValues(std::string* out, const Function& f,
                  absl::Span<const Value> vals) {
  for (size_t i = 0; i < vals.size(); ++i) {
    if (i) out->append(", ");
    out->append(ValueName(vals[i]));
  }
}

void AppendBlockCall(std::string* out, const Function& f, const BlockCall& bc) {
  out->append(BlockName(bc.block));
  if (bc.args.size) {
    out->push_back('(');
    AppendValues(out, f, f.List(bc.args));
    out->push_back(')');
  }
}

void AppendOffset(std::string* out, int64_t off) {
  if (off > 0) absl::StrAppend(out, "+", off);
  if (off < 0) absl::StrAppend(out, off);
}

}  // namespace

std::string FormatF32Bits(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, 4);
  // NaNs (payloads) and infinities print as raw bits; finite values as
  // shortest-safe decimal, which reads back bit-exactly.
  if (!std::isfinite(x)) return absl::StrFormat("0x%08x", bits);
  return absl::StrFormat("%.9g", x);
}

std::string FormatF64Bits(uint64_t bits) {
  double x;
  std::memcpy(&x, &bits, 8);
  if (!std::isfinite(x)) return absl::StrFormat("0x%016x", bits);
  return absl::StrFormat("%.17g", x);
}

std::string ValueName(Value v) {
  return v.valid() ? absl::StrCat("v", v.index) : "v?";
}
std::string BlockName(Block b) {
  return b.valid() ? absl::StrCat("block", b.index) : "block?";
}

std::string PrintSignature(const Signature& sig) {
  std::string out = "(";
  for (size_t i = 0; i < sig.params.size(); ++i) {
    if (i) out.append(", ");
    absl::StrAppend(&out, TypeName(sig.params[i]));
  }
  out.push_back(')');
  if (!sig.results.empty()) {
    out.append(" -> ");
    for (size_t i = 0; i < sig.results.size(); ++i) {
      if (i) out.append(", ");
      absl::StrAppend(&out, TypeName(sig.results[i]));
    }
  }
  return out;
}

std::string PrintBlockHeader(const Function& f, Block b) {
  std::string out = BlockName(b);
  auto params = f.block_params(b);
  if (!params.empty()) {
    out.push_back('(');
    for (size_t i = 0; i < params.size(); ++i) {
      if (i) out.append(", ");
      absl::StrAppend(&out, ValueName(params[i]), ": ",
                      TypeName(f.value_type(params[i])));
    }
    out.push_back(')');
  }
  return out;
}

std::string PrintInst(const Function& f, Inst i) {
  std::string out;
  const InstData& d = f.inst(i);
  const OpcodeInfo& info = GetOpcodeInfo(d.opcode);
  auto results = f.results(i);
  if (!results.empty()) {
    AppendValues(&out, f, results);
    out.append(" = ");
  }
  absl::StrAppend(&out, info.name);
  if (info.result == ResultRule::kCtrl || info.result == ResultRule::kVector) {
    absl::StrAppend(&out, ".", TypeName(d.ctrl_type));
  }
  auto args = f.args(i);
  auto arg = [&](size_t k) {
    return k < args.size() ? ValueName(args[k]) : std::string("v?");
  };
  switch (info.format) {
    case InstFormat::kUnaryImm:
      absl::StrAppend(&out, " ", d.imm);
      break;
    case InstFormat::kUnaryIeee32:
      absl::StrAppend(&out, " ", FormatF32Bits(static_cast<uint32_t>(d.imm)));
      break;
    case InstFormat::kUnaryIeee64:
      absl::StrAppend(&out, " ", FormatF64Bits(static_cast<uint64_t>(d.imm)));
      break;
    case InstFormat::kUnary:
    case InstFormat::kBinary:
    case InstFormat::kTernary:
    case InstFormat::kReturn:
      if (!args.empty()) {
        out.push_back(' ');
        AppendValues(&out, f, args);
      }
      break;
    case InstFormat::kBinaryImm:
      absl::StrAppend(&out, " ", arg(0), ", ", d.imm);
      break;
    case InstFormat::kIntCompare:
      absl::StrAppend(&out, " ", IntCCName(static_cast<IntCC>(d.code)), " ",
                      arg(0), ", ", arg(1));
      break;
    case InstFormat::kFloatCompare:
      absl::StrAppend(&out, " ", FloatCCName(static_cast<FloatCC>(d.code)),
                      " ", arg(0), ", ", arg(1));
      break;
    case InstFormat::kLoad:
    case InstFormat::kStore: {
      for (int b = 0; b < kNumMemFlags; ++b) {
        if (d.code & (1 << b)) absl::StrAppend(&out, " ", MemFlagName(b));
      }
      if (info.format == InstFormat::kStore) {
        absl::StrAppend(&out, " ", arg(0), ",");
        absl::StrAppend(&out, " ", arg(1));
      } else {
        absl::StrAppend(&out, " ", arg(0));
      }
      AppendOffset(&out, d.imm);
      break;
    }
    case InstFormat::kHeapLoad:
      if (d.code & kHeapShared) out.append(" shared");
      absl::StrAppend(&out, " ", arg(0), ", ", arg(1));
      AppendOffset(&out, d.imm);
      break;
    case InstFormat::kHeapStore:
      if (d.code & kHeapShared) out.append(" shared");
      absl::StrAppend(&out, " ", arg(0), ", ", arg(1), ", ", arg(2));
      AppendOffset(&out, d.imm);
      break;
    case InstFormat::kAtomic:
      absl::StrAppend(&out, " w", 8 << d.code);
      for (size_t k = 0; k < args.size(); ++k) {
        absl::StrAppend(&out, k ? ", " : " ", arg(k));
      }
      AppendOffset(&out, d.imm);
      break;
    case InstFormat::kNullary:
      break;
    case InstFormat::kCall:
      if (d.code == kCallIsTail) out.append(" tail");
      absl::StrAppend(&out, " fn", d.ref, "(");
      AppendValues(&out, f, args);
      out.push_back(')');
      break;
    case InstFormat::kCallIndirect:
      if (d.code == kCallIsTail) out.append(" tail");
      absl::StrAppend(&out, " sig", d.ref, ", ", arg(0), "(");
      AppendValues(&out, f, args.empty() ? args : args.subspan(1));
      out.push_back(')');
      break;
    case InstFormat::kTrap:
      absl::StrAppend(&out, " ",
                      TrapCodeTextName(static_cast<TrapCode>(d.code)));
      break;
    case InstFormat::kCondTrap:
      absl::StrAppend(&out, " ", arg(0), ", ",
                      TrapCodeTextName(static_cast<TrapCode>(d.code)));
      break;
    case InstFormat::kJump:
      for (const BlockCall& bc : f.block_calls(i)) {
        out.push_back(' ');
        AppendBlockCall(&out, f, bc);
      }
      break;
    case InstFormat::kBrif:
      absl::StrAppend(&out, " ", arg(0));
      for (const BlockCall& bc : f.block_calls(i)) {
        out.append(", ");
        AppendBlockCall(&out, f, bc);
      }
      break;
    case InstFormat::kVector: {
      // Tokens in the row's signature order (opcodes.def):
      // "icmp.i32x4 slt v1, v2", "insertlane.i8x16 v1, v2, 5".
      size_t k = 0;
      const char* sep = " ";
      for (char c : VectorSignature(d.opcode).substr(2)) {
        out.append(sep);
        sep = ", ";
        if (c == 'c') {
          absl::StrAppend(&out, IntCCName(static_cast<IntCC>(d.code)));
          sep = " ";
        } else if (c == 'f') {
          absl::StrAppend(&out, FloatCCName(static_cast<FloatCC>(d.code)));
          sep = " ";
        } else if (c == 'n') {
          absl::StrAppend(&out, d.imm);
        } else {
          out.append(arg(k++));
        }
      }
      break;
    }
    case InstFormat::kBrTable: {
      absl::StrAppend(&out, " ", arg(0));
      auto calls = f.block_calls(i);
      if (!calls.empty()) {
        out.append(", ");
        AppendBlockCall(&out, f, calls[0]);
        out.append(", [");
        for (size_t k = 1; k < calls.size(); ++k) {
          if (k > 1) out.append(", ");
          AppendBlockCall(&out, f, calls[k]);
        }
        out.push_back(']');
      }
      break;
    }
  }
  return out;
}

std::string PrintFunction(const Function& f) {
  std::string out = absl::StrCat("function %", f.name(),
                                 PrintSignature(f.signature()), " {\n");
  for (uint32_t s = 0; s < f.num_signatures(); ++s) {
    absl::StrAppend(&out, "    sig", s, " = ",
                    PrintSignature(f.sig(SigRef(s))), "\n");
  }
  for (uint32_t k = 0; k < f.num_ext_funcs(); ++k) {
    const ExtFuncData& e = f.ext_func(FuncRef(k));
    absl::StrAppend(&out, "    fn", k, " = ",
                    e.kind == ExtFuncKind::kBuiltin ? "builtin " : "func ",
                    e.func_index, " sig",
                    e.sig.index, "\n");
  }
  if (f.num_signatures() + f.num_ext_funcs() > 0) out.push_back('\n');
  for (Block b : f.blocks()) {
    absl::StrAppend(&out, PrintBlockHeader(f, b), ":\n");
    for (Inst i : f.insts(b)) {
      out.append("    ");
      if (uint32_t loc = f.inst(i).srcloc; loc != kNoSrcLoc) {
        absl::StrAppend(&out, absl::StrFormat("@%04x ", loc));
      }
      absl::StrAppend(&out, PrintInst(f, i), "\n");
    }
  }
  out.append("}\n");
  return out;
}

}  // namespace kiln::ir
