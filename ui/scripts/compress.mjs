// Writes NAME.gz beside each text asset in dist/: the server sends it to clients that accept gzip.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, constants } from "node:zlib";

const root = new URL("../dist/", import.meta.url).pathname;
const TEXT = /\.(js|css|html|svg|json|map)$/;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (TEXT.test(name) && statSync(path).size > 1024) {
      writeFileSync(path + ".gz", gzipSync(readFileSync(path), { level: constants.Z_BEST_COMPRESSION }));
    }
  }
}
walk(root);
