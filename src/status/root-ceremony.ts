import { createHash, randomUUID } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  BasicOCSPResponse,
  CertID,
  CertStatus,
  KeyHash,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
  id_pkix_ocsp_basic,
} from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate, CRLReason } from '@peculiar/asn1-x509';
import { appendAuditEntry } from '../audit/audit-log.js';
import type { CertificateAuthority } from '../ca/authority.js';
import { OID } from '../crypto/algorithms.js';
import { verifySignature } from '../crypto/signature-verification.js';
import { SignetError } from '../i18n/signet-error.js';
import type { Tx } from '../store/database.js';
import type { CrlPublisher, CrlSummary } from './crl-publisher.js';
import { lintOcspResponse } from './ocsp-response-lint.js';
import { secondsOnly } from './crl-encoding.js';
import { statusDb, type RootOcspResponseTable } from './schema.js';

/** RFC 5280 leaves it open; the issue and docs/operations.md: a root ceremony at least once a year. */
export const MAX_ROOT_NEXT_UPDATE_DAYS = 366;
export const DEFAULT_ROOT_NEXT_UPDATE_DAYS = 365;

const DAY_MS = 86_400_000;

/**
 * The CertID spellings clients send (RFC 6960 §4.1.1): SHA-1 (OpenSSL,
 * Java, NSS, BouncyCastle by default) and SHA-256, each with NULL or absent
 * parameters, and SM3 for GM/T 0015 clients. A pre-signed response must
 * carry the very CertID the client asked with, so each is signed once.
 */
const CERT_ID_HASHES: { oid: string; name: string; nullParameters: boolean }[] = [
  { oid: '1.3.14.3.2.26', name: 'sha1', nullParameters: true },
  { oid: '1.3.14.3.2.26', name: 'sha1', nullParameters: false },
  { oid: OID.sha256, name: 'sha256', nullParameters: true },
  { oid: OID.sha256, name: 'sha256', nullParameters: false },
  { oid: OID.sm3, name: 'sm3', nullParameters: false },
];

export interface RootCeremonyResult {
  ceremonyId: string;
  caId: string;
  crl: CrlSummary;
  /** OCSP responses signed, one per certificate the root signed and CertID spelling. */
  ocspResponses: number;
  certificates: number;
  nextUpdate: string;
}

/**
 * The root key ceremony (docs/operations.md): with the root key brought
 * online for the occasion, sign the root's CRL and an OCSP response for
 * every unexpired certificate the root signed (the issuing CAs, whose AIA
 * names /ocsp), both valid until `nextUpdateDays` from now. A running server
 * only serves these bytes; it never signs with the root key.
 */
export async function runRootCeremony(
  ca: CertificateAuthority,
  crls: CrlPublisher,
  options: { caId?: string; nextUpdateDays?: number; actor: string },
): Promise<RootCeremonyResult> {
  const days = options.nextUpdateDays ?? DEFAULT_ROOT_NEXT_UPDATE_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_ROOT_NEXT_UPDATE_DAYS) {
    throw new SignetError('root.ceremony-bad-days', 400, { days: String(days), max: MAX_ROOT_NEXT_UPDATE_DAYS }, 'nextUpdateDays');
  }
  const root = options.caId ? await ca.authority(options.caId) : (await ca.authorities()).find((a) => a.role === 'root');
  if (!root) throw new SignetError('ca.unknown', 404, { caId: options.caId ?? 'root' }, 'caId');
  if (root.role !== 'root') throw new SignetError('root.ceremony-not-root', 400, { caId: root.id }, 'caId');

  const now = ca.now();
  const thisUpdate = secondsOnly(now.toISOString());
  const wanted = new Date(thisUpdate.getTime() + days * DAY_MS);
  // Nothing the root signs may claim to be current past the root's own end.
  const nextUpdate = wanted > root.notAfter ? root.notAfter : wanted;
  const crl = await crls.publish(root.id, 'full', options.actor, { ceremony: true, nextUpdate });

  const issuer = await ca.issuerContext(root.id);
  const rootCertificate = AsnConvert.parse(root.certificateDer, Certificate);
  const nameDer = Buffer.from(AsnConvert.serialize(rootCertificate.tbsCertificate.subject));
  const keyBits = Buffer.from(rootCertificate.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
  const responderID = new ResponderID({ byKey: new KeyHash(createHash('sha1').update(keyBits).digest()) });
  const ceremonyId = randomUUID();
  const rows: RootOcspResponseTable[] = [];
  // Only certificates whose AIA names /ocsp: one issued in CRL-only mode (SIGNET_CRL_ONLY) is never asked about.
  const certificates = (await ca.findCertificates({ issuerCaId: root.id, notAfterAfter: now.toISOString(), namesOcsp: true })).filter(
    // The root's own self-signed certificate is not a question anyone asks its OCSP responder.
    (c) => c.serial !== root.serial,
  );
  for (const certificate of certificates) {
    const revocation = await statusDb(ca.store)
      .selectFrom('revocations')
      .select(['revoked_at', 'reason_code'])
      .where('serial', '=', certificate.serial)
      .executeTakeFirst();
    const certStatus = revocation
      ? new CertStatus({
          revoked: new RevokedInfo({
            revocationTime: secondsOnly(revocation.revoked_at),
            revocationReason: Number(revocation.reason_code) === 0 ? undefined : new CRLReason(Number(revocation.reason_code)),
          }),
        })
      : new CertStatus({ good: null });
    for (const hash of CERT_ID_HASHES) {
      const certID = new CertID({
        hashAlgorithm: new AlgorithmIdentifier({ algorithm: hash.oid, parameters: hash.nullParameters ? new Uint8Array([5, 0]).buffer : undefined }),
        issuerNameHash: new OctetString(createHash(hash.name).update(nameDer).digest()),
        issuerKeyHash: new OctetString(createHash(hash.name).update(keyBits).digest()),
        serialNumber: integerBytes(certificate.serial),
      });
      const data = new ResponseData({
        responderID,
        producedAt: thisUpdate,
        responses: [new SingleResponse({ certID, certStatus, thisUpdate, nextUpdate })],
      });
      const tbs = Buffer.from(AsnConvert.serialize(data));
      const signature = await issuer.signer.sign(tbs);
      const check = verifySignature(issuer.signer.publicKeyInfo, issuer.signer.signatureAlgorithm, tbs, signature, { distinguishingId: issuer.signer.distinguishingId });
      if (!check.ok) throw new Error(`the root key produced a bad OCSP signature: ${check.reason}`);
      const basic = new BasicOCSPResponse({
        tbsResponseData: data,
        tbsResponseDataRaw: new Uint8Array(tbs).buffer,
        signatureAlgorithm: issuer.signer.signatureAlgorithm,
        signature: new Uint8Array(signature).buffer,
      });
      const der = Buffer.from(
        AsnConvert.serialize(
          new OCSPResponse({
            responseStatus: OCSPResponseStatus.successful,
            responseBytes: new ResponseBytes({ responseType: id_pkix_ocsp_basic, response: new OctetString(AsnConvert.serialize(basic)) }),
          }),
        ),
      );
      // Lint before it is stored (issue 15), as every response the running responder signs.
      const findings = lintOcspResponse(der, {
        signerPublicKeyInfo: issuer.signer.publicKeyInfo,
        signatureAlgorithm: new Uint8Array(AsnConvert.serialize(issuer.signer.signatureAlgorithm)),
        distinguishingId: issuer.signer.distinguishingId,
        issuerCertificate: root.certificateDer,
        certIds: [new Uint8Array(AsnConvert.serialize(certID))],
        now,
      });
      if (findings.length > 0) throw new Error(`the root's OCSP response for ${certificate.serial} failed the RFC 6960 checks: ${findings.join('; ')}`);
      rows.push({
        cert_id: Buffer.from(AsnConvert.serialize(certID)).toString('hex'),
        this_update: thisUpdate.toISOString(),
        next_update: nextUpdate.toISOString(),
        serial: certificate.serial,
        issuer_ca_id: root.id,
        status: revocation ? 'revoked' : 'good',
        der,
        ceremony_id: ceremonyId,
      });
    }
  }
  await statusDb(ca.store)
    .transaction()
    .execute(async (trx) => {
      if (rows.length > 0) await trx.insertInto('root_ocsp_responses').values(rows).execute();
      await appendAuditEntry(
        trx as unknown as Tx,
        ca.store.dialect,
        {
          actor: options.actor,
          action: 'root.ceremony',
          target: `ca:${root.id}`,
          details: { ceremonyId, crlNumber: crl.crlNumber, nextUpdate: nextUpdate.toISOString(), certificates: certificates.map((c) => c.serial), ocspResponses: rows.length },
        },
        now,
      );
    });
  return { ceremonyId, caId: root.id, crl, ocspResponses: rows.length, certificates: certificates.length, nextUpdate: nextUpdate.toISOString() };
}

/** The newest ceremony response for exactly this CertID (hex of its DER), if one is still current at `now`. */
export async function rootCeremonyResponse(ca: CertificateAuthority, certIdHex: string, now: Date): Promise<RootOcspResponseTable | null> {
  const row = await statusDb(ca.store)
    .selectFrom('root_ocsp_responses')
    .selectAll()
    .where('cert_id', '=', certIdHex)
    .orderBy('this_update', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row || new Date(row.next_update).getTime() <= now.getTime() || new Date(row.this_update).getTime() > now.getTime()) return null;
  return row;
}

/**
 * When the root's published status runs out: its newest CRL's and its earliest current OCSP response's nextUpdate
 * (null when none was pre-signed); `ocspMissing`: how many certificates the root signed have no pre-signed answer.
 */
export async function rootStatusHorizon(ca: CertificateAuthority, crls: CrlPublisher, rootId: string): Promise<{ crlNextUpdate: string | null; ocspNextUpdate: string | null; rootSigned: number; ocspMissing: number }> {
  const crl = await crls.latestSummary(rootId, 'full');
  // What the root's OCSP answers must cover: certificates issued in CRL-only mode name no responder.
  const signed = await ca.findCertificates({ issuerCaId: rootId, notAfterAfter: ca.now().toISOString(), namesOcsp: true });
  let earliest: string | null = null;
  let rootSigned = 0;
  let ocspMissing = 0;
  for (const certificate of signed) {
    if (certificate.profileId === 'root-ca') continue;
    rootSigned += 1;
    const row = await statusDb(ca.store)
      .selectFrom('root_ocsp_responses')
      .select((eb) => eb.fn.max('next_update').as('next'))
      .where('serial', '=', certificate.serial)
      .where('issuer_ca_id', '=', rootId)
      .executeTakeFirst();
    // No answer at all is said as such, not as a date (it once read "1970-01-01" on the console).
    const next = row?.next as string | null | undefined;
    if (!next) ocspMissing += 1;
    else if (earliest === null || next < earliest) earliest = next;
  }
  return { crlNextUpdate: crl?.nextUpdate ?? null, ocspNextUpdate: earliest, rootSigned, ocspMissing };
}

/** A stored serial (minimal hex) as the content of a DER INTEGER: a 00 sign octet when the top bit is set. */
function integerBytes(serialHex: string): ArrayBuffer {
  const bytes = Buffer.from(serialHex.length % 2 ? `0${serialHex}` : serialHex, 'hex');
  const positive = bytes[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
  return new Uint8Array(positive).buffer;
}
