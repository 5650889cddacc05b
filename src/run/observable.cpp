#include "darkcharge/run/observable.hpp"

#include <cmath>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/estimate/rare_event_floor.hpp"

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

double unit_range(const Model&) { return 1.0; }

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

Column BlockSums::linear_column(const std::string& name, int i, double range) const {
  Column column = mean_column(name, i);
  std::vector<BlockDominance> by_time;
  std::vector<double> block_means(means_.size());
  std::vector<long> counts(means_.size());
  for (int g = 0; g < grid_.points; ++g) {
    for (std::size_t b = 0; b < means_.size(); ++b) {
      counts[b] = means_[b].count(g, offset_ + i);
      block_means[b] = counts[b] ? means_[b].mean(g, offset_ + i) : 0.0;
    }
    by_time.push_back(block_dominance(block_means, counts));
  }
  apply_dominance_bound(column, by_time);
  // At nbar = 0 the dark states and the collective ground state absorb: late values are
  // carried by the class not yet absorbed, whose weight falls below 3/n while the absorbed
  // bulk keeps a smooth spread of small residual amplitudes -- a sample that missed the class
  // looks resolved (dark at N_B = 4, N_C = 20, t >= 0.4, 500 trajectories: a standard error
  // of 5e-7). There the theoretical floor stays; at nbar > 0 nothing absorbs and the sample
  // judges its own tail (sample_rare_event_floor).
  if (model_.nbar == 0.0) {
    if (std::isfinite(range))
      apply_rare_event_floor(column, range, trajectories());
    else
      column.note += std::string(column.note.empty() ? "" : " ") +
                     "No rare-event floor: one trajectory's value is unbounded here.";
    return column;
  }
  std::vector<SampleTail> tails(grid_.points);
  for (int g = 0; g < grid_.points; ++g) tails[g] = tail(i, g);
  apply_sample_rare_event_floor(column, tails, range);
  return column;
}

SampleTail BlockSums::tail(int i, int g) const {
  SampleTail t;
  double se = 0;
  BlockStatistics::combine(means_, g, offset_ + i, t.mean, se);
  for (const auto& block : means_) t.n += block.count(g, offset_ + i);
  t.squares = se * se * double(t.n) * double(t.n - 1);  // combine's se^2 = squares / (n-1) / n
  BlockStatistics::extremes(means_, g, offset_ + i, t.lowest, t.highest);
  return t;
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

namespace {

/// The dominance diagnostic of rare_event_floor.hpp for a jackknifed statistic: block b's
/// pull on the estimate is f(all) - f(all but b) (for a mean exactly the linear
/// contribution n_b (m_b - m_rest) / n), its share that of (f(all but b) - their mean)^2 in
/// the jackknife variance. Where one block holds most of it, a few rare trajectories carry
/// the estimate (Var(n_em) and the energy variance after the nbar = 0 burst).
BlockDominance replicate_dominance(double all, const std::vector<double>& leave_one_out) {
  double mean = 0;
  for (double v : leave_one_out) mean += v;
  mean /= leave_one_out.size();
  double total = 0, largest = 0;
  std::size_t top = 0;
  for (std::size_t b = 0; b < leave_one_out.size(); ++b) {
    const double s = (leave_one_out[b] - mean) * (leave_one_out[b] - mean);
    total += s;
    if (s > largest) largest = s, top = b;
  }
  if (!(total > 0)) return {};  // also NaN
  return {largest / total, all - leave_one_out[top]};
}

}  // namespace

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
  std::vector<BlockDominance> by_time(points);
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
    by_time[g] = replicate_dominance(all, leave_one_out);
  }
  apply_dominance_bound(column, by_time);
  return column;
}

void MeanObservable::estimate(const BlockSums& sums, Estimates& out) const {
  out.result.series.columns.push_back(sums.linear_column(name_, 0, range_(sums.model())));
}

}  // namespace darkcharge
