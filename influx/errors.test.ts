import { describe, expect, it } from "vitest";
import {
  errorFromFailure,
  errorFromResponse,
  InfluxError,
  parseRetryAfter,
  reasonForStatus,
  serverMessageFrom,
} from "./errors.ts";

const noHeaders = { get: () => null };

describe("reasonForStatus", () => {
  it.each([
    [400, "", "bad_request", false],
    [401, "", "unauthorized", false],
    [403, "", "unauthorized", false],
    [404, "", "not_found", false],
    [405, "", "bad_request", false],
    [413, "", "too_large", false],
    [422, "", "bad_request", false],
    [429, "", "server", true],
    [500, "timeout", "server", true],
    [502, "", "server", true],
    [503, "", "server", true],
    [500, "retention policy not found: hot", "not_found", false],
  ] as const)("%i %j → %s (retry %s)", (status, message, reason, retry) => {
    expect(reasonForStatus(status, message)).toBe(reason);
    expect(new InfluxError(reasonForStatus(status, message), "x").canRetry()).toBe(retry);
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds as ms", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(" 0 ")).toBe(0);
  });
  it("reads an HTTP date relative to now, never negative", () => {
    const now = Date.parse("2025-11-27T12:00:00Z");
    expect(parseRetryAfter("Thu, 27 Nov 2025 12:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Thu, 27 Nov 2025 11:00:00 GMT", now)).toBe(0);
  });
  it("ignores what it cannot read", () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter("-1")).toBeUndefined();
  });
});

describe("serverMessageFrom", () => {
  it("takes 1.x's error field and 2.x's message field", () => {
    expect(serverMessageFrom('{"error":"database not found: \\"x\\""}')).toBe(
      'database not found: "x"',
    );
    expect(serverMessageFrom('{"code":"invalid","message":"unable to parse"}')).toBe(
      "unable to parse",
    );
  });
  it("falls back to the X-Influxdb-Error header, then to the raw text, cut short", () => {
    expect(serverMessageFrom("", "field type conflict")).toBe("field type conflict");
    expect(serverMessageFrom("<html>Bad Gateway</html>")).toBe("<html>Bad Gateway</html>");
    expect(serverMessageFrom("{not json")).toBe("{not json");
    expect(serverMessageFrom("x".repeat(5000))).toHaveLength(1001);
  });
});

describe("errorFromResponse", () => {
  it("keeps status, server text and Retry-After, and a one-line message", () => {
    const headers = new Headers({ "retry-after": "2" });
    const error = errorFromResponse('write to "db"', 503, '{"error":"engine busy"}', headers);
    expect(error).toBeInstanceOf(InfluxError);
    expect(error.reason).toBe("server");
    expect(error.status).toBe(503);
    expect(error.serverMessage).toBe("engine busy");
    expect(error.retryAfter()).toBe(2000);
    expect(error.canRetry()).toBe(true);
    expect(error.message).toBe('InfluxDB write to "db" failed: 503 engine busy');
  });
  it("cuts a long message but keeps the full server text", () => {
    const long = `partial write: ${"unable to parse 'x': bad\n".repeat(100)}`;
    const error = errorFromResponse("write", 400, JSON.stringify({ error: long }), noHeaders);
    expect(error.message.length).toBeLessThanOrEqual(501);
    expect(error.serverMessage).toBe(long);
    expect(error.retryAfter()).toBeUndefined();
  });
});

describe("errorFromFailure", () => {
  it("maps undici's timeout to timeout", () => {
    const error = errorFromFailure("query", new DOMException("t", "TimeoutError"), 250);
    expect(error.reason).toBe("timeout");
    expect(error.message).toBe("InfluxDB query timed out after 250 ms");
    expect(error.canRetry()).toBe(true);
  });
  it("maps a transport failure to network, naming the system error", () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), {
      code: "ECONNREFUSED",
    });
    const error = errorFromFailure("write", new TypeError("fetch failed", { cause }), 1000);
    expect(error.reason).toBe("network");
    expect(error.message).toBe("InfluxDB write failed: connect ECONNREFUSED 127.0.0.1:9");
    expect(error.canRetry()).toBe(true);
  });
  it("passes an InfluxError through", () => {
    const original = new InfluxError("query", "bad");
    expect(errorFromFailure("query", original, 1)).toBe(original);
  });
});
