export type { StepInfo, SamplerOptions, SampleResult } from './types.js';
export { ScheduleError, DenoiserOutputError, SamplerRun, validateSigmas, checkInitial, checkRandom, checkNumber } from './common.js';
export type { ScheduleProblem, DenoiserProblem, ValidateSigmasOptions } from './common.js';
export { eulerSolver, heunSolver, churnHeunSolver, odeSample, eulerSample, heunSample, edmStochasticSample } from './ode.js';
export type { OdeSolver, Churn, EdmStochasticOptions } from './ode.js';
export { integrateRk45, rk45Sample, rk45Solver, IntegrationError } from './rk45.js';
export type { OdeFunction, Rk45Options, Rk45Result, Rk45StepInfo, Rk45SampleOptions, Rk45SolverOptions } from './rk45.js';
export { dpmSolverMultistep, dpmSolverSinglestep, dpmSolverSample, dpmSolverCoefficients } from './dpm-solver.js';
export type { DpmSolverMultistepOptions, DpmSolverSinglestepOptions, DpmSolverSampleOptions } from './dpm-solver.js';
