// Removing stored media files. Called only after the transaction that deleted their rows has committed,
// so a rollback never leaves a row pointing at a missing file.
import fs from "node:fs/promises";
import path from "node:path";

/** Resolves a stored relative path inside mediaRoot, or null if it would escape it. */
export function mediaPath(mediaRoot: string, rel: string): string | null {
  const root = path.resolve(mediaRoot);
  const full = path.resolve(root, rel);
  return full.startsWith(root + path.sep) ? full : null;
}

/** Deletes files (relative to mediaRoot); missing files are fine, other errors are reported, not thrown. */
export async function removeMediaFiles(mediaRoot: string, relPaths: string[]): Promise<string[]> {
  const failed: string[] = [];
  await Promise.all(
    relPaths.map(async (rel) => {
      const full = mediaPath(mediaRoot, rel);
      if (!full) return;
      try {
        await fs.unlink(full);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") failed.push(rel);
      }
    }),
  );
  return failed;
}
