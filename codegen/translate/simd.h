// Translation of 128-bit SIMD operations into the IR's typed vector
// instructions (codegen/ir/simd.h). Used by translator.cc's hooks.
#ifndef KILN_CODEGEN_TRANSLATE_SIMD_H_
#define KILN_CODEGEN_TRANSLATE_SIMD_H_

#include <cstdint>

#include "absl/types/span.h"
#include "codegen/ir/builder.h"
#include "codegen/ir/function.h"
#include "codegen/translate/translator.h"
#include "wasm/opcodes.h"

namespace kiln::translate {

// `op.shape args` with a lane index (imm) and condition code.
ir::Value EmitVector(ir::FunctionBuilder& b, ir::Function& f, ir::Opcode op,
                     ir::Type shape, absl::Span<const ir::Value> args,
                     int64_t imm = 0, uint8_t code = 0);
// The IR form of wasm SIMD operation `op` (not memory, v128.const or
// shuffle: below); an invalid value if the IR has none. `relaxed` picks
// the relaxed instructions' results.
ir::Value EmitSimd(ir::FunctionBuilder& b, ir::Function& f, wasm::Opcode op,
                   absl::Span<const ir::Value> args, uint8_t lane = 0,
                   const TranslateOptions::RelaxedSimd& relaxed = {});
ir::Value EmitV128Const(ir::FunctionBuilder& b, ir::Function& f,
                        const uint8_t bytes[16]);
ir::Value EmitShuffle(ir::FunctionBuilder& b, ir::Function& f,
                      const uint8_t lanes[16], ir::Value x, ir::Value y);
// Bytes accessed by a SIMD load/store opcode (0 if not one).
int SimdMemBytes(wasm::Opcode op);
// v128.load*, v128.load*_splat, v128.load*_zero at base + zext(index) + off.
ir::Value EmitSimdLoad(ir::FunctionBuilder& b, ir::Function& f,
                       wasm::Opcode op, ir::Value base, ir::Value index,
                       uint32_t off);
ir::Value EmitLoadLane(ir::FunctionBuilder& b, ir::Function& f,
                       wasm::Opcode op, uint8_t lane, ir::Value base,
                       ir::Value index, uint32_t off, ir::Value vec);
void EmitStoreLane(ir::FunctionBuilder& b, ir::Function& f, wasm::Opcode op,
                   uint8_t lane, ir::Value base, ir::Value index, uint32_t off,
                   ir::Value vec);

}  // namespace kiln::translate

#endif  // KILN_CODEGEN_TRANSLATE_SIMD_H_
