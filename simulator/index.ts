// The SMT line simulator: a seeded discrete-event model of a plant that speaks the MQTT
// contract v1. `simulateLine` is the pure core; the NDJSON writer and the MQTT publisher
// consume what it yields.

export { OVEN, OVEN_TRANSIT_MS } from "./conditions.ts";
export { boardSerial, hasValidCheck, mod1271Check } from "./identifiers.ts";
export { NOMINAL_TAKT_MS, STATIONS, type StationName } from "./line.ts";
export { ndjsonLine, writeNdjson } from "./ndjson.ts";
export {
  measureScenario,
  type Observation,
  observe,
  type RateComparison,
} from "./observe.ts";
export {
  checkSimulatorOptions,
  DEFAULT_SIMULATOR_OPTIONS,
  resolveSimulatorOptions,
  SimulatorError,
  type SimulatorErrorReason,
  type SimulatorOptions,
} from "./options.ts";
export { COMPONENTS, PAD_GROUPS, PARTS, PRODUCT } from "./product.ts";
export {
  connectPublisher,
  DEFAULT_PUBLISH_OPTIONS,
  type MqttPublisher,
  type PublishClient,
  PublishError,
  type PublishErrorReason,
  type PublishOptions,
  type PublishSummary,
  publishMessages,
  redactUrl,
} from "./publish.ts";
export { FCT_LIMITS, padVolumesByRef, SPI_LIMITS } from "./quality.ts";
export {
  LIQUIDUS_C,
  PROFILE_WINDOWS,
  type ProfileKpis,
  profileKpis,
  THERMOCOUPLES,
} from "./reflow.ts";
export {
  type DriftEffect,
  type RateEffect,
  SCENARIO_NAMES,
  SCENARIO_PARAMETERS,
  SCENARIOS,
  type Scenario,
  type ScenarioName,
} from "./scenarios.ts";
export {
  HALL,
  plannedRunMs,
  type ScenarioWindow,
  type SimulatedMessage,
  scenarioWindows,
  simulateLine,
} from "./simulate.ts";
