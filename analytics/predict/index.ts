// Predictive defect analysis: which process values, lots and stations go with failing a test
// (drivers, with tests and effect sizes in the line's words), how well a model tells failing boards
// in advance (nested and time-ordered validation), and the risk of boards not yet tested.

export {
  analyse,
  type ModelSummary,
  type PredictModel,
  type PredictReport,
  type PredictResult,
  type RiskScore,
  scoreUnits,
} from "./analyse.ts";
export {
  buildDataset,
  type CategoricalFeature,
  type ContinuousFeature,
  columnsFromRows,
  type Dataset,
  type Feature,
  type FeatureSpec,
  type UnitColumns,
} from "./dataset.ts";
export {
  type DesignatorDriver,
  type DesignatorRecord,
  findDesignatorDrivers,
} from "./designators.ts";
export { chiSquareUpperTail, twoSidedNormalP } from "./distributions.ts";
export { type Driver, findDrivers, type LogisticEffect } from "./drivers.ts";
export { PredictError, type PredictErrorReason } from "./errors.ts";
export {
  DEFAULT_RUN_PREDICT_OPTIONS,
  type PredictJobContext,
  type PredictRunResult,
  type RunPredictOptions,
  runPredict,
  type TargetRun,
} from "./job.ts";
export {
  DRIVER_MEASUREMENT,
  driverLines,
  type ResultStamp,
  RISK_MEASUREMENT,
  riskLines,
} from "./lines.ts";
export {
  averagePrecision,
  brierScore,
  type ReliabilityBin,
  reliability,
  rocAuc,
} from "./metrics.ts";
export type { CrossValidation, FoldResult, TimeSplit } from "./model.ts";
export { benjaminiHochberg } from "./multiple-testing.ts";
export {
  DEFAULT_PREDICT_OPTIONS,
  PREDICT_TARGETS,
  type PredictOptions,
  type PredictTarget,
  resolvePredictOptions,
} from "./options.ts";
export { type MannWhitney, mannWhitney } from "./rank-tests.ts";
export {
  DEFAULT_FEATURE_TABLE,
  type FeatureTableLayout,
  readDesignatorRecords,
  readUnitFile,
  readWarehouseFeatures,
  type WarehouseFeatures,
  type WarehouseReader,
} from "./read.ts";
export { type RidgeCoefficients, RidgeLogisticSolver } from "./ridge-logistic.ts";
export {
  type ChiSquare,
  chiSquareTest,
  fisherExact,
  oddsRatio,
  type Ratio,
  rateRatio,
} from "./tables.ts";
export { fitUnivariateLogistic, type UnivariateLogistic } from "./univariate-logistic.ts";
export { designatorWords, type OutcomeWords, outcomeWords } from "./words.ts";
