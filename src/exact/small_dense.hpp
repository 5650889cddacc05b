#pragma once
// Kernels for the small dense blocks (10-100 rows) of the coupled-basis solver
// (coupled_exact_product.cpp): products A B^T (U R and the lower triangle of P^M = (U R) U^T) and the
// Cholesky test of the Q blocks. Eigen's general product and Cholesky spent as much time
// packing and dispatching as computing at these sizes. Both are compiled for AVX2 and for
// the baseline x86-64 (GCC's target_clones, chosen at load time by the CPU), the product also
// for AVX-512 (8-wide blocks); without FMA every version does the same multiplications and
// additions in the same order, so their results are bit-identical. Private to src/exact/.

namespace darkcharge::detail {

/// p(x, y) = sum_s a(x, s) b(y, s) for x < rows, y < cols, s < inner (A B^T), with a, b, p
/// column-major of leading dimensions lda, ldb, ldp; `lower` (rows = cols): only x >= y, the
/// upper triangle of p not written. Blocks of 8 x 4 entries (8 x 8 on AVX-512) summed in
/// registers over s.
void product_transposed(const double* a, int lda, const double* b, int ldb, int rows, int cols,
                        int inner, double* p, int ldp, bool lower);

/// The same by the 4-wide kernel that CPUs without AVX-512 run (for the tests: bit-identical
/// to product_transposed on any CPU).
void product_transposed_quads(const double* a, int lda, const double* b, int ldb, int rows,
                              int cols, int inner, double* p, int ldp, bool lower);

/// Whether the symmetric k x k matrix whose lower triangle is in a (column-major, leading
/// dimension lda) is positive definite: its Cholesky factorisation L L^T, left-looking (each
/// column updated by the ones before it, four at a time), overwrites that triangle; false at
/// the first pivot that is not > 0 (a is then partly overwritten).
bool cholesky_in_place(double* a, int lda, int k);

}  // namespace darkcharge::detail
