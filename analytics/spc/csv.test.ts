import { describe, expect, it } from "vitest";
import { parseAttributesCsv, parseVariablesCsv } from "./csv.ts";
import { SpcError } from "./errors.ts";

describe("variables CSV", () => {
  it("groups measurements by subgroup in order of first appearance", () => {
    const text = "subgroup,value,operator\nA,1.5,x\nB,2,y\nA,2.5,x\n\n";
    expect(parseVariablesCsv(text)).toEqual([
      { label: "A", values: [1.5, 2.5] },
      { label: "B", values: [2] },
    ]);
  });

  it("reads quoted fields, CRLF and a byte-order mark", () => {
    const text = '\uFEFFSubgroup,Value\r\n"lot 1, line 2",3\r\n"say ""hi""",4\r\n';
    expect(parseVariablesCsv(text)).toEqual([
      { label: "lot 1, line 2", values: [3] },
      { label: 'say "hi"', values: [4] },
    ]);
  });

  it.each([
    ["subgroup,val\n1,2\n", "in.csv: missing column 'value' (header: subgroup,val)"],
    ["subgroup,value\n1,2\n1,abc\n", "in.csv line 3, column 'value': 'abc' is not a number"],
    ["subgroup,value\n1,\n", "in.csv line 2, column 'value': empty"],
    ["subgroup,value\n,2\n", "in.csv line 2, column 'subgroup': empty"],
    ["subgroup,value\n1,2,3\n", "in.csv line 2: 3 fields, the header has 2"],
    ['subgroup,value\n"1,2\n', "in.csv line 2: unterminated quoted field"],
    ["", "in.csv: empty file, no header row"],
  ])("refuses %j", (text, message) => {
    expect(() => parseVariablesCsv(text, "in.csv")).toThrow(new SpcError("bad-csv", message));
  });
});

describe("attributes CSV", () => {
  it("reads counts and sizes, one row per subgroup", () => {
    expect(parseAttributesCsv("subgroup,count,size\n1,3,50\n2,0,45\n", true)).toEqual([
      { label: "1", count: 3, size: 50 },
      { label: "2", count: 0, size: 45 },
    ]);
  });

  it("lets a c chart go without sizes", () => {
    expect(parseAttributesCsv("subgroup,count\n1,3\n", false)).toEqual([{ label: "1", count: 3 }]);
    expect(parseAttributesCsv("subgroup,count,size\n1,3,\n", false)).toEqual([
      { label: "1", count: 3 },
    ]);
  });

  it("needs sizes for p, np and u", () => {
    expect(() => parseAttributesCsv("subgroup,count\n1,3\n", true, "oj.csv")).toThrow(
      "oj.csv: missing column 'size' (header: subgroup,count)",
    );
    expect(() => parseAttributesCsv("subgroup,count,size\n1,3,\n", true, "oj.csv")).toThrow(
      "oj.csv line 2, column 'size': empty",
    );
  });

  it("refuses a subgroup listed twice", () => {
    expect(() => parseAttributesCsv("subgroup,count\n1,3\n1,4\n", false, "c.csv")).toThrow(
      "c.csv line 3: subgroup '1' appears twice",
    );
  });
});
