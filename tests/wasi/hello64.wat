;; WASI from a memory64 module (`kiln run hello64.wat ARG`): the
;; wasi_snapshot_preview1 imports take i64 pointers and sizes, iovecs are
;; {u64 buf, u64 len}, args_sizes_get writes u64 counts and argv holds u64
;; pointers. The memory grows past 4 GiB and argv and its strings live
;; above 2^32. Prints "hello, wasm64 ARG" and exits with argc.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i64 i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") i64 1)
  (data (i64.const 16) "hello, wasm64 ")
  ;; One ciovec at 0x100, the byte count at 0x110.
  (func $write (param $ptr i64) (param $len i64)
    (i64.store (i64.const 0x100) (local.get $ptr))
    (i64.store (i64.const 0x108) (local.get $len))
    (if (call $fd_write (i32.const 1) (i64.const 0x100) (i64.const 1)
                        (i64.const 0x110))
      (then (unreachable)))
    (if (i64.ne (i64.load (i64.const 0x110)) (local.get $len))
      (then (unreachable))))
  (func $strlen (param $p i64) (result i64) (local $n i64)
    (block $done
      (loop $l
        (br_if $done
          (i32.eqz (i32.load8_u (i64.add (local.get $p) (local.get $n)))))
        (local.set $n (i64.add (local.get $n) (i64.const 1)))
        (br $l)))
    (local.get $n))
  (func (export "_start") (local $argc i64) (local $arg1 i64)
    (call $write (i64.const 16) (i64.const 14))
    (if (i64.lt_s (memory.grow (i64.const 65536)) (i64.const 0))
      (then (unreachable)))
    (if (call $args_sizes_get (i64.const 0x120) (i64.const 0x128))
      (then (unreachable)))
    (local.set $argc (i64.load (i64.const 0x120)))
    ;; argv at 4 GiB + 4 KiB, the strings at 4 GiB + 8 KiB.
    (if (call $args_get (i64.const 0x1_0000_1000) (i64.const 0x1_0000_2000))
      (then (unreachable)))
    (local.set $arg1 (i64.load (i64.const 0x1_0000_1008)))
    (if (i64.lt_u (local.get $arg1) (i64.const 0x1_0000_2000))
      (then (unreachable)))
    (call $write (local.get $arg1) (call $strlen (local.get $arg1)))
    (i32.store8 (i64.const 0x130) (i32.const 10))
    (call $write (i64.const 0x130) (i64.const 1))
    (call $proc_exit (i32.wrap_i64 (local.get $argc)))))
