#pragma once
// Kernels for the small dense blocks (10-100 rows) of the coupled-basis solver
// (coupled_exact_product.cpp): the lower triangle of A B^T (P^M = (U R) U^T) and the
// Cholesky test of the Q blocks. Eigen's general product and Cholesky spent as much time
// packing and dispatching as computing at these sizes. Both are compiled for AVX2 and for
// the baseline x86-64 (GCC's target_clones, chosen at load time by the CPU); without FMA both
// clones do the same multiplications and additions in the same order, so their results are
// bit-identical. Private to src/exact/.

namespace darkcharge::detail {

/// Rows of A the kernel reads at a time: A's leading dimension must be a multiple of this and
/// its rows from n up to that multiple readable (their products are not written).
inline constexpr int kLowerProductRows = 8;

/// p(x, y) = sum_s a(x, s) b(y, s) for n >= x >= y >= 0, s < h: a, b, p column-major with
/// leading dimensions lda (a multiple of kLowerProductRows), ldb, ldp; the upper triangle of p
/// is not written. Blocks of 8 x 4 entries summed in registers over s (no packing, which cost
/// Eigen's general product as much as its kernel on these 10-100 row blocks), compiled for
/// AVX2 and for the baseline x86-64 (chosen at load time): without FMA both do the same
/// multiplications and additions in the same order, so their results are bit-identical.
void lower_product(const double* a, int lda, const double* b, int ldb, int n, int h, double* p,
                   int ldp);

/// Whether the symmetric k x k matrix whose lower triangle is in a (column-major, leading
/// dimension lda) is positive definite: its Cholesky factorisation L L^T, left-looking (each
/// column updated by the ones before it, four at a time), overwrites that triangle; false at
/// the first pivot that is not > 0 (a is then partly overwritten).
bool cholesky_in_place(double* a, int lda, int k);

}  // namespace darkcharge::detail
