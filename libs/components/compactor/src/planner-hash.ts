/**
 * Hashes the compaction planner needs to agree with every other compactor (and with Mimir):
 * FNV-1a 32 for ring tokens and split groups, FNV-1a 64 for label-set group keys. Pure functions
 * of their input bytes; never seeded, never process-dependent, so every compactor computes the
 * same values.
 */

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;
const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

const utf8 = new TextEncoder();

/** FNV-1a 32-bit of the bytes, as an unsigned integer (Go's `hash/fnv` New32a). */
export function fnv1a32(bytes: Uint8Array): number {
  let h = FNV32_OFFSET;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, FNV32_PRIME);
  }
  return h >>> 0;
}

/** FNV-1a 32-bit of the UTF-8 encoding of `s`. */
export function fnv1a32String(s: string): number {
  return fnv1a32(utf8.encode(s));
}

/** FNV-1a 64-bit of the UTF-8 encoding of `s`, as 16 lower-case hex digits. */
export function fnv1a64Hex(s: string): string {
  let h = FNV64_OFFSET;
  for (const b of utf8.encode(s)) {
    h ^= BigInt(b);
    h = (h * FNV64_PRIME) & MASK64;
  }
  return h.toString(16).padStart(16, '0');
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** The 16 bytes of a canonical ULID string (big-endian, as `oklog/ulid` holds them); undefined if not a ULID. */
export function ulidBytes(id: string): Uint8Array | undefined {
  if (!ULID_RE.test(id)) return undefined;
  let n = 0n;
  for (const c of id) n = (n << 5n) | BigInt(CROCKFORD.indexOf(c));
  const out = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/**
 * Mimir's `HashBlockID`: FNV-1a 32 over the block ULID's 16 bytes. It picks a source block's split
 * group, so Panoptes and Mimir put a block in the same group. A non-ULID id (never in a valid
 * bucket index) hashes its UTF-8 bytes instead of failing the whole plan.
 */
export function blockIdHash(id: string): number {
  return fnv1a32(ulidBytes(id) ?? utf8.encode(id));
}
