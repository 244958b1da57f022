;; Hand-written: operations whose NaN bits wasm fixes exactly (abs, neg,
;; copysign, reinterpret, loads/stores, select, locals, globals, v128
;; bitwise and lane moves), applied to NaNs with payloads. The fuzzer's
;; NaN-keeping cases cannot be compared with the oracles (arithmetic NaNs
;; differ legitimately, fuzz/README.md), so these bits are checked here.
;; Values come through memory and parameters so nothing is folded away.
(module
  (import "fuzzing-support" "log-i32" (func $log32 (param i32)))
  (import "fuzzing-support" "log-i64" (func $log64 (param i64)))
  (memory 1)
  (global $g (mut f32) (f32.const 0))
  (global $h (mut f64) (f64.const 0))
  (data (i32.const 0) "\3b\ed\ff\ff")           ;; f32 -nan:0x7fed3b
  (data (i32.const 4) "\01\00\80\7f")           ;; f32 nan:0x1 (signalling)
  (data (i32.const 8) "\01\00\00\00\00\00\f0\ff") ;; f64 -nan:0x1 (signalling)
  (func $a (result f32) (f32.load (i32.const 0)))
  (func $s (result f32) (f32.load (i32.const 4)))
  (func $d (result f64) (f64.load (i32.const 8)))
  (func (export "f32_unary")
    (call $log32 (i32.reinterpret_f32 (f32.abs (call $a))))
    (call $log32 (i32.reinterpret_f32 (f32.neg (call $a))))
    (call $log32 (i32.reinterpret_f32 (f32.abs (call $s))))
    (call $log32 (i32.reinterpret_f32 (f32.neg (call $s))))
    (call $log32 (i32.reinterpret_f32 (f32.copysign (call $s) (f32.const -1))))
    (call $log32 (i32.reinterpret_f32 (f32.copysign (call $a) (call $s)))))
  (func (export "f64_unary")
    (call $log64 (i64.reinterpret_f64 (f64.abs (call $d))))
    (call $log64 (i64.reinterpret_f64 (f64.neg (call $d))))
    (call $log64 (i64.reinterpret_f64 (f64.copysign (call $d) (f64.const 1)))))
  (func (export "moves") (param $p f32)
    (local $l f32)
    (local.set $l (call $s))
    (global.set $g (local.get $l))
    (global.set $h (call $d))
    (f32.store (i32.const 100) (global.get $g))
    (f64.store (i32.const 104) (global.get $h))
    (call $log32 (i32.load (i32.const 100)))
    (call $log64 (i64.load (i32.const 104)))
    (call $log32 (i32.reinterpret_f32
      (select (call $s) (local.get $p) (i32.load8_u (i32.const 0)))))
    (call $log32 (i32.reinterpret_f32 (f32.reinterpret_i32 (i32.const 0x7f800001)))))
  (func (export "v128")
    (local $v v128)
    (local.set $v (v128.load (i32.const 0)))
    (call $log32 (i32x4.extract_lane 0 (f32x4.abs (local.get $v))))
    (call $log32 (i32x4.extract_lane 1 (f32x4.neg (local.get $v))))
    (call $log64 (i64x2.extract_lane 1 (f64x2.abs (local.get $v))))
    (call $log32 (i32.reinterpret_f32
      (f32x4.extract_lane 1 (v128.xor (local.get $v) (v128.const i32x4 0 0 0 0)))))
    (v128.store (i32.const 200) (f32x4.replace_lane 2 (local.get $v) (call $s)))
    (call $log32 (i32.load (i32.const 208)))))
