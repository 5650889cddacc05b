#include "ensemble/local_noise_units.hpp"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <boost/crc.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "darkcharge/core/byte_stream.hpp"
#include "darkcharge/core/errors.hpp"

namespace darkcharge::local_noise {
namespace {

// The unit format below; change it with the format.
const char* const kTag = "darkcharge local-noise unit 1";

struct NamedRate {
  const char* name;
  double LocalRates::*rate;
};
constexpr NamedRate kRates[] = {{"decay", &LocalRates::decay},
                                {"pumping", &LocalRates::pumping},
                                {"dephasing", &LocalRates::dephasing}};

/// What a unit records in the clear, so that a unit of another run is refused naming what
/// differs (the key below covers these and the rest): the model with its six single-spin
/// rates, and the run's size and layout.
std::vector<std::pair<std::string, double>> named_values(const UnitPlan& plan) {
  const Model& m = plan.model;
  std::vector<std::pair<std::string, double>> v = {
      {"N_B", m.n_battery}, {"N_C", m.n_charger}, {"omega", m.omega}, {"gamma", m.gamma},
      {"nbar", m.nbar}, {"battery initial state (code)", double(static_cast<int>(m.battery_init))},
      {"reservoir coupling (code)", double(static_cast<int>(m.reservoir))}};
  for (const auto& [ensemble, r] : {std::pair<const char*, const LocalRates*>{"charger", &m.local.charger},
                                    {"battery", &m.local.battery}})
    for (const NamedRate& named : kRates)
      v.emplace_back(fmt::format("{} {} rate", ensemble, named.name), r->*named.rate);
  v.insert(v.end(), {{"output times", double(plan.grid.points)}, {"t_max", plan.grid.t_max},
                     {"trajectories", double(plan.layout.trajectories)},
                     {"blocks", double(plan.layout.blocks)},
                     {"unit size", double(plan.layout.unit_size)}});
  return v;
}

std::uint64_t unit_key(const UnitPlan& plan, const EnsembleOptions& options) {
  const Model& m = plan.model;
  const WorkLayout& layout = plan.layout;
  ByteWriter w;
  w.put_string(kTag);
  w.put<std::int64_t>(m.n_battery);
  w.put<std::int64_t>(m.n_charger);
  w.put(m.omega);
  w.put(m.gamma);
  w.put(m.nbar);
  w.put<std::int32_t>(static_cast<std::int32_t>(m.battery_init));
  w.put<std::int32_t>(static_cast<std::int32_t>(m.reservoir));
  for (const LocalRates* r : {&m.local.charger, &m.local.battery})
    for (const NamedRate& named : kRates) w.put(r->*named.rate);
  w.put(plan.grid.t_max);
  w.put<std::int64_t>(plan.grid.points);
  for (int g = 0; g < plan.grid.points; ++g) w.put(plan.grid.time(g));
  w.put<std::uint64_t>(options.seed);
  w.put<std::int64_t>(layout.trajectories);
  w.put<std::int64_t>(layout.blocks);
  w.put<std::int64_t>(layout.unit_size);
  for (long s : layout.round_start) w.put<std::int64_t>(s);
  w.put<std::int64_t>(plan.slots);
  w.put<std::int32_t>(plan.ergotropy ? 1 : 0);
  if (plan.entanglement) w.put<std::int32_t>(2);  // units without S_B keep their earlier key
  w.put_string(plan.protocol);
  boost::crc_optimal<64, 0x42F0E1EBA9EA3693ULL, ~0ULL, ~0ULL, true, true> crc;  // CRC-64/XZ
  crc.process_bytes(w.bytes().data(), w.bytes().size());
  return crc.checksum();
}

std::uint32_t crc32(const std::string& bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

InvalidArgument refused(long u, const std::string& why) {
  return InvalidArgument(fmt::format("work-unit data: unit {}: {}", u, why));
}

/// What differs between the protocol a unit was run through (`stored`) and this run's, both
/// protocol_json() texts (empty: none): the segment count, or the first segment and key.
std::string protocol_difference(const std::string& stored, const std::string& mine) {
  if (stored.empty() || mine.empty())
    return fmt::format("it was run {} a protocol, this run {}", stored.empty() ? "without" : "through",
                       mine.empty() ? "has none" : "has one");
  const auto a = nlohmann::json::parse(stored, nullptr, false), b = nlohmann::json::parse(mine, nullptr, false);
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size())
      return fmt::format("it was run through a protocol of {} segments, this run's has {}", a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      const auto fa = a[i].flatten(), fb = b[i].flatten();
      for (const auto& [key, value] : fa.items()) {
        const auto other = fb.find(key);
        if (other == fb.end() || *other != value)
          return fmt::format("protocol segment {}: it was run with {} {}, this run has {}", i + 1,
                             key.substr(1), value.dump(), other == fb.end() ? "none" : other->dump());
      }
    }
  }
  return "it was run through another protocol";
}

}  // namespace

UnitPlan::UnitPlan(const Model& model_, const TimeGrid& grid_, const EnsembleOptions& options,
                   bool ergotropy_, std::string protocol_)
    : model(model_), grid(grid_), layout(work_layout(options)),
      seed(options.seed), slots(kSectors + model_.n_battery / 2 + 1), ergotropy(ergotropy_),
      entanglement(options.observables.empty()
                       ? options.entanglement
                       : wanted(options.observables, "S_B") || wanted(options.observables, "dS_B_dt")),
      protocol(std::move(protocol_)), key(0) {
  key = unit_key(*this, options);
}

UnitSums UnitPlan::new_unit() const {
  UnitSums unit;
  unit.sums.assign(std::size_t(grid.points) * slots, 0.0);
  if (ergotropy) unit.levels.resize(grid.points);
  if (entanglement) unit.states = EntanglementSums(model, 1, grid.points, true);
  return unit;
}

std::string save_unit(const UnitPlan& plan, long u, const UnitSums& unit) {
  ByteWriter out;
  out.put_string(kTag);
  const auto named = named_values(plan);
  out.put<std::uint64_t>(named.size());
  for (const auto& [name, value] : named) out.put(value);
  out.put<std::uint64_t>(plan.seed);
  out.put_string(plan.protocol);
  out.put<std::uint64_t>(plan.key);
  out.put<std::int64_t>(u);
  out.put<std::int64_t>(unit.trajectories);
  out.put<std::int64_t>(unit.jumps);
  out.put<std::int64_t>(unit.local_jumps);
  out.put_doubles(unit.sums.data(), unit.sums.size());
  out.put<std::uint64_t>(unit.levels.size());
  for (const LevelSums& at : unit.levels) {
    out.put<std::uint64_t>(at.size());
    for (const auto& [jb, v] : at) {
      out.put(jb);
      out.put_doubles(v.data(), std::size_t(v.size()));
    }
  }
  if (unit.states.keeping()) unit.states.save(out);
  out.put<std::uint32_t>(crc32(out.bytes()));
  return std::move(out.bytes());
}

UnitSums load_unit(const UnitPlan& plan, long u, const std::string& bytes) {
  const Model& model = plan.model;
  // The CRC first: a damaged unit is refused as damaged, whatever the damage hit.
  ByteReader in(bytes.data(), bytes.size() < 4 ? bytes.size() : bytes.size() - 4);
  {
    ByteReader tail(bytes.data() + (bytes.size() < 4 ? 0 : bytes.size() - 4), bytes.size() < 4 ? bytes.size() : 4);
    const auto stored = tail.get<std::uint32_t>();
    if (stored != crc32(bytes.substr(0, bytes.size() - 4)))
      throw refused(u, "damaged (its CRC-32 does not match)");
  }
  if (in.get_string() != kTag)
    throw refused(u, "not a local-noise trajectory unit (a collective run's, or damaged)");
  const auto named = named_values(plan);
  if (in.get<std::uint64_t>() != named.size())
    throw refused(u, "not a local-noise trajectory unit of this format (damaged)");
  for (const auto& [name, value] : named) {
    const double stored = in.get<double>();
    if (!(stored == value))
      throw refused(u, fmt::format("it was run with {} {}, this run has {}", name, stored, value));
  }
  const auto seed = in.get<std::uint64_t>();
  if (seed != plan.seed) throw refused(u, fmt::format("it was run with seed {}, this run has {}", seed, plan.seed));
  if (const std::string stored = in.get_string(); stored != plan.protocol)
    throw refused(u, protocol_difference(stored, plan.protocol));
  const auto key = in.get<std::uint64_t>();
  if (key != plan.key)
    throw refused(u, fmt::format("it belongs to another run (run key {:016x}, this run's is "
                                 "{:016x}: output times, layout, W_B or protocol differ)", key, plan.key));
  const auto index = in.get<std::int64_t>();
  if (index != u) throw refused(u, fmt::format("it holds the data of unit {}", index));
  UnitSums unit;
  const long n = plan.layout.end(u) - plan.layout.first(u);
  unit.trajectories = in.get<std::int64_t>();
  if (unit.trajectories != n)
    throw refused(u, fmt::format("{} trajectories, expected {}", unit.trajectories, n));
  unit.jumps = in.get<std::int64_t>();
  unit.local_jumps = in.get<std::int64_t>();
  if (unit.jumps < 0 || unit.local_jumps < 0 || unit.local_jumps > unit.jumps)
    throw refused(u, fmt::format("jump counts {} (local {}) are impossible", unit.jumps, unit.local_jumps));
  const int points = plan.grid.points, slots = plan.slots;
  unit.sums = in.get_finite_doubles("local-noise sums", std::uint64_t(points) * slots);
  // Every sum lies within what n trajectories can add: each one sits in exactly one battery
  // sector, and counts, squares, rates and populations are >= 0; |J^z| <= j.
  const double slack = 1e-9 * (1.0 + double(n));
  for (int g = 0; g < points; ++g) {
    const double* row = unit.sums.data() + std::size_t(g) * slots;
    double in_sectors = 0;
    for (int s = kSectors; s < slots; ++s) {
      if (row[s] < 0 || row[s] != std::floor(row[s])) throw refused(u, "a battery-sector count is not a count");
      in_sectors += row[s];
    }
    if (in_sectors != double(n))
      throw refused(u, fmt::format("the battery-sector counts at time index {} add up to {}, not {}", g,
                                   in_sectors, n));
    for (int s : {kDark, kJzB2, kEmission, kAbsorption, kEmitted, kEmitted2, kAbsorbed})
      if (row[s] < 0) throw refused(u, fmt::format("sum {} at time index {} is negative", s, g));
    if (std::abs(row[kJzB]) > model.j_battery() * n + slack || std::abs(row[kJzC]) > model.j_charger() * n + slack ||
        row[kDark] > n + slack || row[kJzB2] > model.j_battery() * model.j_battery() * n + slack)
      throw refused(u, fmt::format("a sum at time index {} exceeds what {} trajectories can add", g, n));
  }
  const auto times = in.get_count("local-noise level times", plan.ergotropy ? points : 0);
  if (times != std::uint64_t(plan.ergotropy ? points : 0))
    throw refused(u, fmt::format("{} times of battery level populations, expected {}", times,
                                 plan.ergotropy ? points : 0));
  unit.levels.resize(times);
  const int sectors = model.n_battery / 2 + 1;
  for (std::uint64_t g = 0; g < times; ++g) {
    const auto count = in.get_count("local-noise battery sectors", std::uint64_t(sectors));
    double total = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      const double jb = in.get_finite("battery sector j_B");
      const double from_top = model.j_battery() - jb;
      if (!(from_top >= 0 && from_top <= sectors - 1 && from_top == std::floor(from_top)))
        throw refused(u, fmt::format("battery sector j_B = {} does not exist at N_B = {}", jb, model.n_battery));
      if (unit.levels[g].count(jb)) throw refused(u, fmt::format("battery sector j_B = {} twice", jb));
      const std::vector<double> v =
          in.get_finite_doubles("battery level populations", std::uint64_t(std::lround(2 * jb) + 1));
      Eigen::VectorXd& out = unit.levels[g][jb];
      out.resize(static_cast<Eigen::Index>(v.size()));
      for (std::size_t l = 0; l < v.size(); ++l) {
        if (v[l] < 0) throw refused(u, "a battery level population is negative");
        out[static_cast<Eigen::Index>(l)] = v[l];
        total += v[l];
      }
    }
    // Each trajectory's state is normalized: its level populations add up to 1.
    if (std::abs(total - double(n)) > 1e-6 * (1.0 + double(n)))
      throw refused(u, fmt::format("the battery level populations at time index {} add up to {}, not {}",
                                   g, total, n));
  }
  if (plan.entanglement) {
    unit.states = EntanglementSums(model, 1, points, true);
    if (unit.states.keeping()) unit.states.load(in, n);
  }
  if (!in.at_end()) throw refused(u, fmt::format("{} trailing bytes", in.remaining()));
  return unit;
}

UnitFolder::UnitFolder(const UnitPlan& plan, BlockTotals& totals)
    : plan_(plan), totals_(totals), next_(plan.layout.blocks) {
  for (int b = 0; b < plan.layout.blocks; ++b) next_[b] = b;
}

void UnitFolder::add(long u, UnitSums&& unit) {
  pending_.emplace(u, std::move(unit));
  const int b = plan_.layout.block_of(u);
  for (auto it = pending_.find(next_[b]); it != pending_.end(); it = pending_.find(next_[b])) {
    fold(b, it->second);
    pending_.erase(it);
    next_[b] += plan_.layout.blocks;
  }
}

void UnitFolder::finish() {
  for (const auto& [u, unit] : pending_) fold(plan_.layout.block_of(u), unit);
  pending_.clear();
}

void UnitFolder::fold(int b, const UnitSums& unit) {
  const std::size_t width = std::size_t(plan_.grid.points) * plan_.slots;
  double* block = totals_.sums.data() + std::size_t(b) * width;
  for (std::size_t i = 0; i < width; ++i) block[i] += unit.sums[i];
  for (std::size_t g = 0; g < unit.levels.size(); ++g)
    for (const auto& [jb, v] : unit.levels[g]) {
      Eigen::VectorXd& to = totals_.levels[std::size_t(b) * plan_.grid.points + g][jb];
      if (to.size() == 0)
        to = v;
      else
        to += v;
    }
  if (unit.states.keeping()) totals_.states.fold(b, unit.states);
  totals_.count[b] += unit.trajectories;
  totals_.jumps[b] += unit.jumps;
  totals_.local_jumps[b] += unit.local_jumps;
}

}  // namespace darkcharge::local_noise
