#pragma once
/// @file darkcharge.hpp
/// Everything a program using darkcharge needs, in one include: the model, output times,
/// ensemble runs (trajectories or the exact cascade) and their plans, the exact solvers,
/// the steady state, the column registry and the library's errors. The headers it names
/// are arranged by layer (core, physics, estimate, exact, run, observables, ensemble;
/// docs/architecture.md).
#include "darkcharge/core/errors.hpp"
#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/ensemble/plan.hpp"
#include "darkcharge/ensemble/resource_estimate.hpp"
#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "darkcharge/exact/steady_state.hpp"
#include "darkcharge/ensemble/steady_table.hpp"
#include "darkcharge/observables/registry.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/physics/time_scale.hpp"
#include "darkcharge/version.hpp"
