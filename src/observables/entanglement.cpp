// S_B and dS_B_dt: logarithmic negativity of the averaged joint state (paper Eq. 12) and its
// rate. Each block keeps its trajectories' summed |psi><psi| (block diagonal in (j_B, M)).
// The negativity is nonlinear and not smooth at the many near-zero eigenvalues of
// rho^{T_B}: root-n corrected to second order (nonsmooth_estimate.hpp) with jackknife
// errors, NaN at times whose visited blocks the sample covers too thinly
// (kMaxLevelsPerTrajectory, and the edges of such stretches), clamped at
// S_B >= 0 (bounded_estimate.hpp). dS_B_dt is the time derivative of the corrected curve
// (clamped as S_B is), its error the jackknife spread of the replicates' derivatives, which
// also feed the peak summary. At nbar = 0 both errors are at least a rare-event floor
// (rare_event_floor.hpp). Also hands back the averaged state per grid time.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/estimate/nonsmooth_estimate.hpp"
#include "darkcharge/run/observable.hpp"
#include "flat_blocks.hpp"
#include "negativity_estimate.hpp"
#include "record_checks.hpp"

namespace darkcharge {
namespace {

/// The root-n correction's order (nonsmooth_estimate.hpp). The first order ran high at the
/// burst's onset (N_B = 10, N_C = 100, nbar = 0.1, 2000 trajectories: coverage 0.65-0.70 at
/// t = 0.02-0.04, mean z +1.26, 20 seeds); the second brings it to 0.90-1.00 (mean z +0.41),
/// and N_B = 6, N_C = 60 from 0.956 (worst 0.88) to 0.977 (worst 0.93); bench/README.md.
constexpr int kRootNOrder = 2;

struct JointStateRecord : BlockRecord {
  JointStateRecord(int points, const Model& model) : rho(points), last(points), model(model) {}
  void observe(int begin, int end, const Sample& s) override {
    const Eigen::VectorXd& psi = s.product_amplitudes();
    for (int g = begin; g < end; ++g) add(g, key(s), psi, 1.0);
  }
  // Counting path (BlockRecord::keep): |psi> of a state seen once, added with the number
  // of trajectories that held it.
  bool countable() const override { return true; }
  void keep(int /*g*/, const Sample& s) override {
    kept.push_back(key(s));
    kept_amplitudes.push(s.product_amplitudes());
  }
  void add_kept(std::size_t entry, int g, long times) override {
    add(g, kept[entry], kept_amplitudes.segment(entry), double(times));
  }
  void clear_kept() override {
    kept.clear();
    kept_amplitudes.clear();
  }
  std::size_t kept_bytes() const override {
    return kept_amplitudes.bytes() + kept.size() * sizeof(kept[0]);
  }
  void merge(const BlockRecord& next) override {
    const auto& other = static_cast<const JointStateRecord&>(next).rho;
    for (std::size_t g = 0; g < rho.size(); ++g) rho[g].add(other[g], 1.0);
  }
  void save(ByteWriter& out) const override {
    for (const auto& r : rho) {
      out.put<std::uint64_t>(r.blocks.size());
      for (const auto& [key, block] : r.blocks) {
        out.put(key.first);
        out.put(key.second);
        out.put<std::int64_t>(block.rows());
        out.put_doubles(block.data(), block.size());
      }
    }
  }
  void load(ByteReader& in, const UnitBounds& /*unit*/) override {
    const double jc = model.j_charger();
    std::uint64_t blocks_max = 0;  // (j_B, M) pairs of the model
    for (int twice_jb = model.n_battery; twice_jb >= 0; twice_jb -= 2)
      blocks_max += model.n_charger + twice_jb + 1;
    for (auto& r : rho) {
      const auto count = in.get_count("S_B record: block count", blocks_max);
      for (std::uint64_t i = 0; i < count; ++i) {
        const double jb = read_battery_sector(in, model.n_battery, "S_B");
        const double M = read_total_m(in, jc, jb, "S_B");
        const DensityMatrix::Key key{jb, M};
        if (!r.blocks.empty() && !(r.blocks.rbegin()->first < key))
          throw InvalidArgument("work-unit data: S_B record: blocks out of order");
        // The product levels of (j_B, M): the size partial_transpose() and the written
        // joint state assume for this block.
        const long levels = product_levels(jc, jb, M);
        const auto rows = in.get<std::int64_t>();
        if (rows != levels)
          throw InvalidArgument(fmt::format("work-unit data: S_B record: block (j_B = {}, M = {}) "
                                            "has {} rows, expected {}", jb, M, rows, levels));
        const std::vector<double> v =
            in.get_finite_doubles("S_B record: block", std::uint64_t(levels) * levels);
        r.blocks[key] = Eigen::Map<const Eigen::MatrixXd>(v.data(), levels, levels);
      }
    }
  }
  std::vector<DensityMatrix> rho;  // per grid time, summed (not averaged)
  std::vector<std::pair<DensityMatrix::Key, Eigen::MatrixXd*>> last;  // per grid time
  std::vector<DensityMatrix::Key> kept;  // per kept entry: its (j_B, M) block
  KeptVectors kept_amplitudes;
  Model model;  // a copy: the record may outlive the context it was made in

 private:
  static DensityMatrix::Key key(const Sample& s) {
    return {s.state().j_battery(), s.state().total_m()};
  }
  /// rho[g] += weight |psi><psi| in block `key` (the update of DensityMatrix::add_pure).
  template <class Amplitudes>
  void add(int g, const DensityMatrix::Key& key, const Amplitudes& psi, double weight) {
    // Successive trajectories often meet the same (j_B, M) block at a given time: keep a
    // pointer to it (map nodes do not move).
    if (!last[g].second || last[g].first != key) last[g] = {key, &rho[g].blocks[key]};
    Eigen::MatrixXd& block = *last[g].second;
    if (block.size() == 0) block = Eigen::MatrixXd::Zero(psi.size(), psi.size());
    block.selfadjointView<Eigen::Lower>().rankUpdate(psi, weight);
  }
};

class Entanglement : public Observable {
 public:
  Entanglement(int points, const Model& model) : points_(points), model_(model) {}
  bool needs_product_basis() const override { return true; }
  std::unique_ptr<BlockRecord> new_record() const override {
    return std::make_unique<JointStateRecord>(points_, model_);
  }

  void estimate(const BlockSums& sums, Estimates& out) const override {
    const int points = points_, blocks = sums.blocks();
    const long n = sums.trajectories();
    const double jc = sums.model().j_charger();
    const std::vector<long>& sizes = sums.block_sizes();
    // entropy[0]: all trajectories; entropy[b + 1]: all but block b (root-n corrected both).
    std::vector<std::vector<double>> entropy(blocks + 1, std::vector<double>(points));
    std::vector<double> entropy_error(points);
    out.result.density.assign(points, DensityMatrix());
    // Beyond the validated width the columns are withdrawn: only the averaged states. Times
    // whose visited blocks the sample covers too thinly (kMaxLevelsPerTrajectory) are NaN.
    const bool withdrawn = !negativity_withdrawn_reason(sums.model()).empty();
    std::vector<bool> undersampled(points, false);
    std::vector<double> levels(points, 0.0);
    // The averaged state at time g (cheap: kept even where the time limit leaves S_B NaN).
    auto average = [&](int g) {
      DensityMatrix total;
      for (int b = 0; b < blocks; ++b) total.add(rho(sums, b, g), 1.0);
      levels[g] = levels_per_trajectory(total, n);
      total.scale(1.0 / n);
      out.result.density[g] = std::move(total);
    };
    const long done = for_each_time(points, out.bounds, "estimate S_B", [&](int g) {
      average(g);
      if (withdrawn) return;
      if (levels[g] > kMaxLevelsPerTrajectory) {
        undersampled[g] = true;
        entropy_error[g] = std::numeric_limits<double>::quiet_NaN();
        for (auto& curve : entropy) curve[g] = std::numeric_limits<double>::quiet_NaN();
        return;
      }
      // rho^{T_B} is linear in rho: transpose each block once; a subset's is a sum.
      std::vector<PartialTranspose> parts;
      for (int b = 0; b < blocks; ++b) parts.push_back(partial_transpose(rho(sums, b, g), jc));
      std::vector<const std::map<PartialTranspose::Key, Eigen::MatrixXd>*> per_block;
      for (const auto& part : parts) per_block.push_back(&part.blocks);
      const FlatBlocks<PartialTranspose::Key> transposes(per_block);
      const RootNEstimate e = log_negativity_estimate(sizes, transposes, kRootNOrder);
      entropy[0][g] = e.value;
      entropy_error[g] = e.error;
      for (int b = 0; b < blocks; ++b) entropy[b + 1][g] = e.leave_one_out[b];
    }, [&](int g) {  // the time limit: S_B is not estimated at this time
      average(g);
      entropy_error[g] = std::nan("");
      for (auto& curve : entropy) curve[g] = std::nan("");
    });
    if (!withdrawn) {  // the stretches' edges (kEdgeLevelsPerTrajectory)
      const std::vector<bool> thin = undersampled_times(levels);
      for (int g = 0; g < points; ++g)
        if (thin[g] && !undersampled[g]) {
          undersampled[g] = true;
          entropy_error[g] = std::numeric_limits<double>::quiet_NaN();
          for (auto& curve : entropy) curve[g] = std::numeric_limits<double>::quiet_NaN();
        }
    }
    NegativityColumns c = negativity_columns(
        sums.model(), sums.grid(), n, entropy, entropy_error, sums.model().nbar == 0.0, {},
        "lingering trajectories with probability < 3/n may be missing at nbar = 0");
    const std::string thin = undersampled_note(undersampled, levels);
    if (!thin.empty())
      for (Column* column : {&c.s_b, &c.rate}) column->note += (column->note.empty() ? "" : " ") + thin;
    if (!withdrawn) {
      note_time_limit(c.s_b, done, points);
      note_time_limit(c.rate, done, points);
    }
    out.result.series.columns.push_back(std::move(c.s_b));
    out.result.series.columns.push_back(std::move(c.rate));
    if (c.rate_full.empty()) return;  // withdrawn
    Replicates& curve = out.curves["dS_B_dt"];
    curve.full = std::move(c.rate_full);
    curve.leave_one_out = std::move(c.rate_leave_one_out);
  }

 private:
  static const DensityMatrix& rho(const BlockSums& sums, int b, int g) {
    return static_cast<const JointStateRecord*>(sums.record(b))->rho[g];
  }
  int points_;
  Model model_;
};

}  // namespace

std::unique_ptr<Observable> make_entanglement(const ObservableContext& context) {
  return std::make_unique<Entanglement>(context.grid.points, context.model);
}

}  // namespace darkcharge
