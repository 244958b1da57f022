;; Kiln gap found by the differential fuzzer (binaryen ttf with SIMD and
;; multi-value): a function returning v128 among several results does not
;; compile ("x64 lowering of f0: v128 in a multi-value result").
;; Expected (binaryen, V8): f => (i32x4 1 2 3 4, 5).
(module
  (import "fuzzing-support" "log-i32" (func $log (param i32)))
  (func $pair (result v128 i32)
    (v128.const i32x4 1 2 3 4)
    (i32.const 5))
  (func (export "f") (result v128 i32)
    (call $pair))
  (func (export "g")
    (call $pair)
    (call $log)
    (drop)))
