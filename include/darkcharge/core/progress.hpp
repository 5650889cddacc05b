#pragma once
/// @file progress.hpp
/// How long runs report progress: the library never prints; front ends pass a callback.
#include <functional>
#include <string>

namespace darkcharge {

/// Called now and then, from one thread at a time, with (work done, total work).
using ProgressCallback = std::function<void(long done, long total)>;

/// Called when a run enters a phase of its own (e.g. "estimate S_B" after the trajectories);
/// the progress reported after it counts that phase's work.
using PhaseCallback = std::function<void(const std::string& phase)>;

}  // namespace darkcharge
