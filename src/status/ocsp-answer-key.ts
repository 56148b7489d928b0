import { hash } from 'node:crypto';

/**
 * The key of a stored OCSP answer (ocsp_responses.id, migration 2700): the first 8 octets of SHA-256 over the
 * DER CertID, top bit cleared (a non-negative 63-bit integer, SQLite's rowid, a PostgreSQL bigint). Not unique in
 * principle: every read also compares cert_id. ocspAnswerKeyOf gives it from the hex CertID as a decimal string, which
 * both stores take for an integer key.
 */
export function ocspAnswerKeyOf(certIdHex: string): string {
  return ocspAnswerKey(Buffer.from(certIdHex, 'hex')).toString();
}

/** The key as an integer (what SQLite's driver binds without a conversion), from the DER CertID. */
export function ocspAnswerKey(certIdDer: Uint8Array): bigint {
  return hash('sha256', certIdDer, 'buffer').readBigUInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
}
