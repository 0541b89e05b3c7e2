/** The private broker and database of one benchmark run, and where its scratch files go. */
export interface BenchServices {
  mqttUrl: string;
  influxUrl: string;
  /** Temp dir of the run: services' data and every ingestor's data dir. */
  dir: string;
  mosquittoPid: number;
  influxdPid: number;
}

/** A name no earlier measurement of this run used (database, topic prefix, data dir). */
export function measurementName(kind: string): string {
  measurementSeq += 1;
  return `bench_${kind}_${measurementSeq}`;
}

let measurementSeq = 0;
