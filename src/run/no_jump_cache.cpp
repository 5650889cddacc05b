// NoJumpCache (local_trajectory.hpp): the no-jump generator G of the blocks one worker meets,
// diagonalised (short blocks, the shared reservoir), as its diagonal (the reservoir on one
// ensemble or none: G is diagonal in the product basis), or kept tridiagonal for Lanczos.
#include <cmath>
#include <tuple>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/run/local_trajectory.hpp"

namespace darkcharge {
namespace {

long twice(double x) { return std::lround(2 * x); }

}  // namespace

const NoJumpCache::Block& NoJumpCache::at(double jc, double jb, double M) {
  const auto key = std::make_tuple(twice(jc), twice(jb), twice(M));
  auto it = blocks_.find(key);
  if (it != blocks_.end()) return *it->second;
  const BlockTridiagonal g = no_jump_generator(model_, jc, jb, M);
  const std::vector<double>& diagonal = g.diagonal;
  const std::vector<double>& link = g.link;
  const int n = static_cast<int>(diagonal.size());
  auto block = std::make_unique<Block>();
  if (diagonal_ && n > 1) {  // no exchange term (reservoir on one ensemble or none): O(L)
    block->lambda = Eigen::Map<const Eigen::VectorXd>(diagonal.data(), n).cwiseMax(0.0);
  } else if (n == 1) {
    block->lambda = Eigen::VectorXd::Constant(1, diagonal[0]);
    block->vectors = Eigen::MatrixXd::Identity(1, 1);
  } else {
    Eigen::VectorXd d = Eigen::Map<const Eigen::VectorXd>(diagonal.data(), n);
    Eigen::VectorXd e = Eigen::Map<const Eigen::VectorXd>(link.data(), n - 1);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
    eig.computeFromTridiagonal(d, e, Eigen::ComputeEigenvectors);
    if (eig.info() != Eigen::Success)
      throw NumericalError(fmt::format("local trajectory: eigendecomposition of G failed at "
                                       "(j_C, j_B, M) = ({}, {}, {})", jc, jb, M));
    block->lambda = eig.eigenvalues().cwiseMax(0.0);  // G >= 0; clip rounding
    block->vectors = eig.eigenvectors();
  }
  make_room(8.0 * (block->vectors.size() + n));
  return *blocks_.emplace(key, std::move(block)).first->second;
}

const BlockTridiagonal& NoJumpCache::generator(double jc, double jb, double M) {
  const auto key = std::make_tuple(twice(jc), twice(jb), twice(M));
  auto it = generators_.find(key);
  if (it != generators_.end()) return it->second;
  BlockTridiagonal g = no_jump_generator(model_, jc, jb, M);
  make_room(16.0 * g.diagonal.size() + 64);
  return generators_.emplace(key, std::move(g)).first->second;
}

void NoJumpCache::make_room(double bytes) {
  if (bytes_ + bytes > max_bytes_) {  // a bounded cache: forget everything, start again
    blocks_.clear();
    generators_.clear();
    bytes_ = 0;
  }
  bytes_ += bytes;
}

}  // namespace darkcharge
