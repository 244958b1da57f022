;; Kiln gap found by the differential fuzzer (binaryen ttf with SIMD and
;; multi-value): a function returning v128 among several results did not
;; compile ("x64 lowering of f0: v128 in a multi-value result"). Fixed: a
;; v128 takes 16 bytes in the return area (abi::ReturnAreaOffsets), in
;; wasm-to-wasm calls and in the array-call trampoline the host calls
;; exports through. Expected (binaryen, V8): f => (i32x4 1 2 3 4, 5).
(module
  (import "fuzzing-support" "log-i32" (func $log (param i32)))
  (import "fuzzing-support" "log-v128" (func $logv (param v128)))
  (import "fuzzing-support" "log-f64" (func $logd (param f64)))
  (type $mixed (func (param i32) (result i32 v128 f64 v128 i64)))
  (table 1 funcref)
  (elem (i32.const 0) $mixed)
  (func $pair (result v128 i32)
    (v128.const i32x4 1 2 3 4)
    (i32.const 5))
  ;; v128 results between scalars: offsets 0, 8, 24, 32, 48.
  (func $mixed (type $mixed) (param $k i32) (result i32 v128 f64 v128 i64)
    (local.get $k)
    (i32x4.splat (local.get $k))
    (f64.const 2.5)
    (v128.const i64x2 0x1122334455667788 0x99aabbccddeeff00)
    (i64.extend_i32_u (i32.mul (local.get $k) (i32.const 3))))
  ;; Nine integer parameters: the return-area pointer goes on the stack.
  (func $many (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result v128 v128 i32)
    (i32x4.splat (local.get 0))
    (i32x4.splat (local.get 8))
    (i32.add (local.get 4) (local.get 8)))
  (func (export "f") (result v128 i32)
    (call $pair))
  (func (export "g")
    (call $pair)
    (call $log)
    (drop))
  (func (export "direct") (result i32 v128 f64 v128 i64)
    (call $mixed (i32.const 7)))
  (func (export "indirect") (result i32 v128 f64 v128 i64)
    (call_indirect (type $mixed) (i32.const 9) (i32.const 0)))
  (func (export "many") (result v128 v128 i32)
    (call $many (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4)
                (i32.const 5) (i32.const 6) (i32.const 7) (i32.const 8)
                (i32.const 9)))
  ;; Results consumed in wasm (stack order), logged one by one.
  (func (export "consume")
    (local $a i32) (local $b v128) (local $c f64) (local $d v128) (local $e i64)
    (call $mixed (i32.const 11))
    (local.set $e) (local.set $d) (local.set $c) (local.set $b) (local.set $a)
    (call $log (local.get $a))
    (call $logv (local.get $b))
    (call $logd (local.get $c))
    (call $logv (local.get $d))
    (call $log (i32.wrap_i64 (local.get $e)))))
