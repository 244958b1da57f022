// An interpreter loop: a small stack-based bytecode VM (switch dispatch)
// running programs assembled at start-up: an iterative Fibonacci modulo a
// prime, a sieve of Eratosthenes over VM memory, and a recursive call test.
#include "bench_common.h"

typedef enum {
  OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL, OP_MOD, OP_LT, OP_EQ,
  OP_JMP, OP_JZ, OP_DUP, OP_POP, OP_MLOAD, OP_MSTORE, OP_CALL, OP_RET,
  OP_HALT, OP_SWAP, OP_INC
} Op;

typedef struct {
  int32_t code[512];
  int n;
} Program;

static void Emit(Program* p, int32_t a) { p->code[p->n++] = a; }
static void Emit2(Program* p, int32_t op, int32_t arg) { Emit(p, op); Emit(p, arg); }

// Locals live in frames of 8 slots; memory is a flat int32 array.
static int64_t Run(const Program* prog, int64_t* mem, int32_t* locals_base) {
  int64_t stack[256];
  int sp = 0;
  int32_t* locals = locals_base;
  int32_t ret_pc[256];
  int rsp = 0;
  int pc = 0;
  const int32_t* code = prog->code;
  for (;;) {
    switch ((Op)code[pc++]) {
      case OP_PUSH: stack[sp++] = code[pc++]; break;
      case OP_LOAD: stack[sp++] = locals[code[pc++]]; break;
      case OP_STORE: locals[code[pc++]] = (int32_t)stack[--sp]; break;
      case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case OP_MOD: sp--; stack[sp - 1] %= stack[sp]; break;
      case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
      case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
      case OP_JMP: pc = code[pc]; break;
      case OP_JZ: if (stack[--sp] == 0) pc = code[pc]; else pc++; break;
      case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case OP_POP: sp--; break;
      case OP_SWAP: { int64_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
      case OP_INC: locals[code[pc]]++; pc++; break;
      case OP_MLOAD: stack[sp - 1] = mem[stack[sp - 1]]; break;
      case OP_MSTORE: sp -= 2; mem[stack[sp]] = stack[sp + 1]; break;
      case OP_CALL:
        ret_pc[rsp++] = pc + 1;
        locals += 8;
        locals[0] = (int32_t)stack[--sp];
        pc = code[pc];
        break;
      case OP_RET:
        locals -= 8;
        pc = ret_pc[--rsp];
        break;
      case OP_HALT: return sp ? stack[sp - 1] : 0;
    }
  }
}

// fib: a=0 b=1; for i<n: t=(a+b)%p a=b b=t; result a.
static void AssembleFib(Program* p, int32_t n) {
  p->n = 0;
  Emit2(p, OP_PUSH, 0); Emit2(p, OP_STORE, 0);  // a
  Emit2(p, OP_PUSH, 1); Emit2(p, OP_STORE, 1);  // b
  Emit2(p, OP_PUSH, 0); Emit2(p, OP_STORE, 2);  // i
  int loop = p->n;
  Emit2(p, OP_LOAD, 2); Emit2(p, OP_PUSH, n); Emit(p, OP_LT);
  Emit(p, OP_JZ); int fix = p->n; Emit(p, 0);
  Emit2(p, OP_LOAD, 0); Emit2(p, OP_LOAD, 1); Emit(p, OP_ADD);
  Emit2(p, OP_PUSH, 1000003); Emit(p, OP_MOD);
  Emit2(p, OP_LOAD, 1); Emit2(p, OP_STORE, 0); Emit2(p, OP_STORE, 1);
  Emit2(p, OP_INC, 2); Emit2(p, OP_JMP, loop);
  p->code[fix] = p->n;
  Emit2(p, OP_LOAD, 0); Emit(p, OP_HALT);
}

// sieve over mem[0..n): count primes.
static void AssembleSieve(Program* p, int32_t n) {
  p->n = 0;
  Emit2(p, OP_PUSH, 2); Emit2(p, OP_STORE, 0);  // i
  Emit2(p, OP_PUSH, 0); Emit2(p, OP_STORE, 2);  // count
  int outer = p->n;
  Emit2(p, OP_LOAD, 0); Emit2(p, OP_PUSH, n); Emit(p, OP_LT);
  Emit(p, OP_JZ); int fix_end = p->n; Emit(p, 0);
  Emit2(p, OP_LOAD, 0); Emit(p, OP_MLOAD);
  Emit(p, OP_JZ); int fix_prime = p->n; Emit(p, 0);
  Emit2(p, OP_INC, 0); Emit2(p, OP_JMP, outer);
  p->code[fix_prime] = p->n;
  Emit2(p, OP_INC, 2);
  Emit2(p, OP_LOAD, 0); Emit(p, OP_DUP); Emit(p, OP_ADD); Emit2(p, OP_STORE, 1);  // j = 2i
  int inner = p->n;
  Emit2(p, OP_LOAD, 1); Emit2(p, OP_PUSH, n); Emit(p, OP_LT);
  Emit(p, OP_JZ); int fix_inner = p->n; Emit(p, 0);
  Emit2(p, OP_LOAD, 1); Emit2(p, OP_PUSH, 1); Emit(p, OP_MSTORE);
  Emit2(p, OP_LOAD, 1); Emit2(p, OP_LOAD, 0); Emit(p, OP_ADD); Emit2(p, OP_STORE, 1);
  Emit2(p, OP_JMP, inner);
  p->code[fix_inner] = p->n;
  Emit2(p, OP_INC, 0); Emit2(p, OP_JMP, outer);
  p->code[fix_end] = p->n;
  Emit2(p, OP_LOAD, 2); Emit(p, OP_HALT);
}

// rec(x) = x < 2 ? x : rec(x-1) + rec(x-2), via OP_CALL/OP_RET.
static void AssembleRec(Program* p, int32_t n) {
  p->n = 0;
  Emit2(p, OP_PUSH, n); Emit(p, OP_CALL); int fix_main = p->n; Emit(p, 0);
  Emit(p, OP_HALT);
  int fn = p->n;
  p->code[fix_main] = fn;
  Emit2(p, OP_LOAD, 0); Emit2(p, OP_PUSH, 2); Emit(p, OP_LT);
  Emit(p, OP_JZ); int fix_rec = p->n; Emit(p, 0);
  Emit2(p, OP_LOAD, 0); Emit(p, OP_RET);
  p->code[fix_rec] = p->n;
  Emit2(p, OP_LOAD, 0); Emit2(p, OP_PUSH, 1); Emit(p, OP_SUB); Emit2(p, OP_CALL, fn);
  Emit2(p, OP_LOAD, 0); Emit2(p, OP_PUSH, 2); Emit(p, OP_SUB); Emit2(p, OP_CALL, fn);
  Emit(p, OP_ADD); Emit(p, OP_RET);
}

int main(int argc, char** argv) {
  int32_t fib_n = (int32_t)BenchSize(argc, argv, 12000000, 100000);
  int32_t sieve_n = (int32_t)BenchSize(argc, argv, 4000000, 50000);
  int32_t rec_n = (int32_t)BenchSize(argc, argv, 27, 15);
  Program prog;
  int32_t* locals = BenchAlloc(sizeof(int32_t) * 8 * 256);
  memset(locals, 0, sizeof(int32_t) * 8 * 256);
  int64_t* mem = BenchAlloc(sizeof(int64_t) * (size_t)sieve_n);
  memset(mem, 0, sizeof(int64_t) * (size_t)sieve_n);
  AssembleFib(&prog, fib_n);
  printf("fib: %" PRId64 "\n", Run(&prog, mem, locals));
  AssembleSieve(&prog, sieve_n);
  printf("primes: %" PRId64 "\n", Run(&prog, mem, locals));
  AssembleRec(&prog, rec_n);
  printf("rec: %" PRId64 "\n", Run(&prog, mem, locals));
  return 0;
}
