export type { StepInfo, SamplerOptions, SampleResult } from './types.js';
export { ScheduleError, DenoiserOutputError, SamplerRun, validateSigmas, checkInitial, checkRandom, checkNumber } from './common.js';
export type { ScheduleProblem, DenoiserProblem, ValidateSigmasOptions } from './common.js';
export { eulerSolver, heunSolver, churnHeunSolver, odeSample, eulerSample, heunSample, edmStochasticSample } from './ode.js';
export type { OdeSolver, Churn, EdmStochasticOptions } from './ode.js';
