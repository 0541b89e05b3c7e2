import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CsvSeriesScanner,
  type CsvSpool,
  csvFieldsSupported,
  csvHeader,
  parseSeriesTags,
  spoolCsvParts,
} from "./csv-load.ts";

describe("parseSeriesTags", () => {
  it("reads InfluxDB's tags text, unescaping comma, space and equals sign", () => {
    expect(parseSeriesTags("line=L1,site=S1,station=oven")).toEqual({
      line: "L1",
      site: "S1",
      station: "oven",
    });
    expect(parseSeriesTags('line=L\\,1\\ a\\=b,serial=ü\\,"q"=1')).toBeUndefined();
    expect(parseSeriesTags('line=L\\,1\\ a\\=b,serial=ü\\,"q"\\=1')).toEqual({
      line: "L,1 a=b",
      serial: 'ü,"q"=1',
    });
    expect(parseSeriesTags("station=ÖFEN_日本")).toEqual({ station: "ÖFEN_日本" });
  });

  it("gives no tags for a series without any", () => {
    expect(parseSeriesTags(null)).toEqual({});
    expect(parseSeriesTags("")).toEqual({});
  });

  it("refuses text that a backslash in a key or value makes ambiguous", () => {
    // `a\` then the next tag, or one value `a,line=x`? Only the JSON answer can tell.
    expect(parseSeriesTags("site=a\\,line=x")).toBeUndefined();
    expect(parseSeriesTags("site=a\\b")).toBeUndefined();
    expect(parseSeriesTags("site=a\\")).toBeUndefined();
    expect(parseSeriesTags("site=a\\\\ b")).toBeUndefined();
    expect(parseSeriesTags("site")).toBeUndefined();
    expect(parseSeriesTags("=a")).toBeUndefined();
  });
});

describe("csvFieldsSupported", () => {
  it("takes fields whose header text is their name and not one of InfluxDB's own columns", () => {
    expect(csvFieldsSupported(["z1_top_c", "o2_ppm"])).toBe(true);
    expect(csvFieldsSupported([])).toBe(false);
    expect(csvFieldsSupported(["a b"])).toBe(false);
    expect(csvFieldsSupported(["tags"])).toBe(false);
    expect(csvFieldsSupported(['a"'])).toBe(false);
  });
});

/** The whole answer as one spool, as a single unbounded part gives it ("" and 0 for none). */
async function spoolCsv(
  pieces: AsyncIterable<Uint8Array>,
  directory: string,
  header: string,
  check: () => void,
): Promise<CsvSpool> {
  let spool: CsvSpool = { path: "", points: 0, tags: [] };
  for await (const part of spoolCsvParts(pieces, directory, header, check, Infinity)) spool = part;
  return spool;
}

describe("spoolCsvParts, unbounded: the whole answer", () => {
  const dir = mkdtempSync(join(tmpdir(), "tracebox-spool-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pieces = async function* (...texts: string[]) {
    for (const text of texts) yield new TextEncoder().encode(text);
  };
  const header = csvHeader(["f", "g"]);

  it("writes the answer to a file and counts its rows, across pieces", async () => {
    const spool = await spoolCsv(
      pieces("name,ta", "gs,time,f,g\nm,,1,2,\nm,", '"a=1,b=2",2,3,4\n'),
      dir,
      header,
      () => {},
    );
    expect(spool.points).toBe(2);
    expect(spool.tags).toEqual(["", "a=1,b=2"]);
    expect(readFileSync(spool.path, "utf8")).toBe(
      'name,tags,time,f,g\nm,,1,2,\nm,"a=1,b=2",2,3,4\n',
    );
    rmSync(spool.path);
  });

  it("leaves no file for an empty answer, nor for a wrong header or a failure", async () => {
    expect(await spoolCsv(pieces(), dir, header, () => {})).toEqual({
      path: "",
      points: 0,
      tags: [],
    });
    await expect(spoolCsv(pieces("name,tags,time,g,f\n"), dir, header, () => {})).rejects.toThrow(
      /expected/,
    );
    let n = 0;
    await expect(
      spoolCsv(pieces(`${header}\n`, "m,,1,2,3\n"), dir, header, () => {
        if (++n === 2) throw new Error("aborted");
      }),
    ).rejects.toThrow("aborted");
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("spoolCsvParts", () => {
  const dir = mkdtempSync(join(tmpdir(), "tracebox-parts-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const header = csvHeader(["f"]);
  const rows = Array.from({ length: 7 }, (_, i) => `m,${i < 4 ? "" : '"s=b"'},${i},${i * 10}\n`);
  const answer = `${header}\n${rows.join("")}`;
  /** The answer cut into pieces of `size` bytes: rows and the header straddle them. */
  async function* pieces(size: number) {
    const bytes = new TextEncoder().encode(answer);
    for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
  }

  it("cuts the answer into files of partRows rows, each with the header, whatever the pieces", async () => {
    for (const size of [1, 3, 7, 1000]) {
      const parts: { text: string; points: number; tags: string[] }[] = [];
      for await (const part of spoolCsvParts(pieces(size), dir, header, () => {}, 3)) {
        parts.push({ text: readFileSync(part.path, "utf8"), points: part.points, tags: part.tags });
        rmSync(part.path);
      }
      expect(
        parts.map((p) => p.points),
        `pieces of ${size}`,
      ).toEqual([3, 3, 1]);
      expect(parts.map((p) => p.text)).toEqual([
        `${header}\n${rows.slice(0, 3).join("")}`,
        `${header}\n${rows.slice(3, 6).join("")}`,
        `${header}\n${rows[6]}`,
      ]);
      expect(parts.map((p) => p.tags)).toEqual([[""], ["", "s=b"], ["s=b"]]);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it("yields no empty last part, and leaves no file when stopped or failing midway", async () => {
    const whole: number[] = [];
    for await (const part of spoolCsvParts(pieces(5), dir, header, () => {}, 7)) {
      whole.push(part.points);
      rmSync(part.path);
    }
    expect(whole).toEqual([7]);
    // The consumer stops after the first part: the one being written goes.
    for await (const part of spoolCsvParts(pieces(5), dir, header, () => {}, 2)) {
      rmSync(part.path);
      break;
    }
    let n = 0;
    const failing = spoolCsvParts(
      pieces(5),
      dir,
      header,
      () => {
        if (++n === 12) throw new Error("aborted");
      },
      2,
    );
    await expect(
      (async () => {
        for await (const part of failing) rmSync(part.path);
      })(),
    ).rejects.toThrow("aborted");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("removes the part it was writing when it fails after a MiB of it reached the disk", async () => {
    const row = `m,"s=${"x".repeat(80)}",1,2\n`;
    const piece = new TextEncoder().encode(row.repeat(1000));
    async function* big() {
      yield new TextEncoder().encode(`${header}\n`);
      for (let i = 0; i < 20; i++) yield piece;
    }
    let n = 0;
    let onDisk: string[] = [];
    await expect(
      (async () => {
        for await (const part of spoolCsvParts(
          big(),
          dir,
          header,
          () => {
            // ≈ 1.7 MB in: the first MiB has been written to the part's file.
            if (++n === 20) {
              onDisk = readdirSync(dir);
              throw new Error("aborted");
            }
          },
          Number.POSITIVE_INFINITY,
        ))
          rmSync(part.path);
      })(),
    ).rejects.toThrow("aborted");
    expect(onDisk).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("CsvSeriesScanner", () => {
  const scan = (...texts: string[]) => {
    const scanner = new CsvSeriesScanner();
    for (const text of texts) scanner.scan(new TextEncoder().encode(text));
    scanner.end();
    return { points: scanner.lines - 1, tags: [...scanner.tags] };
  };
  const csv = [
    "name,tags,time,v",
    'm,"line=L1,site=S1,station=a",1,1',
    'm,"line=L1,site=S1,station=a",2,1',
    'm,"line=L1,site=S1,station=ab",3,1',
    'm,"line=L1,site=S1,station=a",4,1',
    "m,site=S2,5,1",
    'm,"q=""x"",site=S2",6,1',
    "m,,7,1",
    'm,"site=ÖFEN_日本",8,1',
  ].join("\n");

  it("finds every distinct tags text, a series seen again after another one included", () => {
    const expected = {
      points: 8,
      tags: [
        "line=L1,site=S1,station=a",
        "line=L1,site=S1,station=ab",
        "site=S2",
        'q="x",site=S2',
        "",
        "site=ÖFEN_日本",
      ],
    };
    expect(scan(csv)).toEqual(expected);
    expect(scan(`${csv}\n`)).toEqual(expected);
    // Cut anywhere, unicode and quotes included, the pieces read the same.
    const bytes = new TextEncoder().encode(csv);
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const scanner = new CsvSeriesScanner();
      scanner.scan(bytes.subarray(0, cut));
      scanner.scan(bytes.subarray(cut, cut + 5));
      scanner.scan(bytes.subarray(cut + 5));
      scanner.end();
      expect({ points: scanner.lines - 1, tags: [...scanner.tags] }).toEqual(expected);
    }
  });

  it("refuses a row without name and tags", () => {
    expect(() => scan('name,tags,time,v\nm,"a=1')).toThrow(/no name and tags/);
  });
});
