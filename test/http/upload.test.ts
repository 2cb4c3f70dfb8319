// Display names of uploaded files: whatever a client sends, what is kept is short, flat and printable.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cleanFileName } from "../../src/http/upload";

describe("cleanFileName", () => {
  const cases: [unknown, string][] = [
    ["holiday.jpg", "holiday.jpg"],
    ["../../etc/passwd", "passwd"],
    ["..\\..\\boot.ini", "boot.ini"],
    ["C:\\Users\\me\\Pictures\\cat.png", "cat.png"],
    ["..", "unnamed file"],
    ["", "unnamed file"],
    [undefined, "unnamed file"],
    [42, "unnamed file"],
    ["a\u0000b\u0007c\u001b[0md\u007f.png", "abc[0md.png"],
    ["evil\u202Egnp.exe", "evilgnp.exe"],
    ["zero\u200Bwidth.png", "zerowidth.png"],
    ["  lots   of\tspace .png ", "lots of space .png"],
    ["line\r\nbreak\u2028.png", "line break .png"],
    ["фото.jpg", "фото.jpg"],
    ["cafe\u0301.jpg", "café.jpg"],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => assert.equal(cleanFileName(input), expected));
  }

  it("bounds the length, keeping the extension", () => {
    const out = cleanFileName(`${"я".repeat(500)}.jpeg`);
    assert.equal(Array.from(out).length, 100);
    assert.match(out, /^я+…\.jpeg$/);
  });
});
