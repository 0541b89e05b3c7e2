// A reader of one line of InfluxDB line protocol, for tests: it splits and unescapes a line the
// way the InfluxDB 1.x parser (models/points.go) does: in keys and tag values a backslash shields
// the next character and only `\,` `\=` `\ ` are unescaped; in string fields only `\"` and
// `\\` are. It is strict: anything it cannot read exactly is an error.

export interface ParsedLine {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean>;
  ts: number;
}

class LineError extends Error {}

function unescapeKey(raw: string): string {
  return raw.replace(/\\([,= ])/g, "$1");
}

/** Index of the first unescaped char of `stops` from `from`, or the line's end. */
function scan(line: string, from: number, stops: string): number {
  let i = from;
  while (i < line.length) {
    const char = line[i] as string;
    if (char === "\\") {
      i += 2;
      continue;
    }
    if (stops.includes(char)) return i;
    i++;
  }
  return line.length;
}

function parseFieldValue(raw: string): number | boolean {
  if (/^(t|T|true|True|TRUE)$/.test(raw)) return true;
  if (/^(f|F|false|False|FALSE)$/.test(raw)) return false;
  if (/^-?\d+i$/.test(raw)) return Number(raw.slice(0, -1));
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) return Number(raw);
  throw new LineError(`bad field value ${raw}`);
}

export function parseLine(line: string): ParsedLine {
  if (/[\n\r]/.test(line)) throw new LineError("line holds a line break");
  let i = scan(line, 0, ", ");
  const measurement = unescapeKey(line.slice(0, i));
  if (measurement === "") throw new LineError("empty measurement");
  const tags: Record<string, string> = {};
  while (line[i] === ",") {
    const keyEnd = scan(line, i + 1, "=, ");
    if (line[keyEnd] !== "=") throw new LineError(`tag without value at ${i}`);
    const valueEnd = scan(line, keyEnd + 1, ", ");
    const key = unescapeKey(line.slice(i + 1, keyEnd));
    const value = unescapeKey(line.slice(keyEnd + 1, valueEnd));
    if (key === "" || value === "") throw new LineError(`empty tag key or value at ${i}`);
    if (key in tags) throw new LineError(`tag ${key} twice`);
    tags[key] = value;
    i = valueEnd;
  }
  if (line[i] !== " ") throw new LineError("no field set");
  const fields: Record<string, number | string | boolean> = {};
  do {
    const start = i + 1;
    const keyEnd = scan(line, start, "=, ");
    if (line[keyEnd] !== "=") throw new LineError(`field without value at ${start}`);
    const key = unescapeKey(line.slice(start, keyEnd));
    if (key === "" || key in fields) throw new LineError(`empty or repeated field key ${key}`);
    let valueEnd: number;
    if (line[keyEnd + 1] === '"') {
      let j = keyEnd + 2;
      while (j < line.length && line[j] !== '"') j += line[j] === "\\" ? 2 : 1;
      if (j >= line.length) throw new LineError("unterminated string field");
      fields[key] = line.slice(keyEnd + 2, j).replace(/\\(["\\])/g, "$1");
      valueEnd = j + 1;
    } else {
      valueEnd = scan(line, keyEnd + 1, ", ");
      fields[key] = parseFieldValue(line.slice(keyEnd + 1, valueEnd));
    }
    i = valueEnd;
  } while (line[i] === ",");
  if (line[i] !== " ") throw new LineError(`no timestamp after the fields at ${i}`);
  const ts = line.slice(i + 1);
  if (!/^-?\d+$/.test(ts)) throw new LineError(`bad timestamp ${ts}`);
  return { measurement, tags, fields, ts: Number(ts) };
}
