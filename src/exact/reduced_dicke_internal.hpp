#pragma once
// The reduced Dicke-basis solver's state: which (j_C, j_B) sectors and definite-M blocks it
// holds and where (Layout), the generator as a sparse matrix on that flat state, and what
// is measured from it at one time (Snapshot). Shared by the generator
// (reduced_dicke_generator.cpp), the observables (reduced_dicke_observe.cpp) and the solver.
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/ergotropy.hpp"
#include "darkcharge/physics/initial_state.hpp"
#include "darkcharge/physics/model.hpp"

namespace darkcharge::reduced_dicke {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
/// Krylov subspace dimension. Past ~20 the number of generator products per unit time stops
/// falling (~0.7 per unit of t times the largest rate, the spectrum is far from normal)
/// while Gram-Schmidt grows with the dimension: 20 costs least on the bench cases.
constexpr int kKrylovDimension = 20;
/// CPU seconds per stored-number-and-entry touched by one generator product, while the
/// product's working set fits the caches and once it is memory bound (bench/local_exact.sh,
/// N_B = 10, N_C = 40 and N_B = 20, N_C = 60; see bench/README.md).
constexpr double kSecondsPerTouchCached = 0.55e-9, kSecondsPerTouchStreamed = 1.0e-9;
/// Wall time per CPU second on the shared 2-core bench machine (load ~9, 2 threads or 1:
/// the second thread hardly helps there); an idle machine runs ~2-4x faster than estimated.
constexpr double kWallPerCpuSecond = 2.5;
/// Battery sectors with more weight than this outside j_B = N_B/2 make W_B_sym undefined.
constexpr double kSymmetricWeightFloor = 1e-12;

// ---------------------------------------------------------------------------------------
// Layout: which (j_C, j_B) sectors and M blocks the state holds, and where.

struct Sector {
  double jc, jb;
  int first_block, blocks;
};

/// One definite-M block of one sector: rows (and columns) m_B = first_mb, ..., first_mb + n - 1,
/// stored column-major at `offset` of the flat state.
struct Block {
  int sector;
  double M, first_mb;
  int n;
  long offset;
  long packed_offset;  ///< of its lower triangle (column-major) in the packed state
};

/// Index of entry (r, c), r >= c, of an n x n block's lower triangle stored column-major.
inline long packed_index(int n, int r, int c) { return long(c) * n - long(c) * (c - 1) / 2 + (r - c); }

class Layout {
 public:
  /// `noise`: the local rates of every generator that will act on the state (a protocol:
  /// any rate > 0 in any segment), which decide the sectors it reaches.
  Layout(const Model& model, const LocalNoise& noise) : model_(model) {
    // Collective terms keep (j_C, j_B); local noise on X reaches every j_X, and the thermal
    // battery starts in every j_B.
    charger_sectors_ = noise.charger.any() ? model.n_charger / 2 + 1 : 1;
    const bool spread = noise.battery.any() || initial_mixture(model).size() > 1;
    battery_sectors_ = spread ? model.n_battery / 2 + 1 : 1;
    index_.assign(charger_sectors_ * battery_sectors_, -1);
    for (int ic = 0; ic < charger_sectors_; ++ic)
      for (int ib = 0; ib < battery_sectors_; ++ib) add_sector(ic, ib);
  }

  const std::vector<Sector>& sectors() const { return sectors_; }
  const std::vector<Block>& blocks() const { return blocks_; }
  long size() const { return size_; }
  /// Numbers in the packed state (lower triangles only: every block stays symmetric).
  long packed_size() const { return packed_size_; }
  const Model& model() const { return model_; }

  /// Index of sector (jc, jb), or -1 when the state does not hold it.
  int sector_index(double jc, double jb) const {
    const int ic = count(model_.j_charger() - jc), ib = count(model_.j_battery() - jb);
    if (ic < 0 || ic >= charger_sectors_ || ib < 0 || ib >= battery_sectors_) return -1;
    return index_[ic * battery_sectors_ + ib];
  }
  /// Index of block M of a sector, or -1 when |M| > j_C + j_B.
  int block_index(int sector, double M) const {
    if (sector < 0) return -1;
    const Sector& s = sectors_[sector];
    const int k = count(M + s.jc + s.jb);
    return k < 0 || k >= s.blocks ? -1 : s.first_block + k;
  }

 private:
  void add_sector(int ic, int ib) {
    const double jc = model_.j_charger() - ic, jb = model_.j_battery() - ib;
    if (jc < 0 || jb < 0) return;
    index_[ic * battery_sectors_ + ib] = static_cast<int>(sectors_.size());
    Sector s{jc, jb, static_cast<int>(blocks_.size()), count(2 * (jc + jb)) + 1};
    for (int k = 0; k < s.blocks; ++k) {
      const double M = k - (jc + jb);
      const double first = std::max(-jb, M - jc), last = std::min(jb, M + jc);
      const int n = count(last - first) + 1;
      blocks_.push_back({static_cast<int>(sectors_.size()), M, first, n, size_, packed_size_});
      size_ += long(n) * n;
      packed_size_ += long(n) * (n + 1) / 2;
    }
    sectors_.push_back(s);
  }

  Model model_;
  int charger_sectors_ = 1, battery_sectors_ = 1;
  std::vector<int> index_;
  std::vector<Sector> sectors_;
  std::vector<Block> blocks_;
  long size_ = 0, packed_size_ = 0;
};

// ---------------------------------------------------------------------------------------
// The generator as a sparse real matrix on the flat state (CSR, applied in parallel).

struct SparseGenerator {
  long rows = 0;
  std::vector<long> start;  // rows + 1
  std::vector<int> column;   // 4 bytes: the products are memory bound
  std::vector<double> value;

  void apply(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::VectorXd& y) const {
    y.resize(rows);
#pragma omp parallel for schedule(static) if (rows > 20000)
    for (long r = 0; r < rows; ++r) {
      double sum = 0;
      for (long k = start[r]; k < start[r + 1]; ++k) sum += value[k] * x[column[k]];
      y[r] = sum;
    }
  }
};

/// The generator on the flat state (packed: on the blocks' lower triangles).
SparseGenerator build_generator(const Layout& layout, const LocalNoise& noise, bool packed = false);
/// The generator of `model` (its reservoir coupling, rates and local noise; the sizes of the
/// layout's model) on the layout's state: a protocol's segment on the protocol's layout.
SparseGenerator build_generator(const Layout& layout, const Model& model, bool packed);
/// The model's initial state on the flat layout.
Eigen::VectorXd initial_state(const Layout& layout);
/// The lower triangles of the blocks of a full state (blocks are symmetric).
Eigen::VectorXd pack(const Layout& layout, const Eigen::VectorXd& x);
/// The full (symmetric) blocks of a packed state.
void unpack(const Layout& layout, const Eigen::VectorXd& p, Eigen::VectorXd& x);

/// Everything measured at one time, summed over blocks (linear in rho unless noted).
struct Snapshot {
  double jz_charger = 0, jz_battery = 0, jz_battery_squared = 0, power = 0, dark = 0;
  double emission = 0, absorption = 0;  // <J^+J^->, <J^-J^+>
  double emission_charger = 0, emission_battery = 0;  // <J_C^+J_C^->, <J_B^+J_B^->
  double trace_norm = 0;                // ||rho^{T_B}||_1 (nonlinear)
  std::vector<double> battery_sector;   // Tr over sectors with j_B = N_B/2 - index
  std::vector<SectorEigenvalue> battery_spectrum;
};

/// Everything measured from the state x (and its time derivative dx, for P_B).
Snapshot observe(const Layout& layout, const Eigen::VectorXd& x, const Eigen::VectorXd& dx);
/// Name of the population column of battery sector j_B: "jB=<j_B>".
std::string sector_name(double jb);
/// The output columns from snapshots at `time` (dS_B_dt from the grid when given).
TimeSeries to_series(const Model& model, const LocalNoise& noise, const std::vector<double>& time,
                     const std::vector<Snapshot>& s, const TimeGrid* grid);

/// Refuses (InvalidArgument, naming `what` and the estimate) a run whose estimated cost is
/// above options.max_memory_gib or options.max_seconds, before any work.
void refuse_beyond_limits(const ReducedDickeCost& cost, const std::string& what,
                          const ReducedDickeOptions& options);

}  // namespace darkcharge::reduced_dicke
