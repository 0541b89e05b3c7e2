// `npx tsx bench/predict-secom.ts [--repeats 5] [--folds 5] [--seed 1] [--json FILE]`
//
// The full SECOM protocol of shared/reference/secom/README.md, the one its known results were
// made with: L2 logistic regression, median imputation and standardisation fitted per fold,
// stratified 5-fold CV repeated 5×, the penalty chosen by an inner 3-fold CV over C = 10^-4..10^1
// (nested), then trained on the earliest 70 % of wafers and tested on the latest 30 %. It runs
// twice: as the reference did (tracebox's default), and with standardised values clipped at ±5
// training SDs (`--only reference` skips that). About 1–2 minutes of one core per variant.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  analyse,
  buildDataset,
  type PredictReport,
  readUnitFile,
} from "../analytics/predict/index.ts";

const SECOM = "/work/shared/reference/secom/secom_clean_351.csv";
const REFERENCE = { cvAuc: 0.716, cvAucSd: 0.039, timeSplitAuc: [0.55, 0.64] };

const { values: args } = parseArgs({
  options: {
    repeats: { type: "string", default: "5" },
    folds: { type: "string", default: "5" },
    seed: { type: "string", default: "1" },
    only: { type: "string" },
    json: { type: "string" },
  },
});

const dataset = buildDataset(await readUnitFile(SECOM), { label: "is_fail", time: "timestamp" });
const variants: {
  name: string;
  label: string;
  clipSd: number;
}[] = [
  {
    name: "reference",
    label: "reference protocol (tracebox default)",
    clipSd: Number.POSITIVE_INFINITY,
  },
  { name: "clip", label: "values clipped at ±5 SD", clipSd: 5 },
].filter((v) => args.only === undefined || v.name === args.only);
const results: { name: string; cpuSeconds: number; report: PredictReport }[] = [];
for (const variant of variants) {
  const before = process.cpuUsage();
  const { report } = analyse(dataset, {
    folds: Number(args.folds),
    repeats: Number(args.repeats),
    seed: Number(args.seed),
    clipSd: variant.clipSd,
  });
  const used = process.cpuUsage(before);
  results.push({ name: variant.label, cpuSeconds: (used.user + used.system) / 1e6, report });
}

const f = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(3));
const lines = [
  `SECOM: ${dataset.ids.length} wafers, ${dataset.features.length} sensors, ${results[0]?.report.positives} fails; seed ${args.seed}`,
  "",
  "| variant | nested CV ROC AUC (mean ± SD of folds) | CV PR AUC | CV Brier (base rate) | time-ordered ROC AUC | time-ordered PR AUC | CPU |",
  "| --- | --- | --- | --- | --- | --- | --- |",
  `| reference (README) | ${REFERENCE.cvAuc} ± ${REFERENCE.cvAucSd} | | | ${REFERENCE.timeSplitAuc.join("–")} | | |`,
  ...results
    .map(({ name, cpuSeconds, report: { cv, timeSplit } }) =>
      [
        name,
        `${f(cv?.auc)} ± ${f(cv?.aucSd)}`,
        f(cv?.prAuc),
        `${cv?.brier.toFixed(4)} (${cv?.brierBaseRate.toFixed(4)})`,
        f(timeSplit?.auc),
        f(timeSplit?.prAuc),
        `${cpuSeconds.toFixed(0)} s`,
      ].join(" | "),
    )
    .map((row) => `| ${row} |`),
  "",
  `folds: ${results[0]?.report.cv?.k} × ${results[0]?.report.cv?.repeats} repeats, inner ${results[0]?.report.cv?.innerFolds}-fold; C chosen per outer fold: ${results
    .map((r) => r.report.cv?.folds.map((fold) => fold.c.toExponential(0)).join(" "))
    .join(" / ")}`,
];
process.stdout.write(`${lines.join("\n")}\n`);
if (args.json) {
  writeFileSync(
    args.json,
    `${JSON.stringify(
      results.map(({ name, cpuSeconds, report }) => ({
        name,
        cpuSeconds,
        cv: report.cv,
        timeSplit: report.timeSplit,
      })),
      null,
      2,
    )}\n`,
  );
}
