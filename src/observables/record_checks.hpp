#pragma once
// Checks of the keys that records read back from bytes (BlockRecord::load): a battery
// sector j_B and a total M must be values the model can hold, so that the sizes derived
// from them (2 j_B + 1 levels, the product levels of a (j_B, M) block) are what the
// estimators expect. The bytes may come from a damaged or crafted checkpoint.
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/core/byte_stream.hpp"
#include "darkcharge/core/errors.hpp"

namespace darkcharge {

/// Reads j_B: one of N_B/2, N_B/2 - 1, ..., >= 0.
inline double read_battery_sector(ByteReader& in, int n_battery, const char* record) {
  const double jb = in.get<double>();
  const double twice = 2 * jb;
  if (!(twice >= 0 && twice <= n_battery && twice == std::floor(twice) &&
        (n_battery - static_cast<long>(twice)) % 2 == 0))
    throw InvalidArgument(fmt::format("work-unit data: {} record: j_B = {} is not a battery "
                                      "sector of N_B = {}", record, jb, n_battery));
  return jb;
}

/// Reads total M of sector j_B: |M| <= j_C + j_B, M + j_C + j_B an integer.
inline double read_total_m(ByteReader& in, double jc, double jb, const char* record) {
  const double M = in.get<double>();
  const double shifted = M + jc + jb;
  if (!(shifted >= 0 && shifted <= 2 * (jc + jb) && shifted == std::floor(shifted)))
    throw InvalidArgument(fmt::format("work-unit data: {} record: M = {} is not a total M of "
                                      "j_C = {}, j_B = {}", record, M, jc, jb));
  return M;
}

/// Number of product levels m_B of block (j_B, M): min(j_B, M + j_C) - max(-j_B, M - j_C) + 1.
inline long product_levels(double jc, double jb, double M) {
  const double last = jb < M + jc ? jb : M + jc;
  return std::lround(last - first_battery_level(jc, jb, M)) + 1;
}

}  // namespace darkcharge
