#pragma once
/// @file byte_stream.hpp
/// Plain binary serialisation of work-unit results (checkpoints, MPI): values are appended
/// in native byte order (a checkpoint is resumed on the machine type that wrote it), and a
/// reader refuses to read past the end.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {

class ByteWriter {
 public:
  template <class T>
  void put(const T& x) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes_.append(reinterpret_cast<const char*>(&x), sizeof(T));
  }
  void put_doubles(const double* x, std::size_t n) {
    put<std::uint64_t>(n);
    bytes_.append(reinterpret_cast<const char*>(x), n * sizeof(double));
  }
  void put_string(const std::string& s) {
    put<std::uint64_t>(s.size());
    bytes_ += s;
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

class ByteReader {
 public:
  ByteReader(const char* data, std::size_t size) : p_(data), end_(data + size) {}
  explicit ByteReader(const std::string& s) : ByteReader(s.data(), s.size()) {}
  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T));
    T x;
    std::memcpy(&x, p_, sizeof(T));
    p_ += sizeof(T);
    return x;
  }
  std::vector<double> get_doubles() {
    const auto n = get<std::uint64_t>();
    if (n > std::uint64_t(end_ - p_) / sizeof(double)) need(std::size_t(-1));
    std::vector<double> x(n);
    // memcpy needs valid pointers even for 0 bytes, and an empty vector's data() may be null.
    if (n > 0) std::memcpy(x.data(), p_, n * sizeof(double));
    p_ += n * sizeof(double);
    return x;
  }
  std::string get_string() {
    const auto n = get<std::uint64_t>();
    if (n > std::uint64_t(end_ - p_)) need(std::size_t(-1));
    std::string s(p_, n);
    p_ += n;
    return s;
  }
  /// A count or length written as uint64: throws InvalidArgument naming `what` unless it is
  /// at most `maximum` (what the run's layout allows), before anything is sized by it.
  std::uint64_t get_count(const char* what, std::uint64_t maximum) {
    const auto n = get<std::uint64_t>();
    if (n > maximum)
      throw InvalidArgument(std::string("work-unit data: ") + what + " " + std::to_string(n) +
                            " exceeds " + std::to_string(maximum));
    return n;
  }
  /// get_doubles() that must hold exactly `expected` finite values (`what` names them).
  std::vector<double> get_finite_doubles(const char* what, std::uint64_t expected) {
    const auto n = get<std::uint64_t>();
    if (n != expected)
      throw InvalidArgument(std::string("work-unit data: ") + what + " has " + std::to_string(n) +
                            " values, expected " + std::to_string(expected));
    p_ -= sizeof(std::uint64_t);
    std::vector<double> x = get_doubles();
    for (double v : x)
      if (!std::isfinite(v))
        throw InvalidArgument(std::string("work-unit data: ") + what + " holds a non-finite value");
    return x;
  }
  /// A double that must be finite (`what` names it).
  double get_finite(const char* what) {
    const double x = get<double>();
    if (!std::isfinite(x))
      throw InvalidArgument(std::string("work-unit data: ") + what + " is not finite");
    return x;
  }
  bool at_end() const { return p_ == end_; }
  std::size_t remaining() const { return std::size_t(end_ - p_); }

 private:
  void need(std::size_t n) const {
    if (n > std::size_t(end_ - p_))
      throw InvalidArgument("work-unit data: truncated or corrupt (read past the end)");
  }
  const char* p_;
  const char* end_;
};

}  // namespace darkcharge
