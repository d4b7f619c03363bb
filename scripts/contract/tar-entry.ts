import { gunzipSync } from 'node:zlib';

const BLOCK = 512;

/**
 * Reads one file out of a `.tgz` (what `npm pack` writes): ustar headers, with the `prefix` field,
 * pax `path=` records and GNU `L` entries for long names. Enough for npm tarballs; not a general
 * tar reader.
 *
 * @returns the file's bytes, or `undefined` when the archive has no such file
 * @example
 * readTarEntry(readFileSync('pkg.tgz'), 'package/package.json');
 */
export function readTarEntry(tgz: Uint8Array, wanted: string): Buffer | undefined {
  const tar = gunzipSync(tgz);
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) return undefined;
    const size = Number.parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    const data = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      longName = paxRecord(data, 'path');
      continue;
    }
    if (type === 'L') {
      longName = field(data, 0, data.length);
      continue;
    }
    longName = undefined;
    if ((type === '0' || type === '\0') && name === wanted) return Buffer.from(data);
  }
  return undefined;
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
}

// A pax record is "<length> <key>=<value>\n".
function paxRecord(data: Buffer, key: string): string | undefined {
  for (const line of data.toString('utf8').split('\n')) {
    const match = /^\d+ ([^=]+)=(.*)$/s.exec(line);
    if (match?.[1] === key) return match[2];
  }
  return undefined;
}
