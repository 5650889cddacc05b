#pragma once
/// @file byte_stream.hpp
/// Plain binary serialisation of work-unit results (checkpoints, MPI): values are appended
/// in native byte order (a checkpoint is resumed on the machine type that wrote it), and a
/// reader refuses to read past the end.
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
    std::memcpy(x.data(), p_, n * sizeof(double));
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
