import { type BenchServices, measurementName } from "./context.ts";
import { countPoints, dropDatabase, freshDatabase, settle } from "./database.ts";
import { CpuMeter } from "./proc.ts";
import { phaseProgress } from "./progress.ts";
import { percentile, perSecond } from "./stats.ts";
import { CHANNEL, FIELDS, type Workload } from "./workload.ts";

/** One direct-write run: request bodies of line protocol POSTed with a fixed number in flight. */
export interface DirectRun {
  concurrency: number;
  requests: number;
  /** First request sent to last 204 received, ms. */
  elapsedMs: number;
}

/**
 * The write ceiling of the database for these very lines: plain `POST /write?precision=ms`
 * over keep-alive connections, `concurrency` requests in flight, nothing else on the path.
 */
export async function writeDirect(
  influxUrl: string,
  database: string,
  bodies: readonly Buffer[],
  concurrency: number,
  progress: (requestsDone: number) => void = () => {},
): Promise<DirectRun> {
  const url = `${influxUrl}/write?db=${encodeURIComponent(database)}&precision=ms`;
  let next = 0;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < bodies.length; i = next++) {
        const response = await fetch(url, { method: "POST", body: bodies[i] });
        const text = await response.text();
        if (response.status !== 204)
          throw new Error(`direct write ${i} answered ${response.status}: ${text.slice(0, 300)}`);
        done += 1;
        progress(done);
      }
    }),
  );
  return { concurrency, requests: bodies.length, elapsedMs: performance.now() - started };
}

/** The direct ceiling of one workload: the best of 1..N requests in flight. */
export interface DirectMeasurement {
  points: number;
  batchLines: number;
  /** Runs per concurrency; each run writes every point into a fresh database. */
  rounds: number;
  byConcurrency: {
    concurrency: number;
    /** Median (nearest rank) of the rounds, points/s. */
    pointsPerSecond: number;
    /** Every round, in the order run, points/s. */
    rounds: number[];
    /** CPU of the median round. */
    cpu: Record<string, { cpuSeconds: number; coreShare: number }>;
  }[];
  best: { concurrency: number; pointsPerSecond: number };
}

/**
 * Rounds interleave the concurrencies (1, 2, 3, 4, 1, 2, ...), so that a slow spell of the shared
 * machine or a growing database does not fall on one of them only; each concurrency's figure is
 * the median of its rounds.
 */
export async function measureDirect(
  services: BenchServices,
  spec: {
    title: string;
    workload: Workload;
    batchLines: number;
    concurrencies: readonly number[];
    rounds: number;
  },
): Promise<DirectMeasurement> {
  // Built before the clock starts: the ceiling is the database's, not the line formatting's.
  const bodies = spec.workload.writeBodies(spec.batchLines);
  const points = spec.workload.options.points;
  const samples = new Map<
    number,
    { pointsPerSecond: number; cpu: Record<string, { cpuSeconds: number; coreShare: number }> }[]
  >();
  for (let round = 1; round <= spec.rounds; round++) {
    for (const concurrency of spec.concurrencies) {
      await settle(services.influxdPid);
      const client = await freshDatabase(services.influxUrl, measurementName("direct"));
      const progress = phaseProgress(
        `${spec.title}, ${concurrency} in flight (${round}/${spec.rounds})`,
        bodies.length,
        "requests",
      );
      const cpu = new CpuMeter({ influxd: services.influxdPid, bench: process.pid }).start();
      try {
        const run = await writeDirect(
          services.influxUrl,
          client.options.database,
          bodies,
          concurrency,
          (done) => progress.update(done),
        );
        const usage = cpu.stop();
        progress.stop();
        const stored = await countPoints(client, CHANNEL, FIELDS[0]);
        if (stored !== points)
          throw new Error(`direct write: InfluxDB holds ${stored} of ${points} points`);
        const list = samples.get(concurrency) ?? [];
        list.push({ pointsPerSecond: perSecond(points, run.elapsedMs), cpu: usage });
        samples.set(concurrency, list);
      } finally {
        progress.stop();
        await dropDatabase(client);
      }
    }
  }
  const byConcurrency = spec.concurrencies.map((concurrency) => {
    const list = samples.get(concurrency) ?? [];
    const median = percentile(
      list.map((r) => r.pointsPerSecond).sort((a, b) => a - b),
      50,
    );
    const medianRound = list.find((r) => r.pointsPerSecond === median) ?? list[0];
    return {
      concurrency,
      pointsPerSecond: median,
      rounds: list.map((r) => r.pointsPerSecond),
      cpu: medianRound?.cpu ?? {},
    };
  });
  const best = byConcurrency.reduce((a, b) => (b.pointsPerSecond > a.pointsPerSecond ? b : a));
  return {
    points,
    batchLines: spec.batchLines,
    rounds: spec.rounds,
    byConcurrency,
    best: { concurrency: best.concurrency, pointsPerSecond: best.pointsPerSecond },
  };
}
