;; memory.fill / memory.copy / memory.init and data segments on a 64-bit
;; memory (the memory64 suite of this testsuite commit has none): i64
;; addresses and lengths, bounds at the end of the memory, lengths that
;; would wrap 2^64.

(module
  (memory i64 1)
  (data $d "\01\02\03\04")
  (data (i64.const 0xfffc) "\aa\bb\cc\dd")
  (func (export "fill") (param i64 i32 i64)
    (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i64 i64 i64)
    (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i64 i32 i32)
    (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
  (func (export "load8") (param i64) (result i32)
    (i32.load8_u (local.get 0)))
  (func (export "grow") (param i64) (result i64)
    (memory.grow (local.get 0))))

(assert_return (invoke "load8" (i64.const 0xffff)) (i32.const 0xdd))
(invoke "fill" (i64.const 10) (i32.const 0x55) (i64.const 3))
(assert_return (invoke "load8" (i64.const 9)) (i32.const 0))
(assert_return (invoke "load8" (i64.const 10)) (i32.const 0x55))
(assert_return (invoke "load8" (i64.const 12)) (i32.const 0x55))
(assert_return (invoke "load8" (i64.const 13)) (i32.const 0))
(invoke "fill" (i64.const 0x10000) (i32.const 0) (i64.const 0))
(assert_trap (invoke "fill" (i64.const 0x10001) (i32.const 0) (i64.const 0))
             "out of bounds memory access")
(assert_trap (invoke "fill" (i64.const 0xffff) (i32.const 0) (i64.const 2))
             "out of bounds memory access")
(assert_trap (invoke "fill" (i64.const 1) (i32.const 0) (i64.const -1))
             "out of bounds memory access")

(invoke "copy" (i64.const 20) (i64.const 0xfffc) (i64.const 4))
(assert_return (invoke "load8" (i64.const 20)) (i32.const 0xaa))
(assert_return (invoke "load8" (i64.const 23)) (i32.const 0xdd))
(invoke "copy" (i64.const 21) (i64.const 20) (i64.const 3))
(assert_return (invoke "load8" (i64.const 21)) (i32.const 0xaa))
(assert_return (invoke "load8" (i64.const 23)) (i32.const 0xcc))  ;; overlapping: memmove
(assert_trap (invoke "copy" (i64.const 0xfffd) (i64.const 0) (i64.const 4))
             "out of bounds memory access")
(assert_trap (invoke "copy" (i64.const 0) (i64.const -4) (i64.const 8))
             "out of bounds memory access")
(assert_trap (invoke "copy" (i64.const 4) (i64.const 0) (i64.const -4))
             "out of bounds memory access")

(invoke "init" (i64.const 30) (i32.const 1) (i32.const 3))
(assert_return (invoke "load8" (i64.const 30)) (i32.const 2))
(assert_return (invoke "load8" (i64.const 32)) (i32.const 4))
(assert_trap (invoke "init" (i64.const 0xfffe) (i32.const 0) (i32.const 4))
             "out of bounds memory access")
(assert_trap (invoke "init" (i64.const -1) (i32.const 0) (i32.const 1))
             "out of bounds memory access")

;; After growing, the new pages are in bounds for the bulk operations too.
(assert_return (invoke "grow" (i64.const 1)) (i64.const 1))
(invoke "fill" (i64.const 0x1fffe) (i32.const 7) (i64.const 2))
(assert_return (invoke "load8" (i64.const 0x1ffff)) (i32.const 7))
(assert_trap (invoke "load8" (i64.const 0x20000)) "out of bounds memory access")

;; A data segment past the end of a 64-bit memory fails instantiation.
(assert_trap
  (module (memory i64 1) (data (i64.const 0xffff) "ab"))
  "out of bounds memory access")
