/**
 * A deliberately plain SM2 signature (GB/T 32918.2 §6, §7) over any prime
 * curve, in BigInt affine arithmetic with node:crypto's SM3. It exists for
 * the tests only: the standard's own example (GM/T 0003.2 Annex A) is on a
 * test curve that sm-crypto-v2 cannot use, so this reference is proven on
 * that example and then holds sm-crypto-v2 to the same equations on the
 * recommended curve, with any ID. Slow and not constant-time: never sign with it.
 */
import { createHash } from 'node:crypto';

export interface PrimeCurve {
  p: bigint;
  a: bigint;
  b: bigint;
  gx: bigint;
  gy: bigint;
  n: bigint;
}

type Point = { x: bigint; y: bigint } | null;

const hex = (s: string): bigint => BigInt(`0x${s.replace(/\s+/g, '')}`);

/** GB/T 32918.5-2017 §3: the recommended 256-bit curve. */
export const SM2_RECOMMENDED_CURVE: PrimeCurve = {
  p: hex('FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF 00000000 FFFFFFFF FFFFFFFF'),
  a: hex('FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF 00000000 FFFFFFFF FFFFFFFC'),
  b: hex('28E9FA9E 9D9F5E34 4D5A9E4B CF6509A7 F39789F5 15AB8F92 DDBCBD41 4D940E93'),
  gx: hex('32C4AE2C 1F198119 5F990446 6A39C994 8FE30BBF F2660BE1 715A4589 334C74C7'),
  gy: hex('BC3736A2 F4F6779C 59BDCEE3 6B692153 D0A9877C C62A4740 02DF32E5 2139F0A0'),
  n: hex('FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF 7203DF6B 21C6052B 53BBF409 39D54123'),
};

/** GM/T 0003.2-2012 Annex A (and GM/T 0003.1 Annex C.2): the Fp-256 example curve. */
export const SM2_EXAMPLE_CURVE: PrimeCurve = {
  p: hex('8542D69E 4C044F18 E8B92435 BF6FF7DE 45728391 5C45517D 722EDB8B 08F1DFC3'),
  a: hex('787968B4 FA32C3FD 2417842E 73BBFEFF 2F3C848B 6831D7E0 EC65228B 3937E498'),
  b: hex('63E4C6D3 B23B0C84 9CF84241 484BFE48 F61D59A5 B16BA06E 6E12D1DA 27C5249A'),
  gx: hex('421DEBD6 1B62EAB6 746434EB C3CC315E 32220B3B ADD50BDC 4C4E6C14 7FEDD43D'),
  gy: hex('0680512B CBB42C07 D47349D2 153B70C4 E5D7FDFC BFA36EA1 A85841B9 E46E09A2'),
  n: hex('8542D69E 4C044F18 E8B92435 BF6FF7DD 29772063 0485628D 5AE74EE7 C32E79B7'),
};

const mod = (x: bigint, m: bigint): bigint => ((x % m) + m) % m;

function inverse(x: bigint, m: bigint): bigint {
  let [a, b, u, v] = [mod(x, m), m, 1n, 0n];
  while (b !== 0n) {
    const q = a / b;
    [a, b, u, v] = [b, a - q * b, v, u - q * v];
  }
  if (a !== 1n) throw new Error('not invertible');
  return mod(u, m);
}

function add(curve: PrimeCurve, P: Point, Q: Point): Point {
  if (!P) return Q;
  if (!Q) return P;
  const { p, a } = curve;
  if (P.x === Q.x && mod(P.y + Q.y, p) === 0n) return null;
  const lambda =
    P.x === Q.x && P.y === Q.y
      ? mod((3n * P.x * P.x + a) * inverse(2n * P.y, p), p)
      : mod((Q.y - P.y) * inverse(Q.x - P.x, p), p);
  const x = mod(lambda * lambda - P.x - Q.x, p);
  return { x, y: mod(lambda * (P.x - x) - P.y, p) };
}

export function multiply(curve: PrimeCurve, k: bigint, P: Point = { x: curve.gx, y: curve.gy }): Point {
  let result: Point = null;
  let addend = P;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) result = add(curve, result, addend);
    addend = add(curve, addend, addend);
  }
  return result;
}

const be32 = (x: bigint): Buffer => Buffer.from(x.toString(16).padStart(64, '0'), 'hex');

/** Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) (GB/T 32918.2 §5.5). */
export function userHash(curve: PrimeCurve, id: Buffer, publicKey: { x: bigint; y: bigint }): Buffer {
  const entl = Buffer.alloc(2);
  entl.writeUInt16BE(id.length * 8);
  return createHash('sm3')
    .update(Buffer.concat([entl, id, ...[curve.a, curve.b, curve.gx, curve.gy, publicKey.x, publicKey.y].map(be32)]))
    .digest();
}

export function publicKeyOf(curve: PrimeCurve, d: bigint): { x: bigint; y: bigint } {
  return multiply(curve, d)!;
}

/** GB/T 32918.2 §6.1 with a given k. */
export function referenceSign(curve: PrimeCurve, d: bigint, id: Buffer, message: Buffer, k: bigint): { z: Buffer; e: bigint; r: bigint; s: bigint } {
  const z = userHash(curve, id, publicKeyOf(curve, d));
  const e = hex(createHash('sm3').update(Buffer.concat([z, message])).digest('hex'));
  const x1 = multiply(curve, k)!.x;
  const r = mod(e + x1, curve.n);
  const s = mod(inverse(1n + d, curve.n) * (k - r * d), curve.n);
  return { z, e, r, s };
}

/** GB/T 32918.2 §7.1. */
export function referenceVerify(curve: PrimeCurve, publicKey: { x: bigint; y: bigint }, id: Buffer, message: Buffer, r: bigint, s: bigint): boolean {
  if (r < 1n || r >= curve.n || s < 1n || s >= curve.n) return false;
  const z = userHash(curve, id, publicKey);
  const e = hex(createHash('sm3').update(Buffer.concat([z, message])).digest('hex'));
  const t = mod(r + s, curve.n);
  if (t === 0n) return false;
  const point = add(curve, multiply(curve, s), multiply(curve, t, publicKey));
  return point !== null && mod(e + point.x, curve.n) === r;
}
