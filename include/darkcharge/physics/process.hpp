#pragma once
/// @file process.hpp
/// The dissipative processes of the model -- the one place where each jump channel is
/// defined: which processes a Model has and at what rate, how each jump operator acts on the
/// Dicke states of one ensemble, its share of the no-jump generator G = (1/2) sum_k K_k^dag K_k,
/// and its adjoint action on J_B^z (the battery power, P_B = <L^dag(J_B^z)> / N_B).
///
/// The trajectory engines, the exact solvers and the resource estimates read these, so a new
/// process is a new ProcessKind here with its formulas (and its tests), not edits spread
/// over the solvers. physics.md fixes the conventions:
///   collective emission   K = sqrt(2 gamma (nbar + 1)) J^-,  J = J_C + J_B
///   collective absorption K = sqrt(2 gamma nbar) J^+
///   local decay, pumping, dephasing on ensemble X: sum_{i in X} of
///     sqrt(g_down) s_i^-, sqrt(g_up) s_i^+, sqrt(g_phi / 2) s_i^z  (local_noise.hpp holds
///     their reduced Dicke-basis weights w_D and amplitudes B_D).
#include <string>
#include <vector>

#include "darkcharge/physics/local_noise.hpp"
#include "darkcharge/physics/model.hpp"

namespace darkcharge {

enum class ProcessKind { emission, absorption, decay, pumping, dephasing };

/// Which spins a process acts on: collective processes act through J = J_C + J_B (both),
/// or through J_B or J_C alone when the model's reservoir is coupled to one ensemble
/// (ReservoirCoupling); local ones on each spin of one ensemble.
enum class Ensemble { charger, battery, both };

/// The ensemble the collective processes act on under `coupling` (both for `none`, which
/// has no collective process).
Ensemble collective_ensemble(ReservoirCoupling coupling);

struct Process {
  ProcessKind kind = ProcessKind::emission;
  Ensemble on = Ensemble::both;
  /// Collective: the prefactor of K = sqrt(rate) J^-+. Local: g of the single-spin channel.
  double rate = 0;

  bool collective() const { return kind == ProcessKind::emission || kind == ProcessKind::absorption; }
  /// The single-spin channel of a local process (s^-, s^+ or s^z).
  LocalChannel local_channel() const;
  /// How a jump moves m of the ensemble it acts on (and total M): -1, +1 or 0.
  int m_step() const;
  /// For output and messages: "collective emission", "battery dephasing", ...
  std::string name() const;
};

/// The processes of `model` with a nonzero rate: collective emission, absorption (on the
/// ensembles of model.reservoir; none with ReservoirCoupling::none), then the charger's and
/// the battery's local decay, pumping and dephasing.
std::vector<Process> processes(const Model& model);

/// |<j, m + step| J^step |j, m>|^2 of a collective process's ladder operator on one angular
/// momentum j (an ensemble, or the total J of the coupled basis): (j +- m)(j -+ m + 1).
double ladder_squared(const Process& collective, double j, double m);

/// An upper bound on the total rate sum <K^dag K> of the process in any state of the model:
/// rate (j + 1)^2 for collective ones (j the largest spin they act on: J_max = j_C + j_B
/// through the shared reservoir), p_s g N_X for local ones. The resource estimates
/// and the overflow guard (rate_scale) sum these.
double largest_rate(const Process& process, const Model& model);

/// A real symmetric tridiagonal operator on one block (j_C, j_B, M) of the product Dicke
/// basis |m_C = M - m_B, m_B>, m_B = first_battery_level(j_C, j_B, M) + i: every process
/// keeps G and L^dag(J_B^z) in this shape, because collective ones move one quantum between
/// the ensembles (m_B -> m_B +- 1 at fixed M) and local ones are diagonal in m.
struct BlockTridiagonal {
  std::vector<double> diagonal;  ///< rows i
  std::vector<double> link;      ///< between rows i and i + 1 (last entry 0)
};

/// Number of rows of block (j_C, j_B, M): 0 when |M| > j_C + j_B.
int block_size(double jc, double jb, double M);

/// G = (1/2) sum_k K_k^dag K_k of every process of `model` on block (j_C, j_B, M)
/// (H = omega J^z is a phase there and is left out).
BlockTridiagonal no_jump_generator(const Model& model, double jc, double jb, double M);

/// L^dag(J_B^z) = sum_k (K_k^dag J_B^z K_k - {K_k^dag K_k, J_B^z} / 2) on block (j_C, j_B, M):
/// <psi|.|psi> (a trajectory) or tr(. rho) (a density matrix) is d<J_B^z>/dt, N_B P_B.
BlockTridiagonal battery_power_operator(const Model& model, double jc, double jb, double M);

/// <psi| op |psi> for amplitudes over the rows of the block.
double expectation(const BlockTridiagonal& op, const std::vector<double>& amplitudes);

}  // namespace darkcharge
