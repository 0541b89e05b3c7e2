import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBinary, freePort, MOSQUITTO, portOpen } from "../services/index.ts";
import { exited, influxRows, scrape } from "../test/delivery-harness.ts";
import { testServices } from "../test/index.ts";
import { eventually, ingestTestConfig } from "../test/ingest-harness.ts";
import { type Ingestor, startIngestor } from "./index.ts";

const ACL = resolve(import.meta.dirname, "../deploy/mosquitto/acl.example");
const INGEST_USER = "tracebox-ingest";
const STATION_USER = "station";

function run(command: string, args: string[], cwd: string): void {
  execFileSync(command, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * A throw-away CA, a server certificate for 127.0.0.1 / localhost, as README.md shows, and a
 * client certificate for the ingestor's account (CN = its user name).
 */
function makeCertificates(dir: string): void {
  const openssl = (args: string) => run("openssl", args.split(" "), dir);
  const ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  openssl(
    `req -x509 ${ec} -keyout ca.key -out ca.crt -days 2 -subj /CN=tracebox-test-CA -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign`,
  );
  openssl(`req ${ec} -keyout server.key -out server.csr -subj /CN=localhost`);
  writeFileSync(
    join(dir, "server.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  openssl(
    "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext",
  );
  openssl(`req ${ec} -keyout client.key -out client.csr -subj /CN=${INGEST_USER}`);
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  openssl(
    "x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 -extfile client.ext",
  );
}

describe("tracebox ingest over TLS with the shipped ACL", () => {
  let dir: string;
  let broker: ChildProcess;
  let url: string;
  /** A listener that wants a client certificate and takes its CN as the user name (ACL). */
  let mtlsUrl: string;
  let ca: string;
  const passwords = { [INGEST_USER]: "ingest-secret-1", [STATION_USER]: "station-secret-2" };
  let ingestor: Ingestor | undefined;
  let db: string;

  const station = () =>
    mqtt.connectAsync(url, {
      protocolVersion: 5,
      clientId: `station-${Math.random().toString(36).slice(2)}`,
      ca: readFileSync(ca),
      username: STATION_USER,
      password: passwords[STATION_USER],
      reconnectPeriod: 0,
    });
  const reading = (ts: number, value: number): [string, string] => [
    "ems/plant1/smt1/reflow/reflow",
    JSON.stringify({ ts, values: { z1_top_c: value } }),
  ];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tracebox-tls-"));
    makeCertificates(dir);
    ca = join(dir, "ca.crt");
    const passwd = join(dir, "passwd");
    run("mosquitto_passwd", ["-c", "-b", passwd, INGEST_USER, passwords[INGEST_USER]], dir);
    run("mosquitto_passwd", ["-b", passwd, STATION_USER, passwords[STATION_USER]], dir);
    const port = await freePort();
    url = `mqtts://127.0.0.1:${port}`;
    const mtlsPort = await freePort();
    mtlsUrl = `mqtts://127.0.0.1:${mtlsPort}`;
    const conf = join(dir, "mosquitto.conf");
    writeFileSync(
      conf,
      [
        "per_listener_settings false",
        "persistence false",
        "allow_anonymous false",
        `password_file ${passwd}`,
        `acl_file ${ACL}`,
        "log_dest stdout",
        // As root, Mosquitto would drop to the `mosquitto` user, which cannot read this temp dir.
        ...(process.getuid?.() === 0 ? ["user root"] : []),
        `listener ${port} 127.0.0.1`,
        `cafile ${ca}`,
        `certfile ${join(dir, "server.crt")}`,
        `keyfile ${join(dir, "server.key")}`,
        `listener ${mtlsPort} 127.0.0.1`,
        `cafile ${ca}`,
        `certfile ${join(dir, "server.crt")}`,
        `keyfile ${join(dir, "server.key")}`,
        "require_certificate true",
        "use_identity_as_username true",
        "",
      ].join("\n"),
    );
    const log = openSync(join(dir, "mosquitto.log"), "a");
    broker = spawn(findBinary(MOSQUITTO) ?? "/usr/sbin/mosquitto", ["-c", conf], {
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    const up = await eventually(
      () => portOpen("127.0.0.1", port),
      (open) => open || broker.exitCode !== null,
      10_000,
    );
    if (!up)
      throw new Error(
        `mosquitto did not start: ${readFileSync(join(dir, "mosquitto.log"), "utf8")}`,
      );

    const { config } = await ingestTestConfig(
      { mqttUrl: url, influxUrl: testServices().influxUrl },
      {
        TRACEBOX_TOPIC_PREFIX: "ems",
        TRACEBOX_MQTT_CA: ca,
        TRACEBOX_MQTT_USERNAME: INGEST_USER,
        TRACEBOX_MQTT_PASSWORD: passwords[INGEST_USER],
      },
    );
    ingestor = await startIngestor(config);
    db = config.influxDb;
  });

  afterAll(async () => {
    await ingestor?.stop();
    if (broker && broker.exitCode === null) {
      broker.kill("SIGTERM");
      await exited(broker);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const stored = () => influxRows(testServices().influxUrl, db, "SELECT z1_top_c FROM reflow");
  const written = async () =>
    (await scrape((ingestor as Ingestor).statusUrl))("tracebox_ingest_messages_total", {
      outcome: "written",
    }) ?? 0;

  it("stores what a station publishes, received over TLS with the ingestor's own account", async () => {
    const ts = Date.now() - 10_000;
    const client = await station();
    await client.publishAsync(...reading(ts, 245.1), { qos: 1 });
    await client.endAsync();
    const rows = await eventually(stored, (r) => r.some((row) => row.time === ts));
    expect(rows.filter((row) => row.time === ts)).toEqual([{ time: ts, z1_top_c: 245.1 }]);
  });

  it("refuses the ingestor's account a publish into the stations' topics (PUBACK 135), and the station one into tracebox's", async () => {
    const before = await written();
    const forged = Date.now() - 20_000;
    const asIngestor = await mqtt.connectAsync(url, {
      protocolVersion: 5,
      clientId: `forger-${Math.random().toString(36).slice(2)}`,
      ca: readFileSync(ca),
      username: INGEST_USER,
      password: passwords[INGEST_USER],
      reconnectPeriod: 0,
    });
    const refused = await asIngestor
      .publishAsync(...reading(forged, 666), { qos: 1 })
      .catch((e: unknown) => e);
    await asIngestor.endAsync();
    expect(refused).toBeInstanceOf(Error);
    expect(refused).toMatchObject({ code: 135, message: expect.stringMatching(/Not authorized/) });

    const client = await station();
    const alert = await client
      .publishAsync("tracebox/alert/plant1/smt1/reflow", '{"state":"ok"}', { qos: 1 })
      .catch((e: unknown) => e);
    expect(alert).toMatchObject({ code: 135 });
    // A station message after the forged one: once it is stored, the forged one would have been too.
    const genuine = Date.now() - 19_000;
    await client.publishAsync(...reading(genuine, 245.2), { qos: 1 });
    await client.endAsync();
    const rows = await eventually(stored, (r) => r.some((row) => row.time === genuine));
    expect(rows.filter((row) => row.time === forged)).toEqual([]);
    expect(await written()).toBe(before + 1);
  });

  it("a scaled-out ingestor (shared subscription) reads through the same account", async () => {
    const { config } = await ingestTestConfig(
      { mqttUrl: url, influxUrl: testServices().influxUrl },
      {
        TRACEBOX_TOPIC_PREFIX: "ems",
        TRACEBOX_INGEST_GROUP: "tracebox",
        TRACEBOX_MQTT_CA: ca,
        TRACEBOX_MQTT_USERNAME: INGEST_USER,
        TRACEBOX_MQTT_PASSWORD: passwords[INGEST_USER],
      },
    );
    const shared = await startIngestor(config);
    try {
      const ts = Date.now() - 5_000;
      const client = await station();
      await client.publishAsync(...reading(ts, 245.3), { qos: 1 });
      await client.endAsync();
      const rows = await eventually(
        () => influxRows(testServices().influxUrl, config.influxDb, "SELECT z1_top_c FROM reflow"),
        (r) => r.length > 0,
      );
      expect(rows).toEqual([{ time: ts, z1_top_c: 245.3 }]);
    } finally {
      await shared.stop();
    }
  });

  async function startWithWrongPassword(): Promise<{ error: unknown; dataDir: string }> {
    const { config } = await ingestTestConfig(
      { mqttUrl: url, influxUrl: testServices().influxUrl },
      {
        TRACEBOX_TOPIC_PREFIX: "ems",
        TRACEBOX_MQTT_CA: ca,
        TRACEBOX_MQTT_USERNAME: INGEST_USER,
        TRACEBOX_MQTT_PASSWORD: "not-the-password",
      },
    );
    const error = await startIngestor(config).then(
      async (started) => {
        await started.stop();
        return undefined;
      },
      (e: unknown) => e,
    );
    return { error, dataDir: config.dataDir };
  }

  it("connects with a client certificate instead of a password, and the ACL of its CN applies", async () => {
    const { config } = await ingestTestConfig(
      { mqttUrl: mtlsUrl, influxUrl: testServices().influxUrl },
      {
        TRACEBOX_TOPIC_PREFIX: "ems",
        TRACEBOX_MQTT_CA: ca,
        TRACEBOX_MQTT_CERT: join(dir, "client.crt"),
        TRACEBOX_MQTT_KEY: join(dir, "client.key"),
      },
    );
    const withCertificate = await startIngestor(config);
    try {
      const ts = Date.now() - 7_000;
      const client = await station();
      await client.publishAsync(...reading(ts, 245.4), { qos: 1 });
      await client.endAsync();
      const rows = await eventually(
        () => influxRows(testServices().influxUrl, config.influxDb, "SELECT z1_top_c FROM reflow"),
        (r) => r.some((row) => row.time === ts),
      );
      expect(rows.filter((row) => row.time === ts)).toEqual([{ time: ts, z1_top_c: 245.4 }]);
    } finally {
      await withCertificate.stop();
    }
    // The certificate's account may not forge station data either.
    const forger = await mqtt.connectAsync(mtlsUrl, {
      protocolVersion: 5,
      clientId: `forger-${Math.random().toString(36).slice(2)}`,
      ca: readFileSync(ca),
      cert: readFileSync(join(dir, "client.crt")),
      key: readFileSync(join(dir, "client.key")),
      reconnectPeriod: 0,
    });
    const refused = await forger
      .publishAsync(...reading(Date.now() - 6_000, 666), { qos: 1 })
      .catch((e: unknown) => e);
    await forger.endAsync();
    expect(refused).toMatchObject({ code: 135 });
    // Without a certificate the listener refuses the TLS handshake.
    const anonymous = await mqtt
      .connectAsync(mtlsUrl, {
        protocolVersion: 5,
        clientId: `nocert-${Math.random().toString(36).slice(2)}`,
        ca: readFileSync(ca),
        reconnectPeriod: 0,
        connectTimeout: 5_000,
      })
      .then(
        async (client) => {
          await client.endAsync();
          return "connected";
        },
        (e: unknown) => e,
      );
    expect(anonymous).toBeInstanceOf(Error);
  });

  it("a wrong password stops startIngestor with the broker's refusal", async () => {
    const { error } = await startWithWrongPassword();
    // Mosquitto 2.0.11 answers MQTT 5 bad credentials with CONNACK 135, not 134.
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 135, message: "Connection refused: Not authorized" });
  });

  // startIngestor takes the data-dir lock before the alert sink connects; when that connection is
  // refused, the lock must go too (an earlier version left ingest.lock behind with the pid of a
  // live process, and no other ingestor could use the data dir while it lived).
  it("a refused start frees the data dir", async () => {
    const { error, dataDir } = await startWithWrongPassword();
    expect(error).toBeInstanceOf(Error);
    expect(existsSync(join(dataDir, "ingest.lock"))).toBe(false);
  });
});
