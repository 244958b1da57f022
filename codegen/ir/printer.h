// The IR text format (see docs in codegen/ir/README.md):
//
//   function %f0(i64, i64, i32) -> i32 {
//       sig0 = (i64, i64, i32) -> i32
//       fn0 = func 3 sig0
//
//   block0(v0: i64, v1: i64, v2: i32):
//       v3 = iconst.i32 1
//       v4 = iadd v2, v3
//       brif v4, block1(v4), block2
//   block1(v5: i32):
//       v6 = call fn0(v0, v0, v5)
//       return v6
//   block2:
//       trap unreachable_code_reached
//   }
//
// Values and blocks print with their ids, so parse(print(f)) prints the
// same text.
#ifndef KILN_CODEGEN_IR_PRINTER_H_
#define KILN_CODEGEN_IR_PRINTER_H_

#include <string>

#include "codegen/ir/function.h"

namespace kiln::ir {

std::string PrintFunction(const Function& f);
// One instruction without indentation or newline: "v4 = iadd v2, v3".
std::string PrintInst(const Function& f, Inst i);
// "(i64, i32) -> i32"
std::string PrintSignature(const Signature& sig);
// "block1(v5: i32)" (the header without the colon).
std::string PrintBlockHeader(const Function& f, Block b);
std::string ValueName(Value v);  // "v3" ("v?" for none)
// Float constants as the text format writes them: decimal that reads back
// bit-exactly, raw bits (0x7fc00000) for NaNs and infinities.
std::string FormatF32Bits(uint32_t bits);
std::string FormatF64Bits(uint64_t bits);
std::string BlockName(Block b);  // "block2"

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_PRINTER_H_
