#include "darkcharge/observable.hpp"

#include <cmath>

#include "darkcharge/angular_momentum.hpp"
#include "darkcharge/ensemble.hpp"

namespace darkcharge {

void Sample::compute_linear() const {
  linear_ = snapshot_.state.linear_values(snapshot_.c, snapshot_.norm2);
  has_linear_ = true;
}

double Sample::battery_jz_squared() const {
  return snapshot_.state.battery_jz_squared(snapshot_.c, snapshot_.norm2);
}

void Sample::compute_product_amplitudes() const {
  const CoupledState& st = snapshot_.state;
  basis_->to_product(st.j_battery(), st.total_m(), snapshot_.c + st.first(),
                     st.size() - st.first(), snapshot_.norm2, psi_);
  has_product_ = true;
}

double battery_energy_per_spin(const Sample& s) {
  return s.linear().battery_jz / s.model().n_battery + 0.5;
}


long BlockSums::trajectories() const {
  long n = 0;
  for (long s : block_sizes_) n += s;
  return n;
}

Column BlockSums::mean_column(const std::string& name, int i) const {
  const int points = grid_.points;
  Column column{name, std::vector<double>(points), std::vector<double>(points), "standard-error",
                ""};
  for (int g = 0; g < points; ++g)
    BlockStatistics::combine(means_, g, offset_ + i, column.value[g], column.error[g]);
  return column;
}

std::vector<std::vector<double>> BlockSums::leave_one_out_means(
    int i, const std::vector<double>& full) const {
  const int points = static_cast<int>(full.size()), o = offset_ + i;
  std::vector<std::vector<double>> out(means_.size(), std::vector<double>(points));
  for (int g = 0; g < points; ++g) {
    double n = 0;
    for (const auto& a : means_) n += a.count(g, o);
    for (std::size_t b = 0; b < means_.size(); ++b) {
      const double nb = means_[b].count(g, o);
      out[b][g] = (full[g] * n - means_[b].mean(g, o) * nb) / (n - nb);
    }
  }
  return out;
}

Column BlockSums::jackknife_column(const std::string& name, int k,
                                   double (*f)(const double* means, const Model& model)) const {
  const int points = grid_.points, blocks = static_cast<int>(means_.size());
  std::vector<std::vector<double>> full(k), loo(k);  // [value][g], [value][b * points + g]
  for (int i = 0; i < k; ++i) {
    full[i] = mean_column("", i).value;
    const auto replicate = leave_one_out_means(i, full[i]);
    for (const auto& r : replicate) loo[i].insert(loo[i].end(), r.begin(), r.end());
  }
  Column column{name, std::vector<double>(points), std::vector<double>(points), "jackknife", ""};
  std::vector<double> means(k), leave_one_out(blocks);
  for (int g = 0; g < points; ++g) {
    for (int i = 0; i < k; ++i) means[i] = full[i][g];
    const double all = f(means.data(), model_);
    for (int b = 0; b < blocks; ++b) {
      for (int i = 0; i < k; ++i) means[i] = loo[i][std::size_t(b) * points + g];
      leave_one_out[b] = f(means.data(), model_);
    }
    const Estimate e = jackknife(all, leave_one_out);
    column.value[g] = e.value;
    column.error[g] = e.error;
  }
  return column;
}

void MeanObservable::estimate(const BlockSums& sums, Estimates& out) const {
  out.result.series.columns.push_back(sums.mean_column(name_, 0));
}

}  // namespace darkcharge
