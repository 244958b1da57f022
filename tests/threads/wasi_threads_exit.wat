;; wasi-threads: proc_exit(7) in a spawned thread ends the whole process
;; with status 7 while the main thread still waits (forever).
(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (export "memory" (memory 0))
  (func (export "wasi_thread_start") (param i32 i32)
    (call $exit (local.get 1)))
  (func (export "_start")
    (drop (call $spawn (i32.const 7)))
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
    (unreachable))
)
