#include "darkcharge/rng.hpp"

namespace darkcharge {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

Rng trajectory_rng(std::uint64_t seed, std::uint64_t k) {
  return Rng(splitmix64(splitmix64(seed) ^ splitmix64(k + 0x632be59bd9b4e019ULL)));
}

}  // namespace darkcharge
