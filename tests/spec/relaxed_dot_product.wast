;; testsuite/proposals/relaxed-simd/relaxed_dot_product.wast converted by
;; hand: wabt 1.0.32 cannot parse the original because it also tests
;; f32x4.relaxed_dot_bf16x8_add_f32x4, which the proposal dropped before
;; standardisation (WebAssembly 3.0 has no bf16 dot; Kiln rejects 0xfd 0x114).
;; Changes: the bf16 function and its assertion are removed, and the
;; expected results of i32x4.dot_i8x16_i7x16_add_s are written as i32x4 (the
;; original writes them as f32x4 with the same numbers, which no engine can
;; return: the result lanes are integers).
;; wabt 1.0.32 spells the integer dot products without "relaxed_"; they are
;; the standard opcodes 0xfd 0x112 and 0xfd 0x113.

(module
    (func (export "i16x8.dot_i8x16_i7x16_s") (param v128 v128) (result v128) (i16x8.dot_i8x16_i7x16_s (local.get 0) (local.get 1)))
    (func (export "i32x4.dot_i8x16_i7x16_add_s") (param v128 v128 v128) (result v128) (i32x4.dot_i8x16_i7x16_add_s (local.get 0) (local.get 1) (local.get 2)))
)

;; Simple values to ensure things are functional.
(assert_return (invoke "i16x8.dot_i8x16_i7x16_s"
                       (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
                       (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15))
               (v128.const i16x8 1 13 41 85 145 221 313 421))

;; Test max and min i8 values;
(assert_return (invoke "i16x8.dot_i8x16_i7x16_s"
                       (v128.const i8x16 -128 -128 127 127 0 0 0 0 0 0 0 0 0 0 0 0)
                       (v128.const i8x16 127 127 127 127 0 0 0 0 0 0 0 0 0 0 0 0))
               (v128.const i16x8 -32512 32258 0 0 0 0 0 0))

;; Simple values to ensure things are functional.
(assert_return (invoke "i32x4.dot_i8x16_i7x16_add_s"
                       (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
                       (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
                       (v128.const i32x4 0 1 2 3))
               ;; intermediate result is [14, 126, 366, 734]
               (v128.const i32x4 14 127 368 737))

;; Test max and min i8 values;
(assert_return (invoke "i32x4.dot_i8x16_i7x16_add_s"
                       (v128.const i8x16 -128 -128 -128 -128 127 127 127 127 0 0 0 0 0 0 0 0)
                       (v128.const i8x16 127 127 127 127 127 127 127 127 0 0 0 0 0 0 0 0)
                       (v128.const i32x4 1 2 3 4))
               ;; intermediate result is [-65024, 64516, 0, 0]
               (v128.const i32x4 -65023 64518 3 4))
