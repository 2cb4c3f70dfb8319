// Reading the "Download my data" archive in tests: the response body as bytes, and the zip's entries by name (yauzl).
import type { Response } from "superagent";
import yauzl from "yauzl";

/** A supertest parser that keeps the body as one Buffer (for .parse()). */
export function binary(res: Response, done: (err: Error | null, body: Buffer) => void): void {
  // In Node, superagent hands the parser the response stream itself.
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  stream.on("end", () => done(null, Buffer.concat(chunks)));
}

/** Every entry of the zip, by name; fails on anything that is not a whole, valid zip. */
export function unzip(buf: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error("no zip"));
      const out = new Map<string, Buffer>();
      zip.on("error", reject);
      zip.on("end", () => resolve(out));
      zip.on("entry", (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error("no stream"));
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("error", reject);
          stream.on("end", () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

export const text = (entries: Map<string, Buffer>, name: string) => {
  const b = entries.get(name);
  if (!b) throw new Error(`no ${name} in the archive (has ${[...entries.keys()].join(", ")})`);
  return b.toString("utf8");
};

export const json = <T = unknown>(entries: Map<string, Buffer>, name: string): T => JSON.parse(text(entries, name));

/** Everything in the archive as one string, to check that something appears nowhere in it. */
export const everything = (entries: Map<string, Buffer>) => [...entries.values()].map((b) => b.toString("utf8")).join("\n");
