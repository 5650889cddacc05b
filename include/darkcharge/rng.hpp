#pragma once
/// @file rng.hpp
/// Random streams: trajectory k draws from a generator built from (seed, k) only, so results
/// do not depend on thread count or on how trajectories are split between machines.
#include <cstdint>

#include <boost/random/mersenne_twister.hpp>

namespace darkcharge {

using Rng = boost::random::mt19937_64;

/// The generator of trajectory `k` of a run with master seed `seed`. The pair is mixed with
/// SplitMix64 so that neighbouring k give unrelated Mersenne-Twister initial states.
Rng trajectory_rng(std::uint64_t seed, std::uint64_t k);

/// Uniform double in [0, 1) with 53 random bits; defined here (not by a library
/// distribution) so the stream of numbers is the same with every compiler and library.
inline double uniform01(Rng& rng) { return double(rng() >> 11) * 0x1.0p-53; }

}  // namespace darkcharge
