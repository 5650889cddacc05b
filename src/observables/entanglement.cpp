// S_B and dS_B_dt: logarithmic negativity of the averaged joint state (paper Eq. 12) and its
// rate. Each block keeps its trajectories' summed |psi><psi| (block diagonal in (j_B, M));
// the negativity is nonlinear: delete-one-block jackknife, also of the rate curve, whose
// replicates feed the peak summary. Also hands back the averaged state per grid time.
#include <cmath>
#include <memory>

#include "darkcharge/curve_features.hpp"
#include "darkcharge/ensemble.hpp"
#include "darkcharge/observable.hpp"

namespace darkcharge {
namespace {

struct JointStateRecord : BlockRecord {
  explicit JointStateRecord(int points) : rho(points), last(points) {}
  void observe(int begin, int end, const Sample& s) override {
    const Eigen::VectorXd& psi = s.product_amplitudes();
    const DensityMatrix::Key key{s.state().j_battery(), s.state().total_m()};
    for (int g = begin; g < end; ++g) {
      // Successive trajectories often meet the same (j_B, M) block at a given time: keep
      // a pointer to it (map nodes do not move). Same update as DensityMatrix::add_pure.
      if (!last[g].second || last[g].first != key) last[g] = {key, &rho[g].blocks[key]};
      Eigen::MatrixXd& block = *last[g].second;
      if (block.size() == 0) block = Eigen::MatrixXd::Zero(psi.size(), psi.size());
      block.selfadjointView<Eigen::Lower>().rankUpdate(psi, 1.0);
    }
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
  void load(ByteReader& in) override {
    for (auto& r : rho) {
      const auto count = in.get<std::uint64_t>();
      for (std::uint64_t i = 0; i < count; ++i) {
        const double jb = in.get<double>(), M = in.get<double>();
        const auto rows = in.get<std::int64_t>();
        const std::vector<double> v = in.get_doubles();
        if (rows < 0 || std::uint64_t(rows) * std::uint64_t(rows) != v.size())
          throw InvalidArgument("work-unit data: bad joint-state block");
        r.blocks[{jb, M}] = Eigen::Map<const Eigen::MatrixXd>(v.data(), rows, rows);
      }
    }
  }
  std::vector<DensityMatrix> rho;  // per grid time, summed (not averaged)
  std::vector<std::pair<DensityMatrix::Key, Eigen::MatrixXd*>> last;  // per grid time
};

class Entanglement : public Observable {
 public:
  explicit Entanglement(int points) : points_(points) {}
  bool needs_product_basis() const override { return true; }
  std::unique_ptr<BlockRecord> new_record() const override {
    return std::make_unique<JointStateRecord>(points_);
  }

  void estimate(const BlockSums& sums, Estimates& out) const override {
    const int points = points_, blocks = sums.blocks();
    const long n = sums.trajectories();
    const double jc = sums.model().j_charger();
    // entropy[0]: all trajectories; entropy[b + 1]: all but block b.
    std::vector<std::vector<double>> entropy(blocks + 1, std::vector<double>(points));
    out.result.density.assign(points, DensityMatrix());
#pragma omp parallel for schedule(dynamic, 1)
    for (int g = 0; g < points; ++g) {
      DensityMatrix total;
      for (int b = 0; b < blocks; ++b) total.add(rho(sums, b, g), 1.0);
      entropy[0][g] = log_negativity(total, jc) - std::log2(double(n));
      for (int b = 0; b < blocks; ++b) {
        DensityMatrix rest = total;
        rest.add(rho(sums, b, g), -1.0);
        entropy[b + 1][g] =
            log_negativity(rest, jc) - std::log2(double(n - sums.block_size(b)));
      }
      total.scale(1.0 / n);
      out.result.density[g] = std::move(total);
    }
    std::vector<std::vector<double>> rate;
    for (const auto& curve : entropy) rate.push_back(time_derivative(curve, sums.grid()));
    Column s_b{"S_B", std::vector<double>(points), std::vector<double>(points), "jackknife", ""};
    Column ds{"dS_B_dt", s_b.value, s_b.error, "jackknife", ""};
    for (int g = 0; g < points; ++g) {
      std::vector<double> loo_s, loo_rate;
      for (int b = 1; b <= blocks; ++b) {
        loo_s.push_back(entropy[b][g]);
        loo_rate.push_back(rate[b][g]);
      }
      const Estimate e = jackknife(entropy[0][g], loo_s), r = jackknife(rate[0][g], loo_rate);
      s_b.value[g] = e.value, s_b.error[g] = e.error;
      ds.value[g] = r.value, ds.error[g] = r.error;
    }
    out.result.series.columns.push_back(std::move(s_b));
    out.result.series.columns.push_back(std::move(ds));
    Replicates& curve = out.curves["dS_B_dt"];
    curve.full = rate.front();
    curve.leave_one_out.assign(rate.begin() + 1, rate.end());
  }

 private:
  static const DensityMatrix& rho(const BlockSums& sums, int b, int g) {
    return static_cast<const JointStateRecord*>(sums.record(b))->rho[g];
  }
  int points_;
};

}  // namespace

std::unique_ptr<Observable> make_entanglement(const ObservableContext& context) {
  return std::make_unique<Entanglement>(context.grid.points);
}

}  // namespace darkcharge
