// Force-included (-include) into each PolyBench/C kernel built with
// -DPOLYBENCH_DUMP_ARRAYS: the dump's fprintf calls go to
// PolybenchChecksumPrintf, which hashes the values instead of formatting
// them, so the kernels (unchanged, in ../shared/bench/polybench) print one
// checksum line and a full-size run does not spend its time in printf.
#ifndef KILN_BENCHMARKS_PROGRAMS_POLYBENCH_CHECKSUM_H_
#define KILN_BENCHMARKS_PROGRAMS_POLYBENCH_CHECKSUM_H_

#include <stdio.h>

int PolybenchChecksumPrintf(FILE* stream, const char* format, ...);
#define fprintf PolybenchChecksumPrintf

#endif  // KILN_BENCHMARKS_PROGRAMS_POLYBENCH_CHECKSUM_H_
