#pragma once
// DARKCHARGE_SIMD_CLONES before a function's definition compiles it twice on x86-64 with GCC,
// for AVX2 and for the baseline x86-64 that any such machine runs, the CPU choosing at load
// time (target_clones, through an ifunc); elsewhere once. AVX2 without FMA: a clone whose
// code is lane-wise arithmetic does the same multiplications and additions in the same order
// as the baseline one, so both give bit-identical results. Private to src/exact/.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DARKCHARGE_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
// 1 where a kernel may add a version of its own for AVX-512 (target("avx512f"), chosen by
// __builtin_cpu_supports): its file is compiled with -ffp-contract=off (CMakeLists.txt), so
// that AVX-512's FMA does not change the sums.
#define DARKCHARGE_HAS_AVX512_CLONE 1
#else
#define DARKCHARGE_SIMD_CLONES
#define DARKCHARGE_HAS_AVX512_CLONE 0
#endif
