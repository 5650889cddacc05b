// Damaged, crafted and foreign checkpoints (format 2, src/cli/checkpoint.hpp) are refused by
// `darkcharge resume`: single-byte flips at many positions, truncations, lengths and counts
// rewritten with valid CRCs (so that only the checks of the unit records can catch them),
// units of another run (--nb 3 under --nb 2, another seed, other --points) and files that
// are not regular. Each refusal exits non-zero, names the file and writes nothing; the
// intact checkpoint resumes to the rows of an uninterrupted run. Runs under the sanitizer
// build too (label "cli"), where a record that slipped through would overflow the heap.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <boost/crc.hpp>
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_process.hpp"

namespace {

using darkcharge::testing::data_rows;
using darkcharge::testing::read_file;
using darkcharge::testing::run_darkcharge;
using darkcharge::testing::TemporaryDirectory;
using darkcharge::testing::with;

// A short run whose checkpoint holds every kind of unit record: W_B and S_B (default
// columns), sector populations, P(n, t) and jump records; --sampling trajectories (small
// runs are otherwise computed exactly, with no units). ~0.5 s in a Release build;
// --time-limit stops it after its first units.
std::vector<std::string> run_args(const std::string& nb, const std::string& seed,
                                  const std::string& points = "21") {
  return {"simulate", "--sampling", "trajectories", "--nb", nb, "--nc", "4", "--nbar", "0.5", "-n", "50000", "--points",
          points, "--seed", seed, "-q", "--threads", "1", "--state-times", "0.5,1",
          "--counts-output", "counts.csv", "--sectors-output", "sectors.csv",
          "--record-trajectories", "30", "--jumps-output", "jumps.csv"};
}

std::vector<std::string> entries(const std::string& directory) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(directory.c_str())) {
    while (const dirent* e = ::readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

template <class T>
T get(const std::string& bytes, std::size_t at) {
  T x;
  std::memcpy(&x, bytes.data() + at, sizeof x);
  return x;
}
template <class T>
void set(std::string& bytes, std::size_t at, T x) {
  std::memcpy(&bytes[at], &x, sizeof x);
}

/// Offsets of a format-2 checkpoint's fields, from its bytes.
struct Layout {
  std::size_t header_crc = 0;  // offset of the header's CRC
  std::size_t first_argument_length = 0;
  std::size_t unit_count = 0;
  struct Unit {
    std::size_t index, length, data;  // offsets of the index, the length, the bytes
  };
  std::vector<Unit> units;
};

Layout layout_of(const std::string& b) {
  Layout l;
  std::size_t at = 24 + 8;  // magic, file size
  const auto argc = get<std::uint64_t>(b, at);
  at += 8;
  l.first_argument_length = at;
  for (std::uint64_t i = 0; i < argc; ++i) at += 8 + get<std::uint64_t>(b, at);
  l.header_crc = at;
  l.unit_count = at + 4;
  at += 4;
  const auto units = get<std::uint64_t>(b, at);
  at += 8;
  for (std::uint64_t i = 0; i < units; ++i) {
    l.units.push_back({at, at + 8, at + 16});
    at += 16 + get<std::uint64_t>(b, at + 8);
  }
  EXPECT_EQ(at + 4, b.size()) << "the test's idea of format 2 is out of date";
  return l;
}

std::uint32_t crc32(const std::string& b, std::size_t size) {
  boost::crc_32_type crc;
  crc.process_bytes(b.data(), size);
  return crc.checksum();
}

/// Makes the size field and both CRCs fit the (edited) bytes, so that only the checks of
/// the content can refuse them. `header_crc`: offset of the header's CRC in `b`.
std::string with_valid_crcs(std::string b, std::size_t header_crc) {
  set<std::uint64_t>(b, 24, b.size());
  set<std::uint32_t>(b, header_crc, crc32(b, header_crc));
  set<std::uint32_t>(b, b.size() - 4, crc32(b, b.size() - 4));
  return b;
}

/// Replaces the bytes of unit i (fixing its length field).
std::string with_unit(const std::string& b, const Layout& l, std::size_t i, const std::string& unit) {
  const auto& u = l.units[i];
  std::string out = b.substr(0, u.length);
  out += std::string(8, '\0');
  set<std::uint64_t>(out, u.length, unit.size());
  out += unit;
  out += b.substr(u.data + get<std::uint64_t>(b, u.length));
  return out;
}

std::string unit_bytes(const std::string& b, const Layout::Unit& u) {
  return b.substr(u.data, get<std::uint64_t>(b, u.length));
}

/// The header (up to and with its CRC) of `b` followed by the units of `other`: a
/// checkpoint whose command line is `b`'s and whose units come from another run.
std::string spliced(const std::string& b, const std::string& other) {
  const Layout l = layout_of(b), o = layout_of(other);
  std::string out = b.substr(0, l.unit_count) + other.substr(o.unit_count);
  return with_valid_crcs(out, l.header_crc);
}

class CheckpointFuzz : public ::testing::Test {
 protected:
  /// Runs `args` with a checkpoint and a time limit short enough to stop it after its first
  /// units; returns the checkpoint's bytes.
  std::string partial_checkpoint(const std::vector<std::string>& args) {
    TemporaryDirectory dir;
    const auto r = run_darkcharge(with(args, {"--checkpoint", "ck", "--time-limit", "0.05",
                                              "-o", "part.csv"}),
                                  dir.path(), 120);
    EXPECT_TRUE(r.exited && r.exit_code == 0) << r.err;
    EXPECT_TRUE(darkcharge::testing::file_exists(dir / "ck"))
        << "the run finished before its time limit: no checkpoint to damage";
    return darkcharge::testing::file_exists(dir / "ck") ? read_file(dir / "ck") : std::string();
  }

  /// Resumes a checkpoint holding `bytes` in a fresh directory; expects a refusal that names
  /// the file, writes nothing and leaves the checkpoint as it was.
  void expect_refused(const std::string& bytes, const std::string& what) {
    TemporaryDirectory dir;
    { std::ofstream(dir / "ck", std::ios::binary) << bytes; }
    const auto r = run_darkcharge({"resume", "ck", "-q", "-o", "res.csv"}, dir.path(), 60);
    ++refused_;
    ASSERT_FALSE(r.timed_out) << what;
    EXPECT_TRUE(r.exited && r.exit_code != 0) << what << ": resumed (exit " << r.exit_code
                                              << ")\n" << r.err;
    EXPECT_NE(r.err.find("'ck'"), std::string::npos) << what << ": message names no file: " << r.err;
    EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"ck"}) << what << ": wrote files";
    EXPECT_EQ(read_file(dir / "ck"), bytes) << what << ": the checkpoint changed";
  }

  int refused_ = 0;
};

TEST_F(CheckpointFuzz, DamagedCraftedAndForeignCheckpointsAreRefusedIntactOnesResume) {
  const std::string ck = partial_checkpoint(run_args("2", "5"));
  ASSERT_FALSE(ck.empty());
  const Layout l = layout_of(ck);
  ASSERT_GE(l.units.size(), 1u);

  // The intact checkpoint resumes to the rows of an uninterrupted run, side files too.
  {
    TemporaryDirectory full, resumed;
    ASSERT_EQ(run_darkcharge(with(run_args("2", "5"), {"-o", "res.csv"}), full.path(), 120).exit_code, 0);
    { std::ofstream(resumed / "ck", std::ios::binary) << ck; }
    // --time-limit 0: the checkpoint's own limit (which stopped it) would stop it again.
    const auto r = run_darkcharge({"resume", "ck", "-q", "--time-limit", "0", "-o", "res.csv"},
                                  resumed.path(), 120);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* file : {"res.csv", "counts.csv", "sectors.csv", "jumps.csv"})
      EXPECT_EQ(data_rows(read_file(resumed / file)), data_rows(read_file(full / file))) << file;
  }

  // Single-byte flips: every byte of the header, then positions spread over the file.
  std::mt19937_64 rng(2024);
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < l.unit_count + 12 && i < ck.size(); i += 3) positions.push_back(i);
  for (std::size_t k = 0; k < 80; ++k) positions.push_back(ck.size() * k / 80);
  for (int k = 0; k < 40; ++k) positions.push_back(rng() % ck.size());
  positions.push_back(ck.size() - 1);
  for (std::size_t p : positions) {
    std::string b = ck;
    b[p] = static_cast<char>(b[p] ^ (1 + rng() % 255));
    expect_refused(b, "byte " + std::to_string(p) + " flipped");
  }
  // Truncations, from empty to one byte short.
  for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(23), std::size_t(24),
                        std::size_t(31), l.header_crc, l.unit_count, l.unit_count + 8})
    expect_refused(ck.substr(0, n), "truncated to " + std::to_string(n));
  for (int k = 1; k <= 20; ++k) {
    const std::size_t n = ck.size() * k / 21;
    expect_refused(ck.substr(0, n), "truncated to " + std::to_string(n));
  }
  expect_refused(ck.substr(0, ck.size() - 1), "last byte missing");
  expect_refused(ck + std::string(1, '\0'), "one byte appended");

  // Crafted: lengths and counts rewritten, CRCs made valid again.
  auto crafted = [&](const std::string& what, const std::function<void(std::string&)>& edit) {
    std::string b = ck;
    edit(b);
    expect_refused(with_valid_crcs(b, l.header_crc), what);
  };
  const std::size_t unit0 = l.units[0].data;
  crafted("declared file size + 1", [&](std::string& b) { b += std::string(1, 'x'); });
  crafted("argument count 2^60", [&](std::string& b) { set<std::uint64_t>(b, 32, 1ULL << 60); });
  crafted("first argument length 2^60",
          [&](std::string& b) { set<std::uint64_t>(b, l.first_argument_length, 1ULL << 60); });
  crafted("unit count 2^60", [&](std::string& b) { set<std::uint64_t>(b, l.unit_count, 1ULL << 60); });
  crafted("unit count + 1", [&](std::string& b) {
    set<std::uint64_t>(b, l.unit_count, l.units.size() + 1);
  });
  crafted("unit index 10^9", [&](std::string& b) { set<std::int64_t>(b, l.units[0].index, 1000000000); });
  crafted("unit index -1", [&](std::string& b) { set<std::int64_t>(b, l.units[0].index, -1); });
  crafted("unit length 2^60", [&](std::string& b) { set<std::uint64_t>(b, l.units[0].length, 1ULL << 60); });
  crafted("unit's run key changed", [&](std::string& b) { b[unit0] ^= 1; });
  crafted("unit's own index changed", [&](std::string& b) {
    set<std::int64_t>(b, unit0 + 8, get<std::int64_t>(b, unit0 + 8) + 1);
  });
  crafted("trajectory count + 1", [&](std::string& b) {
    set<std::int64_t>(b, unit0 + 16, get<std::int64_t>(b, unit0 + 16) + 1);
  });
  crafted("trajectory count 2^62", [&](std::string& b) { set<std::int64_t>(b, unit0 + 16, 1LL << 62); });
  crafted("statistics points - 1", [&](std::string& b) {
    set<std::int32_t>(b, unit0 + 24, get<std::int32_t>(b, unit0 + 24) - 1);
  });
  crafted("statistics width 2^30", [&](std::string& b) { set<std::int32_t>(b, unit0 + 28, 1 << 30); });
  crafted("cell count 2^62", [&](std::string& b) { set<std::int64_t>(b, unit0 + 32, 1LL << 62); });
  crafted("cell count -1", [&](std::string& b) { set<std::int64_t>(b, unit0 + 32, -1); });
  crafted("cell sum nan", [&](std::string& b) { set<double>(b, unit0 + 48, std::nan("")); });
  crafted("cell lowest above its first value", [&](std::string& b) {
    set<double>(b, unit0 + 64, get<double>(b, unit0 + 40) + 1);
  });
  if (l.units.size() >= 2) {
    crafted("unit index repeated", [&](std::string& b) {
      set<std::int64_t>(b, l.units[1].index, get<std::int64_t>(b, l.units[0].index));
    });
    crafted("units swapped", [&](std::string& b) {
      const std::string a = unit_bytes(ck, l.units[0]), c = unit_bytes(ck, l.units[1]);
      if (a.size() != c.size()) {  // swap the index fields instead (order then wrong)
        set<std::int64_t>(b, l.units[0].index, get<std::int64_t>(ck, l.units[1].index));
        set<std::int64_t>(b, l.units[1].index, get<std::int64_t>(ck, l.units[0].index));
        return;
      }
      b.replace(l.units[0].data, a.size(), c);
      b.replace(l.units[1].data, c.size(), a);
    });
  }
  {
    const std::string u = unit_bytes(ck, l.units[0]);
    expect_refused(with_valid_crcs(with_unit(ck, l, 0, ""), l.header_crc), "empty unit");
    expect_refused(with_valid_crcs(with_unit(ck, l, 0, u.substr(0, u.size() - 1)), l.header_crc),
                   "unit one byte short");
    expect_refused(with_valid_crcs(with_unit(ck, l, 0, u + "x"), l.header_crc), "unit one byte long");
    expect_refused(with_valid_crcs(with_unit(ck, l, 0, u.substr(0, u.size() / 2)), l.header_crc),
                   "unit cut in half");
  }

  // The W_B record (the audit's heap overflow): a run computing W_B alone, whose units hold
  // the statistics and then, per time, the sectors' level populations.
  {
    std::vector<std::string> args = run_args("2", "5");
    args.resize(args.size() - 10);  // without the side outputs
    const std::string wb = partial_checkpoint(with(args, {"--observables", "W_B"}));
    ASSERT_FALSE(wb.empty());
    const Layout w = layout_of(wb);
    const std::string u = unit_bytes(wb, w.units[0]);
    const std::size_t points = get<std::int32_t>(u, 24), width = get<std::int32_t>(u, 28);
    // A statistics cell is (n, shift, s1, s2, lowest, highest): 48 bytes.
    const std::size_t record = 32 + points * width * 48;  // first time's sector count
    ASSERT_GE(get<std::uint64_t>(u, record), 1u);
    const std::size_t jb = record + 8, n = jb + 8, values = n + 8;
    const auto levels = get<std::uint64_t>(u, n);
    ASSERT_EQ(levels, std::uint64_t(2 * get<double>(u, jb) + 1)) << "W_B record layout changed";
    auto wb_crafted = [&](const std::string& what, const std::function<void(std::string&)>& edit) {
      std::string v = u;
      edit(v);
      expect_refused(with_valid_crcs(with_unit(wb, w, 0, v), w.header_crc), "W_B record: " + what);
    };
    wb_crafted("a level vector one number short", [&](std::string& v) {
      set<std::uint64_t>(v, n, levels - 1);
      v.erase(values + 8 * (levels - 1), 8);
    });
    wb_crafted("a level vector one number long", [&](std::string& v) {
      set<std::uint64_t>(v, n, levels + 1);
      v.insert(values + 8 * levels, std::string(8, '\0'));
    });
    wb_crafted("sector count 2^40", [&](std::string& v) { set<std::uint64_t>(v, record, 1ULL << 40); });
    wb_crafted("sector count + 1", [&](std::string& v) {
      set<std::uint64_t>(v, record, get<std::uint64_t>(v, record) + 1);
    });
    wb_crafted("j_B = 0.75", [&](std::string& v) { set<double>(v, jb, 0.75); });
    wb_crafted("j_B = 5 (beyond N_B / 2)", [&](std::string& v) { set<double>(v, jb, 5.0); });
    wb_crafted("population nan", [&](std::string& v) { set<double>(v, values, std::nan("")); });
    wb_crafted("population -1", [&](std::string& v) { set<double>(v, values, -1.0); });
  }

  // Units of other runs under this command line: their sizes may even fit, the run key not.
  expect_refused(spliced(ck, partial_checkpoint(run_args("3", "5"))), "units of an --nb 3 run");
  expect_refused(spliced(ck, partial_checkpoint(run_args("2", "6"))), "units of a --seed 6 run");
  expect_refused(spliced(ck, partial_checkpoint(run_args("2", "5", "31"))), "units of a --points 31 run");
  // and a version 1 file
  expect_refused("darkcharge-checkpoint 1\n" + ck.substr(24), "format version 1");

  // Too large for its run: a valid header on a sparse 4 GiB file is refused unread.
  {
    TemporaryDirectory dir;
    std::string header = ck.substr(0, l.header_crc + 4);
    set<std::uint64_t>(header, 24, 1ULL << 32);
    set<std::uint32_t>(header, l.header_crc, crc32(header, l.header_crc));
    { std::ofstream(dir / "ck", std::ios::binary) << header; }
    ASSERT_EQ(::truncate((dir / "ck").c_str(), 1LL << 32), 0);
    const auto r = run_darkcharge({"resume", "ck", "-q", "-o", "res.csv"}, dir.path(), 60);
    ++refused_;
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("more than"), std::string::npos) << r.err;
    EXPECT_LT(r.seconds, 20) << "read the file instead of refusing it";
  }
  std::fprintf(stderr, "checkpoint fuzz: %d damaged checkpoints, all refused\n", refused_);
}

// The local-noise trajectories' checkpoints (their own unit format, local_noise_units.hpp):
// the intact one resumes to the rows of an uninterrupted run; damaged bytes, damaged units
// under valid file CRCs, and units of a run with another single-spin rate or seed are refused.
std::vector<std::string> local_args(const std::string& battery_decay, const std::string& seed) {
  return {"simulate", "--nb", "2", "--nc", "4", "--nbar", "0.5", "--battery-decay", battery_decay,
          "--charger-dephasing", "0.3", "--sampling", "trajectories", "-n", "50000", "--points",
          "21", "--seed", seed, "-q", "--threads", "1"};
}

TEST_F(CheckpointFuzz, LocalNoiseCheckpointsResumeOrAreRefused) {
  const std::string ck = partial_checkpoint(local_args("0.2", "5"));
  ASSERT_FALSE(ck.empty());
  const Layout l = layout_of(ck);
  ASSERT_GE(l.units.size(), 1u);
  {
    TemporaryDirectory full, resumed;
    ASSERT_EQ(run_darkcharge(with(local_args("0.2", "5"), {"-o", "res.csv"}), full.path(), 120).exit_code, 0);
    { std::ofstream(resumed / "ck", std::ios::binary) << ck; }
    const auto r = run_darkcharge({"resume", "ck", "-q", "--time-limit", "0", "--threads", "2", "-o", "res.csv"},
                                  resumed.path(), 120);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(data_rows(read_file(resumed / "res.csv")), data_rows(read_file(full / "res.csv")));
  }
  std::mt19937_64 rng(7);
  for (int k = 0; k < 40; ++k) {
    const std::size_t p = rng() % ck.size();
    std::string b = ck;
    b[p] = static_cast<char>(b[p] ^ (1 + rng() % 255));
    expect_refused(b, "byte " + std::to_string(p) + " flipped");
  }
  // A unit's byte flipped and a unit cut short, the file's CRCs made valid: the unit's own
  // checks refuse them.
  const std::string u = unit_bytes(ck, l.units[0]);
  for (std::size_t p : {std::size_t(0), u.size() / 3, u.size() / 2, u.size() - 5, u.size() - 1}) {
    std::string v = u;
    v[p] = static_cast<char>(v[p] ^ 0x40);
    expect_refused(with_valid_crcs(with_unit(ck, l, 0, v), l.header_crc), "unit byte " + std::to_string(p));
  }
  expect_refused(with_valid_crcs(with_unit(ck, l, 0, u.substr(0, u.size() - 8)), l.header_crc), "unit short");
  // Units of a run with another battery decay rate under this command line, and the reverse:
  // refused naming the rate.
  {
    TemporaryDirectory dir;
    { std::ofstream(dir / "ck", std::ios::binary) << spliced(ck, partial_checkpoint(local_args("0.25", "5"))); }
    const auto r = run_darkcharge({"resume", "ck", "-q", "-o", "res.csv"}, dir.path(), 60);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("battery decay rate 0.25, this run has 0.2"), std::string::npos) << r.err;
    EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"ck"});
  }
  expect_refused(spliced(ck, partial_checkpoint(local_args("0.2", "6"))), "units of a --seed 6 run");
  // A collective run's units under a local-noise command line.
  std::vector<std::string> collective = run_args("2", "5");
  collective.resize(collective.size() - 10);
  expect_refused(spliced(ck, partial_checkpoint(with(collective, {"--observables", "E_B"}))),
                 "units of a collective run");
}

TEST(CheckpointFiles, OnlyRegularFilesAreRead) {
  TemporaryDirectory dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  ASSERT_EQ(::mkdir((dir / "folder").c_str(), 0700), 0);
  for (const std::string& path : {std::string("fifo"), std::string("/dev/zero"),
                                  std::string("/dev/null"), std::string("folder")}) {
    const auto r = run_darkcharge({"resume", path, "-q", "-o", "res.csv"}, dir.path(), 20);
    ASSERT_FALSE(r.timed_out) << path << ": hangs";
    EXPECT_EQ(r.exit_code, 2) << path;
    EXPECT_NE(r.err.find("'" + path + "'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(darkcharge::testing::file_exists(dir / "res.csv"));
}

}  // namespace
