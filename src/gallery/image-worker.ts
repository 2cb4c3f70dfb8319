// The image worker process, forked by the pool in image-pipeline.ts: it answers each { id, file, format } with
// { id, encoded }, { id, rejected: { key, params } } (a refusal for the uploader) or { id, error } (a fault of ours).
import { configureSharp, encodeImage } from "./image-encoding";
import { ImageRejected, type Format } from "./image-pipeline";

configureSharp();

// The parent decides when a worker ends (it closes the IPC channel), and the channel closes by itself if the
// parent dies, so no worker outlives it. Ctrl-C in a terminal, or a service manager signalling the whole
// group, reaches the workers too: ignored, so that uploads still in progress during the web process's
// graceful drain are finished rather than lost.
process.on("disconnect", () => process.exit(0));
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});

process.on("message", async ({ id, file, format }: { id: number; file: string; format: Format }) => {
  let reply: object;
  try {
    reply = { id, encoded: await encodeImage(file, format) };
  } catch (err) {
    reply = err instanceof ImageRejected ? { id, rejected: { key: err.key, params: err.params } } : { id, error: (err as Error)?.stack ?? String(err) };
  }
  if (process.connected) process.send!(reply);
});
