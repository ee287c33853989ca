import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface BundleSize {
  /** `js` or `css`. */
  readonly kind: string;
  readonly files: number;
  readonly rawBytes: number;
  /** As a server's default gzip sends it (zlib level 6). */
  readonly gzipBytes: number;
}

/** The raw and gzip size of every JS and CSS file under `webRoot`, by kind. */
export async function bundleSizes(webRoot: string): Promise<BundleSize[]> {
  const files = await readdir(webRoot, { recursive: true, withFileTypes: true });
  const sizes: BundleSize[] = [];
  for (const kind of ['js', 'css']) {
    const ofKind = files.filter((file) => file.isFile() && extname(file.name) === `.${kind}`);
    let rawBytes = 0;
    let gzipBytes = 0;
    for (const file of ofKind) {
      const body = await readFile(join(file.parentPath, file.name));
      rawBytes += body.length;
      gzipBytes += gzipSync(body).length;
    }
    sizes.push({ kind, files: ofKind.length, rawBytes, gzipBytes });
  }
  return sizes;
}
