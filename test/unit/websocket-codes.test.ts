import { describe, expect, it } from "vitest";
import { sendableCloseCode, sendableCloseReason } from "../../src/proxy/websocket";

/** Close one end of a fresh pair with `code`/`reason`; returns the error message, or "ok". */
function closeWith(code: number, reason: string): string {
  const [end] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  end.accept();
  try {
    end.close(code, reason);
    return "ok";
  } catch (error) {
    return (error as Error).message;
  }
}

const utf8Length = (text: string): number => new TextEncoder().encode(text).length;

describe("sendableCloseCode", () => {
  const cases: Array<[number | undefined, number]> = [
    // Codes that only describe what a peer observed.
    [undefined, 1000],
    [1005, 1000],
    [1006, 1000],
    [1015, 1000],
    // Codes that may be sent pass through.
    [1000, 1000],
    [1001, 1001],
    [1002, 1002],
    [1003, 1003],
    [1007, 1007],
    [1008, 1008],
    [1011, 1011],
    [1012, 1012],
    [1013, 1013],
    [1014, 1014],
    [3000, 3000],
    [4000, 4000],
    [4999, 4999],
    // Reserved for the protocol: 1004 must never be sent.
    [1004, 1000],
    // Out of every range.
    [0, 1000],
    [999, 1000],
    [1016, 1000],
    [2000, 1000],
    [2999, 1000],
    [5000, 1000],
    [-1, 1000],
  ];

  it.each(cases)("%j → %d", (code, expected) => {
    expect(sendableCloseCode(code)).toBe(expected);
  });

  it.each(cases)("the code chosen for %j is accepted by WebSocket.close", (code) => {
    expect(closeWith(sendableCloseCode(code), "")).toBe("ok");
  });
});

describe("sendableCloseReason", () => {
  const cases: Array<[string, string | undefined, string]> = [
    ["undefined", undefined, ""],
    ["empty", "", ""],
    ["short ASCII", "bye", "bye"],
    ["exactly 123 ASCII bytes", "a".repeat(123), "a".repeat(123)],
    ["124 ASCII bytes is cut to 123", "a".repeat(124), "a".repeat(123)],
    ["a long ASCII reason", "x".repeat(500), "x".repeat(123)],
    // "é" is 2 bytes: 62 of them are 124 bytes; cutting at 123 would split the last one.
    ["2-byte characters are not split", "é".repeat(62), "é".repeat(61)],
    ["2-byte characters that fit exactly", `a${"é".repeat(61)}`, `a${"é".repeat(61)}`],
    // "😀" is 4 bytes: 31 of them are 124 bytes; the 31st would be cut.
    ["4-byte characters are not split", "😀".repeat(31), "😀".repeat(30)],
    ["mixed ASCII and 3-byte characters", `ab${"€".repeat(41)}`, `ab${"€".repeat(40)}`],
  ];

  it.each(cases)("%s", (_name, reason, expected) => {
    const result = sendableCloseReason(reason);
    expect(result).toBe(expected);
    expect(utf8Length(result)).toBeLessThanOrEqual(123);
    expect(result).not.toContain("\uFFFD");
  });

  it.each(cases)("the reason chosen for %s is accepted by WebSocket.close", (_name, reason) => {
    expect(closeWith(1000, sendableCloseReason(reason))).toBe("ok");
  });

  it("a reason over 123 bytes would be refused by WebSocket.close (why truncation is needed)", () => {
    expect(closeWith(1000, "é".repeat(62))).not.toBe("ok");
  });
});
