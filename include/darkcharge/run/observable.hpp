#pragma once
/// @file observable.hpp
/// The one interface between the ensemble runner and what it measures, so that a new
/// column is a new observable and never a change to the runner. An
/// observable says what it records from a trajectory -- values of its state at output
/// times (summed per block into means), and/or its own per-block record (product-basis
/// state, histograms, jumps) -- and how the blocks' sums become columns with errors. The
/// runner names no observable; src/observables/registry.cpp lists them.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/estimate/block_statistics.hpp"
#include "darkcharge/estimate/bounded_phase.hpp"
#include "darkcharge/core/byte_stream.hpp"
#include "darkcharge/physics/coupled_state.hpp"
#include "darkcharge/physics/density_matrix.hpp"
#include "darkcharge/estimate/jackknife.hpp"
#include "darkcharge/estimate/rare_event_floor.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/estimate/time_series.hpp"
#include "darkcharge/run/trajectory.hpp"

namespace darkcharge {

struct EnsembleOptions;
struct EnsembleResult;

/// A trajectory at one output time as observables see it: the snapshot and, computed at
/// most once and only when some observable asks, the quantities several of them share.
class Sample {
 public:
  Sample(const Model& model, const Snapshot& snapshot, const ProductBasis* basis,
         Eigen::VectorXd& product_workspace)
      : model_(model), snapshot_(snapshot), basis_(basis), psi_(product_workspace) {}

  const Model& model() const { return model_; }
  const Snapshot& snapshot() const { return snapshot_; }
  const CoupledState& state() const { return snapshot_.state; }
  /// Quanta emitted (J^- jumps) and absorbed (J^+ jumps) since t = 0.
  long emitted() const { return snapshot_.emitted; }
  long absorbed() const { return snapshot_.absorbed; }
  /// <J_B^z>, <P_op>, dark population (one pass over the state).
  const CoupledState::LinearValues& linear() const {
    if (!has_linear_) compute_linear();
    return linear_;
  }
  /// <(J_B^z)^2> (pentadiagonal in J).
  double battery_jz_squared() const;
  /// Product-basis amplitudes of the state's (j_B, M) block, rows m_B ascending from
  /// product_first_level(); needs a ProductBasis (observables that ask say so).
  const Eigen::VectorXd& product_amplitudes() const {
    if (!has_product_) compute_product_amplitudes();
    return psi_;
  }
  double product_first_level() const {
    const CoupledState& st = snapshot_.state;
    return first_battery_level(st.j_charger(), st.j_battery(), st.total_m());
  }

 private:
  void compute_linear() const;
  void compute_product_amplitudes() const;
  const Model& model_;
  const Snapshot& snapshot_;
  const ProductBasis* basis_;
  Eigen::VectorXd& psi_;
  mutable CoupledState::LinearValues linear_{};
  mutable bool has_linear_ = false, has_product_ = false;
};

/// Vectors of doubles kept one after another in one buffer (the entries of a countable
/// record, BlockRecord::keep): entry i is segment(i).
class KeptVectors {
 public:
  template <class Vector>
  void push(const Vector& v) {
    start_.push_back(values_.size());
    values_.insert(values_.end(), v.data(), v.data() + v.size());
  }
  Eigen::Map<const Eigen::VectorXd> segment(std::size_t i) const {
    const std::size_t end = i + 1 < start_.size() ? start_[i + 1] : values_.size();
    return {values_.data() + start_[i], Eigen::Index(end - start_[i])};
  }
  void clear() {
    values_.clear();
    start_.clear();
  }
  std::size_t bytes() const {
    return values_.size() * sizeof(double) + start_.size() * sizeof(std::size_t);
  }

 private:
  std::vector<double> values_;
  std::vector<std::size_t> start_;
};

/// One jump of a trajectory: its time, channel, and total M after it.
struct Jump {
  enum Channel { kEmission, kAbsorption };
  double time;
  Channel channel;
  double m_after;
};

/// The unit a record read from bytes belongs to (BlockRecord::load): what its counts and
/// indices must fit.
struct UnitBounds {
  long first = 0;         ///< index of the unit's first trajectory
  long trajectories = 0;  ///< trajectories in the unit
};

/// What one observable keeps per block beyond per-trajectory means. Filled by one thread,
/// trajectories in index order.
class BlockRecord {
 public:
  virtual ~BlockRecord() = default;
  /// The trajectory's state holds for every grid index in [begin, end).
  virtual void observe(int begin, int end, const Sample& sample) = 0;
  /// Called before trajectory k starts (records of the first K trajectories need k).
  virtual void begin_trajectory(long /*k*/) {}
  /// Only records that return true here receive jumps.
  virtual bool wants_jumps() const { return false; }
  virtual void jumped(const Jump& /*jump*/) {}

  /// The nbar = 0 counting path (ensemble_runner.cpp): there every trajectory at output
  /// index g with total M holds the same state, so a record that sums a function of the
  /// state over trajectories can be shown that state once and told later how many
  /// trajectories held it. Such records return true; the others (records needing k or
  /// jumps) keep the runner on the trajectory-by-trajectory path.
  virtual bool countable() const { return false; }
  /// Keeps what observe(g, g + 1, sample) would add, as the next entry (0, 1, ...).
  virtual void keep(int /*g*/, const Sample& /*sample*/) {}
  /// Adds kept entry `entry` (kept at index g) as if observed `times` times.
  virtual void add_kept(std::size_t /*entry*/, int /*g*/, long /*times*/) {}
  /// Forgets the kept entries (after they were added); entries restart at 0.
  virtual void clear_kept() {}
  /// Bytes the kept entries hold (the runner adds and clears them past a budget).
  virtual std::size_t kept_bytes() const { return 0; }

  /// Adds the record of the next work unit of the same block (same observable).
  virtual void merge(const BlockRecord& next) = 0;
  /// Appends / reads the record as bytes (checkpoints, MPI); load() fills a fresh record.
  /// The bytes may come from a damaged or crafted file: load() checks every count, length
  /// and key against the model, grid and `unit` before using it and throws InvalidArgument
  /// (message starting "work-unit data:") on the first that does not fit.
  virtual void save(ByteWriter& out) const = 0;
  virtual void load(ByteReader& in, const UnitBounds& unit) = 0;
};

/// A curve and its delete-one-block replicates (for jackknifed features such as peaks).
struct Replicates {
  std::vector<double> full;
  std::vector<std::vector<double>> leave_one_out;
};

/// The blocks as one observable's estimate() sees them, in block order.
class BlockSums {
 public:
  BlockSums(const std::vector<BlockStatistics>& means, int offset,
            std::vector<const BlockRecord*> records, std::vector<long> block_sizes,
            const Model& model, const TimeGrid& grid)
      : means_(means), offset_(offset), records_(std::move(records)),
        block_sizes_(std::move(block_sizes)), model_(model), grid_(grid) {}

  const Model& model() const { return model_; }
  const TimeGrid& grid() const { return grid_; }
  int blocks() const { return static_cast<int>(block_sizes_.size()); }
  long block_size(int b) const { return block_sizes_[b]; }
  const std::vector<long>& block_sizes() const { return block_sizes_; }
  long trajectories() const;
  /// This observable's record of block b (null if it keeps none).
  const BlockRecord* record(int b) const { return records_.empty() ? nullptr : records_[b]; }

  /// Mean over trajectories of sampled value i and its standard error, at every grid time.
  Column mean_column(const std::string& name, int i) const;
  /// mean_column with the error bounds of rare_event_floor.hpp: where one block dominates
  /// the spread, the dominance bound; everywhere at least a rare-event floor: at nbar = 0
  /// (absorbing dark states) the theoretical one for a value confined to an interval of width
  /// `range`; at nbar > 0 the one judged from the sample (sample_rare_event_floor): the
  /// theoretical one where the sample has not resolved its tail, else the one from the range
  /// of values seen. What every linear column reports.
  Column linear_column(const std::string& name, int i, double range) const;
  /// What the sample of value i at grid time g says about its tails (rare_event_floor.hpp).
  SampleTail tail(int i, int g) const;
  /// Delete-one-block means of value i, given the full means (Column::value).
  std::vector<std::vector<double>> leave_one_out_means(int i,
                                                       const std::vector<double>& full) const;
  /// f(means of values) with a delete-one-block jackknife error (bias-corrected), at every
  /// grid time; f takes the means of sampled values [0, k) in order. For f smooth at the
  /// averaged state (its bias is O(1/n), which the jackknife removes); nonsmooth functions
  /// use root_n_corrected (nonsmooth_estimate.hpp) instead. Where one block's replicate
  /// holds more than half of the jackknife variance, the error is at least twice that
  /// block's pull f(all) - f(all but b) (the dominance bound of rare_event_floor.hpp).
  Column jackknife_column(const std::string& name, int k,
                          double (*f)(const double* means, const Model& model)) const;

 private:
  const std::vector<BlockStatistics>& means_;
  int offset_;
  std::vector<const BlockRecord*> records_;
  std::vector<long> block_sizes_;
  const Model& model_;
  const TimeGrid& grid_;
};

/// Everything observables hand back besides their columns.
struct Estimates {
  EnsembleResult& result;                       ///< side outputs: density, sectors, counts, jumps
  std::map<std::string, Replicates> curves;     ///< e.g. "P_B", "dS_B_dt" for the peaks
  /// Ctrl-C, the time limit and progress: costly estimates run their output times through
  /// for_each_time() under these bounds (bounded_phase.hpp).
  const PhaseBounds& bounds;
};

/// Where an observable runs: shared, read-only, for the whole ensemble.
struct ObservableContext {
  const Model& model;
  const TimeGrid& grid;
  const EnsembleOptions& options;
};

/// One value of a trajectory's state at an output time.
using SampleValue = double (*)(const Sample& sample);

/// One observable unit (one or a few columns computed together).
class Observable {
 public:
  virtual ~Observable() = default;
  /// When sample_width() == 1 and the value is a plain function: that function (the runner
  /// then calls it directly, and observables with the same function share one sum).
  virtual SampleValue sample_value() const { return nullptr; }
  /// Doubles this observable samples at each output time (summed per block into means).
  virtual int sample_width() const { return 0; }
  /// Writes sample_width() values of the trajectory's state at an output time. Must depend
  /// only on the state and the jump counts (the runner caches and counts them).
  virtual void sample(const Sample& /*sample*/, double* /*out*/) const {}
  /// A fresh per-block record, or null if means suffice (records that are not
  /// BlockRecord::countable() turn the runner's counting fast paths off).
  virtual std::unique_ptr<BlockRecord> new_record() const { return nullptr; }
  /// Whether Sample::product_amplitudes() is used (Clebsch-Gordan tables are built).
  virtual bool needs_product_basis() const { return false; }
  /// Turns the blocks into columns (appended to out.result.series) and side outputs.
  virtual void estimate(const BlockSums& sums, Estimates& out) const = 0;
};

/// Width of the interval one trajectory's value can take, for the rare-event floor
/// (rare_event_floor.hpp); infinity when it is unbounded.
using ValueRange = double (*)(const Model& model);

/// For values confined to [0, 1] (energies per spin, populations).
double unit_range(const Model& model);

/// The common case: one linear column, the mean of one value per trajectory with its
/// standard error, raised to the bounds of BlockSums::linear_column. `value` maps a sample
/// to that value, `range` bounds it.
class MeanObservable : public Observable {
 public:
  MeanObservable(std::string name, SampleValue value, ValueRange range)
      : name_(std::move(name)), value_(value), range_(range) {}
  int sample_width() const override { return 1; }
  SampleValue sample_value() const override { return value_; }
  void sample(const Sample& s, double* out) const override { out[0] = value_(s); }
  void estimate(const BlockSums& sums, Estimates& out) const override;

 private:
  std::string name_;
  SampleValue value_;
  ValueRange range_;
};

/// <J_B^z>/N_B + 1/2, the battery energy per spin (E_B; W_open shares it).
double battery_energy_per_spin(const Sample& sample);

}  // namespace darkcharge
