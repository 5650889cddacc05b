#pragma once
/// @file progress.hpp
/// How long runs report progress: the library never prints; front ends pass a callback.
#include <functional>

namespace darkcharge {

/// Called now and then, from one thread at a time, with (work done, total work).
using ProgressCallback = std::function<void(long done, long total)>;

}  // namespace darkcharge
