#pragma once
/// @file errors.hpp
/// Every error the library throws, and the checks that throw them. Messages name the
/// argument and its value, so a front end can print them as they are.
#include <stdexcept>
#include <string>

namespace darkcharge {

/// A caller passed a value outside the model's domain (bad spin count, negative nbar, ...).
class InvalidArgument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// The numerics failed (non-finite norm, no jump channel left, integrator stalled).
class NumericalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The run was asked to stop (EnsembleOptions::stop was set, e.g. by SIGINT in the CLI or
/// Ctrl-C in Python) before it finished.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws InvalidArgument unless `value` is finite.
void check_finite(const char* argument, double value);
/// Throws InvalidArgument unless `value` is finite and > 0.
void check_positive(const char* argument, double value);
/// Throws InvalidArgument unless `value` is finite and >= 0.
void check_non_negative(const char* argument, double value);
/// Throws InvalidArgument unless `value >= minimum`.
void check_at_least(const char* argument, long long value, long long minimum);
/// Throws InvalidArgument unless `value <= maximum`.
void check_at_most(const char* argument, long long value, long long maximum);

}  // namespace darkcharge
