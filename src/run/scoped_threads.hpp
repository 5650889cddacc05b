#pragma once
// EnsembleOptions::threads for every OpenMP region of a run (the estimators' loops over
// output times, the exact solver's) while in scope; the caller's setting comes back
// afterwards. omp_set_num_threads sets the calling thread's own default, so concurrent
// callers (Python threads) do not disturb each other.
#include <omp.h>

namespace darkcharge {

class ScopedThreads {
 public:
  explicit ScopedThreads(int threads) : saved_(omp_get_max_threads()) {
    if (threads > 0) omp_set_num_threads(threads);
  }
  ~ScopedThreads() { omp_set_num_threads(saved_); }
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;

 private:
  int saved_;
};

}  // namespace darkcharge
