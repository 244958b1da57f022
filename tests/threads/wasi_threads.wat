;; wasi-threads end to end (kiln run): _start spawns 4 threads with
;; wasi::thread-spawn; each runs wasi_thread_start(tid, 1000) in its own
;; instance over the shared memory, adds 1 to a counter 1000 times with
;; i32.atomic.rmw.add, then counts itself done and notifies. _start waits
;; with memory.atomic.wait32 until all 4 are done, checks the counter and
;; writes "ok 4000\n" (exit 0), or exits 1 (wrong count) / 2 (spawn failed).
(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (export "memory" (memory 0))

  ;; Layout: 0 counter, 4 threads done, 8 thread ids seen (bit per tid),
  ;; 16 iovec, 32 the message. Passive: written once by _start, not again
  ;; by each thread's instance.
  (data $msg "ok 4000\n")

  (func (export "wasi_thread_start") (param $tid i32) (param $n i32)
    ;; Each thread id is new.
    (drop (i32.atomic.rmw.or (i32.const 8)
      (i32.shl (i32.const 1) (i32.and (local.get $tid) (i32.const 31)))))
    (loop $add
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (br_if $add (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (drop (i32.atomic.rmw.add (i32.const 4) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 4) (i32.const 1))))

  (func (export "_start")
    (local $i i32) (local $done i32)
    (memory.init $msg (i32.const 32) (i32.const 0) (i32.const 8))
    (loop $spawn_all
      (if (i32.le_s (call $spawn (i32.const 1000)) (i32.const 0))
        (then (call $exit (i32.const 2))))
      (br_if $spawn_all
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                  (i32.const 4))))
    ;; Wait until 4 are done: sleep while the count is what we last saw.
    (block $all_done
      (loop $wait
        (local.set $done (i32.atomic.load (i32.const 4)))
        (br_if $all_done (i32.eq (local.get $done) (i32.const 4)))
        (drop (memory.atomic.wait32 (i32.const 4) (local.get $done)
                                    (i64.const -1)))
        (br $wait)))
    (if (i32.ne (i32.atomic.load (i32.const 0)) (i32.const 4000))
      (then (call $exit (i32.const 1))))
    ;; 4 distinct thread ids (bits 1-4 when ids start at 1).
    (if (i32.ne (i32.popcnt (i32.atomic.load (i32.const 8))) (i32.const 4))
      (then (call $exit (i32.const 3))))
    (i32.store (i32.const 16) (i32.const 32))
    (i32.store (i32.const 20) (i32.const 8))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1)
                          (i32.const 24))))
)
