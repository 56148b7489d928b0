import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import { ContentInfo, id_data, id_signedData } from '@peculiar/asn1-cms';
import { CmsSignedData } from './signed-data-schema.js';
import { Certificate, CRLDistributionPoints, CRLReason, CRLReasons, IssuingDistributionPoint, id_ce_cRLDistributionPoints, id_ce_cRLReasons, id_ce_issuingDistributionPoint } from '@peculiar/asn1-x509';
import { appendAuditEntry } from '../audit/audit-log.js';
import type { CertificateAuthority } from '../ca/authority.js';
import { normaliseSerial } from '../ca/serial-number.js';
import { formatShanghaiTime, LOCALES, type Locale } from '../i18n/locale.js';
import { translate, type MessageCode } from '../i18n/messages.js';
import { SignetError } from '../i18n/signet-error.js';
import type { TimeStamper } from './cms-signing.js';
import { signDocument } from './cms-signing.js';
import { verifySignedDocument, type SignatureVerification } from './cms-verification.js';
import { id_aa_signatureTimeStampToken } from '../tsa/ess-signing-certificate.js';
import { channelWords, reasonWords } from '../status/revocation-reasons.js';
import { CrlMalformed, crlSignatureValid, findRevokedEntry, readPublishedCrl } from '../status/crl-reader.js';
import { validatePath } from './certificate-path.js';
import type { Sm2KeyDirectory } from '../crypto/sm2-verifier.js';
import { chainOf, evidenceSigner, type EvidenceDatabase } from './evidence-signer.js';

export type Bilingual = Record<Locale, string>;

export interface EvidenceCheck {
  id: 'chain' | 'crl' | 'revocation-record' | 'signature' | 'time-stamp';
  ok: boolean;
  text: Bilingual;
}

export type StatusAtTime = 'not-revoked' | 'revoked' | 'not-valid';

/** What the package says, in words and in data; every DER artefact it cites travels with it. */
export interface EvidenceManifest {
  format: 'signet-evidence/1';
  id: string;
  generatedAt: string;
  certificate: { file: string; serial: string; subject: string; issuer: string; notBefore: string; notAfter: string };
  transactionTime: string;
  timeSource: 'time-stamp' | 'signing-time' | 'stated';
  timeSourceText: Bilingual;
  /** Issuing CA first, root last. */
  chain: Array<{ file: string; subject: string; serial: string }>;
  crl: null | {
    file: string;
    /** The issuing CA whose archive holds this CRL. */
    issuerCaId?: string;
    crlNumber: number;
    thisUpdate: string;
    nextUpdate: string;
    signatureValid: boolean;
    listed: boolean;
    /** false: the CRL's scope does not take in the certificate (absent in packages made before partitions: true). */
    covers?: boolean;
    /** A partition CRL's URI (RFC 5280 §5.2.5), which is one of the certificate's CRL distribution points. */
    scope?: string;
    revokedAt?: string;
    reason?: string;
    /** Size of the archived CRL in octets. */
    bytes?: number;
    /**
     * false: the CRL travels beside the package (too large to embed), named by
     * its SHA-256 in `artefacts`; `location` serves the same archived bytes.
     */
    embedded?: boolean;
    location?: string;
  };
  revocationRecord: null | { revokedAt: string; reason: string; channel: string };
  statusAtTime: StatusAtTime;
  conclusion: Bilingual;
  checks: EvidenceCheck[];
  /** SHA-256 of every artefact, by file name. */
  artefacts: Record<string, string>;
  /**
   * The SM2 distinguishing IDs of this deployment's keys that are not the
   * default (SPKI SHA-256 hex → ID): an offline verifier needs them to check
   * a CA's, CRL's or TSA's SM2 signature. Taking them from the package is
   * safe: a signature that verifies under a key with any ID was made with
   * that key's private half.
   */
  sm2Ids?: Record<string, string>;
}

/** The signed content of a package: the manifest and the artefacts themselves (base64 DER). */
interface PackageContent {
  manifest: EvidenceManifest;
  artefacts: Record<string, string>;
}

/** The slice of the status domain the evidence needs (R14): the archived CRL in force and the revocation record. */
export interface StatusRecords {
  /** `distributionPoints`: the certificate's CRL DP URIs, so that a partition it names is chosen (RFC 5280 §5.2.5). */
  crlInForceAt(caId: string, time: Date, distributionPoints?: string[]): Promise<{ crlNumber: number; thisUpdate: string; nextUpdate: string; der: Buffer } | null>;
  revocation(serial: string): Promise<{ revokedAt: string; reason: string; channel: string } | null>;
  /** Where the archive serves one CRL by number, for a CRL that travels beside the package. */
  crlLocation?(caId: string, crlNumber: number): string;
}

export interface EvidenceOptions {
  /**
   * A CRL up to this many octets travels inside the package; a larger one
   * beside it (R14 asks for the signed CRL itself, and a million entries are
   * ~47 MB). 1 MiB holds ~20,000 entries.
   */
  embedCrlUpTo: number;
  /** Where the first evidence-signing key is made (SIGNET_EVIDENCE_KEY_STORAGE); its successors keep it. */
  keyStorage?: 'software' | 'pkcs11';
}

export const DEFAULT_EVIDENCE_OPTIONS: EvidenceOptions = { embedCrlUpTo: 1024 * 1024 };

export interface EvidenceRequest {
  /** A certificate of this CA and the transaction time… */
  serial?: string;
  at?: Date;
  /** …or a signed document (CMS SignedData), whose time-stamp (or claimed signing time) is the transaction time. */
  signature?: Buffer;
  content?: Buffer;
  requestedBy: string;
}

export interface EvidencePackage {
  der: Buffer;
  manifest: EvidenceManifest;
  /** Artefacts the manifest names by hash that travel beside the package (by file name): give them with it. */
  detached: Record<string, Buffer>;
}

/** Artefacts that travel beside a package, by the file name its manifest gives them. */
export type DetachedArtefacts = Record<string, Uint8Array>;

const REASON_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(CRLReasons)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v as number, k]),
);

function both(code: MessageCode, params: Record<string, unknown> = {}): Bilingual {
  return Object.fromEntries(LOCALES.map((l) => [l, translate(code, l, params)])) as Bilingual;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function subjectOf(der: Uint8Array): string {
  return new X509Certificate(Buffer.from(der)).subject.replace(/\n/g, ', ');
}

interface CrlReading {
  signatureValid: boolean;
  listed: boolean;
  /**
   * Whether the CRL's scope takes in the certificate (RFC 5280 §6.3.3 b): a CRL without issuingDistributionPoint
   * covers every certificate of its issuer; a partition's names a URI that must be one of the certificate's
   * cRLDistributionPoints. A partition that does not cover it proves nothing about it.
   */
  covers: boolean;
  /** The partition's URI, from its issuingDistributionPoint. */
  scope?: string;
  revokedAt?: string;
  reason?: string;
  /** Why the bytes are not a CRL at all. */
  malformed?: string;
}

/**
 * Reads an archived CRL as published: is its signature the issuing CA's over
 * the exact signed bytes, and is the serial on it? Walked, not parsed whole
 * (src/status/crl-reader.ts), so a CRL of a million entries reads in well
 * under a second.
 */
/** The URIs of a certificate's cRLDistributionPoints (RFC 5280 §4.2.1.13). */
export function distributionPointUris(certificateDer: Uint8Array): string[] {
  const extension = AsnConvert.parse(certificateDer, Certificate).tbsCertificate.extensions?.find((e) => e.extnID === id_ce_cRLDistributionPoints);
  if (!extension) return [];
  const points = AsnConvert.parse(extension.extnValue.buffer, CRLDistributionPoints);
  return points.flatMap((p) => (p.distributionPoint?.fullName ?? []).flatMap((n) => (n.uniformResourceIdentifier ? [n.uniformResourceIdentifier] : [])));
}

/** Whether a CRL's issuingDistributionPoint (absent: all of the issuer's certificates) takes in a certificate with these distribution points. */
function scopeOf(extensions: ReturnType<typeof readPublishedCrl>['extensions'], certificateUris: string[]): { covers: boolean; scope?: string } {
  const extension = extensions.find((e) => e.extnID === id_ce_issuingDistributionPoint);
  if (!extension) return { covers: true };
  const idp = AsnConvert.parse(extension.extnValue.buffer, IssuingDistributionPoint);
  const names = (idp.distributionPoint?.fullName ?? []).flatMap((n) => (n.uniformResourceIdentifier ? [n.uniformResourceIdentifier] : []));
  const scope = names.find((uri) => certificateUris.includes(uri));
  // Signet's partitions restrict by distribution point only; any other restriction is not a scope it publishes.
  const restricted = idp.onlyContainsCACerts || idp.onlySomeReasons !== undefined || idp.indirectCRL || idp.onlyContainsAttributeCerts;
  return { covers: scope !== undefined && !restricted, scope: scope ?? names[0] };
}

function readCrl(crlDer: Uint8Array, issuerDer: Uint8Array, serialHex: string, sm2Keys: Sm2KeyDirectory | undefined, certificateUris: string[]): CrlReading {
  const issuerSpki = new X509Certificate(Buffer.from(issuerDer)).publicKey.export({ type: 'spki', format: 'der' });
  let entry;
  let signatureValid: boolean;
  let scope: { covers: boolean; scope?: string };
  try {
    const crl = readPublishedCrl(crlDer);
    signatureValid = crlSignatureValid(crl, issuerSpki, sm2Keys);
    scope = scopeOf(crl.extensions, certificateUris);
    entry = findRevokedEntry(crl, serialHex);
  } catch (error) {
    if (error instanceof CrlMalformed) return { signatureValid: false, listed: false, covers: false, malformed: error.message };
    throw error;
  }
  if (!entry) return { signatureValid, listed: false, ...scope };
  const reasonExtension = entry.crlEntryExtensions?.find((e) => e.extnID === id_ce_cRLReasons);
  const reason = reasonExtension ? REASON_NAMES[AsnConvert.parse(reasonExtension.extnValue.buffer, CRLReason).reason] : 'unspecified';
  return { signatureValid, listed: true, revokedAt: entry.revocationDate.getTime().toISOString(), reason, ...scope };
}

/**
 * R14: the evidence a CA gives in a dispute about a certificate (or a signed
 * document) at a transaction time: (1) the chain to the root, (2) the CRL that
 * was in force then, as published, and the revocation record, (3) the checks
 * of the chain, the signature and its time-stamp, in plain words. The package
 * is a CMS SignedData over the manifest and the artefacts, signed by the
 * evidence-signing certificate and time-stamped, verifiable offline.
 */
export class EvidenceService {
  constructor(
    private readonly ca: CertificateAuthority,
    private readonly status: StatusRecords,
    private readonly timeStamper: TimeStamper,
    private readonly options: EvidenceOptions = DEFAULT_EVIDENCE_OPTIONS,
  ) {}

  async produce(request: EvidenceRequest): Promise<EvidencePackage> {
    const artefacts: Record<string, Buffer> = {};
    const detached: Record<string, Buffer> = {};
    const authorities = await this.ca.authorities();
    // Our CAs' and TSAs' SM2 IDs, as the store records them: this process need not have opened their keys.
    const sm2Keys = await this.ca.sm2Identities.upToDate();
    const trust = {
      trustAnchors: authorities.filter((a) => a.role === 'root').map((a) => a.certificateDer),
      intermediates: authorities.filter((a) => a.role !== 'root').map((a) => a.certificateDer),
      sm2Keys,
    };

    let signature: SignatureVerification | undefined;
    let serial: string;
    let at: Date;
    let timeSource: EvidenceManifest['timeSource'];
    if (request.signature) {
      signature = await verifySignedDocument({ signature: request.signature, content: request.content, ...trust });
      if (!signature.signer) throw new SignetError('cms.malformed', 400, { detail: "the signer's certificate is not in the signature" }, 'signature');
      serial = normaliseSerial(signature.signer.serial);
      artefacts['signature.p7s'] = request.signature;
      if (signature.detached && request.content) artefacts['content.bin'] = request.content;
      if (signature.timeStamp?.valid && signature.timeStamp.genTime) {
        at = signature.timeStamp.genTime;
        timeSource = 'time-stamp';
      } else if (signature.signingTime) {
        at = signature.signingTime;
        timeSource = 'signing-time';
      } else if (request.at) {
        at = request.at;
        timeSource = 'stated';
      } else {
        throw new SignetError('evidence.need-certificate-or-signature', 400);
      }
    } else if (request.serial && request.at) {
      serial = normaliseSerial(request.serial);
      at = request.at;
      timeSource = 'stated';
    } else {
      throw new SignetError('evidence.need-certificate-or-signature', 400);
    }
    if (Number.isNaN(at.getTime())) throw new SignetError('evidence.bad-time', 400, { value: String(request.at) }, 'at');

    let row;
    try {
      row = await this.ca.certificate(serial);
    } catch (error) {
      if (error instanceof SignetError && error.status === 404 && signature) throw new SignetError('evidence.not-our-certificate', 404, { serial }, 'signature');
      throw error;
    }
    const certificateDer = row.der;
    artefacts['certificate.der'] = certificateDer;
    const chain = await chainOf(this.ca, row.issuer_ca_id);
    chain.forEach((der, i) => (artefacts[`ca-${i + 1}.der`] = der));
    const root = chain[chain.length - 1]!;
    const time = formatShanghaiTime(at);
    const checks: EvidenceCheck[] = [];

    // (1) and (3): the chain at the transaction time.
    const path = await validatePath(certificateDer, chain, [root], at, { sm2Keys });
    checks.push({
      id: 'chain',
      ok: path.ok,
      text: path.ok
        ? both('evidence.check.chain-ok', { path: path.path.map((c) => c.subject.split('\n').pop()).join(' → '), time })
        : both('evidence.check.chain-bad', { problems: path.problems.join('; ') }),
    });

    // (2): the CRL in force then, as published, and the CA's own record.
    // With partitioned CRLs, the partition the certificate names (small at any population); else the full CRL.
    const certificateUris = distributionPointUris(certificateDer);
    const crl = await this.status.crlInForceAt(row.issuer_ca_id, at, certificateUris);
    let crlFinding: EvidenceManifest['crl'] = null;
    if (crl) {
      artefacts['crl.der'] = crl.der;
      const embedded = crl.der.length <= this.options.embedCrlUpTo;
      if (!embedded) detached['crl.der'] = crl.der;
      const { malformed: _malformed, ...reading } = readCrl(crl.der, chain[0]!, serial, sm2Keys, certificateUris);
      const location = this.status.crlLocation?.(row.issuer_ca_id, crl.crlNumber);
      crlFinding = {
        file: 'crl.der',
        issuerCaId: row.issuer_ca_id,
        crlNumber: crl.crlNumber,
        thisUpdate: crl.thisUpdate,
        nextUpdate: crl.nextUpdate,
        ...reading,
        bytes: crl.der.length,
        embedded,
        ...(location ? { location } : {}),
      };
      const params = {
        time,
        number: crl.crlNumber,
        thisUpdate: formatShanghaiTime(crl.thisUpdate),
        nextUpdate: formatShanghaiTime(crl.nextUpdate),
        revokedAt: reading.revokedAt ? formatShanghaiTime(reading.revokedAt) : '',
        reason: reading.reason ? reasonWords(reading.reason) : '',
      };
      const beside = (l: Locale) =>
        embedded
          ? ''
          : translate('evidence.check.crl-beside', l, { file: 'crl.der', size: (crl.der.length / 1048576).toFixed(1), sha256: sha256(crl.der), location: location ?? '-' });
      const text = (l: Locale) =>
        translate(reading.listed ? 'evidence.check.crl-listed' : 'evidence.check.crl-not-listed', l, {
          ...params,
          signature: translate(reading.signatureValid ? 'evidence.check.crl-signature-ok' : 'evidence.check.crl-signature-bad', l),
        }) +
        (reading.scope ? translate(reading.covers ? 'evidence.check.crl-scope' : 'evidence.check.crl-scope-bad', l, { scope: reading.scope }) : '') +
        beside(l);
      checks.push({ id: 'crl', ok: reading.signatureValid && reading.covers && !reading.listed, text: { 'zh-CN': text('zh-CN'), en: text('en') } });
    } else {
      checks.push({ id: 'crl', ok: false, text: both('evidence.check.crl-none', { time }) });
    }
    const record = await this.status.revocation(serial);
    checks.push(
      record
        ? {
            id: 'revocation-record',
            ok: new Date(record.revokedAt) > at,
            text: both('evidence.check.record', { revokedAt: formatShanghaiTime(record.revokedAt), reason: reasonWords(record.reason), channel: channelWords(record.channel) }),
          }
        : { id: 'revocation-record', ok: true, text: both('evidence.check.record-none') },
    );

    if (signature) {
      const documentProblems = signature.problems.filter((p) => !p.startsWith('time-stamp:'));
      checks.push({
        id: 'signature',
        ok: documentProblems.length === 0,
        text: documentProblems.length === 0 ? both('evidence.check.signature-ok') : both('evidence.check.signature-bad', { problems: documentProblems.join('; ') }),
      });
      if (signature.timeStamp) {
        const ts = signature.timeStamp;
        checks.push({
          id: 'time-stamp',
          ok: ts.valid,
          text: ts.valid
            ? both('evidence.check.time-stamp-ok', { tsa: ts.tsa, time: formatShanghaiTime(ts.genTime!), serial: ts.serial })
            : both('evidence.check.time-stamp-bad', { problems: ts.problems.join('; ') }),
        });
      }
    }

    const revokedAt = record && new Date(record.revokedAt) <= at ? record.revokedAt : crlFinding?.listed ? crlFinding.revokedAt : undefined;
    const statusAtTime: StatusAtTime = !path.ok ? 'not-valid' : revokedAt ? 'revoked' : 'not-revoked';
    const conclusion =
      statusAtTime === 'revoked'
        ? both('evidence.conclusion.revoked', { time, revokedAt: formatShanghaiTime(revokedAt!) })
        : both(statusAtTime === 'not-valid' ? 'evidence.conclusion.not-valid' : 'evidence.conclusion.not-revoked', { time });

    const now = this.ca.now();
    const x509 = new X509Certificate(certificateDer);
    const manifest: EvidenceManifest = {
      format: 'signet-evidence/1',
      id: randomUUID(),
      generatedAt: now.toISOString(),
      certificate: {
        file: 'certificate.der',
        serial,
        subject: subjectOf(certificateDer),
        issuer: x509.issuer.replace(/\n/g, ', '),
        notBefore: row.not_before,
        notAfter: row.not_after,
      },
      transactionTime: at.toISOString(),
      timeSource,
      timeSourceText: both(`evidence.time.${timeSource}`, { time }),
      chain: chain.map((der, i) => ({ file: `ca-${i + 1}.der`, subject: subjectOf(der), serial: new X509Certificate(der).serialNumber.toLowerCase() })),
      crl: crlFinding,
      revocationRecord: record ? { revokedAt: record.revokedAt, reason: record.reason, channel: record.channel } : null,
      statusAtTime,
      conclusion,
      checks,
      artefacts: Object.fromEntries(Object.entries(artefacts).map(([name, bytes]) => [name, sha256(bytes)])),
      ...(Object.keys(sm2Keys.configuredIds()).length > 0 ? { sm2Ids: sm2Keys.configuredIds() } : {}),
    };
    const content: PackageContent = {
      manifest,
      artefacts: Object.fromEntries(
        Object.entries(artefacts)
          .filter(([name]) => !detached[name])
          .map(([name, bytes]) => [name, bytes.toString('base64')]),
      ),
    };
    const signer = await evidenceSigner(this.ca, undefined, this.options.keyStorage);
    const der = await signDocument({
      content: Buffer.from(JSON.stringify(content, null, 1), 'utf8'),
      signer: { signer: signer.signer, certificateDer: signer.certificateDer, chain: signer.chain.slice(0, -1) },
      timeStamper: this.timeStamper,
      // Never before the signer's certificate existed (BouncyCastle rejects that): the signer may have been made just now.
      signingTime: new Date(Math.max(now.getTime(), signer.notBefore.getTime(), Math.floor(this.ca.now().getTime() / 1000) * 1000)),
    });

    await this.ca.store.db.transaction().execute(async (trx) => {
      await (trx as unknown as EvidenceDatabase)
        .insertInto('evidence_packages')
        .values({
          id: manifest.id,
          certificate_serial: serial,
          transaction_time: manifest.transactionTime,
          time_source: timeSource,
          status_at_time: statusAtTime,
          requested_by: request.requestedBy,
          sha256: sha256(der),
          created_at: now.toISOString(),
        })
        .execute();
      await appendAuditEntry(
        trx,
        this.ca.store.dialect,
        {
          actor: request.requestedBy,
          action: 'evidence.produced',
          target: `certificate:${serial}`,
          details: { package: manifest.id, transactionTime: manifest.transactionTime, timeSource, statusAtTime, sha256: sha256(der) },
        },
        now,
      );
    });
    return { der, manifest, detached };
  }
}

/** One thing the verifier itself checked about a package (not a finding the package claims). */
export interface VerificationCheck {
  id: 'readable' | 'package-signature' | 'package-time-stamp' | 'nothing-added' | 'artefacts' | 'findings';
  ok: boolean;
  /** What was found, in words, with the reason when it failed. */
  text: Bilingual;
}

export interface EvidencePackageVerification {
  valid: boolean;
  manifest?: EvidenceManifest;
  signer?: string;
  signedAt?: Date;
  /** SHA-256 of the root the package was checked against: compare it with the CA's published fingerprint. */
  rootFingerprint?: string;
  /**
   * The verification's own conclusion: the manifest's when the package verifies, otherwise that it
   * failed and why. A tampered manifest's conclusion is never the answer.
   */
  verdict: Bilingual;
  /** The verifier's checks in order, each passed or failed; only those that could be made. */
  checks: VerificationCheck[];
  /** The same failures as technical detail (English, for logs and the CLI's --json). */
  problems: string[];
}

/** The verifier's conclusion for a package that failed: the failed checks' reasons, in each language. */
function failedVerdict(checks: VerificationCheck[]): Bilingual {
  return Object.fromEntries(
    LOCALES.map((l) => [l, translate('evidence.verify.verdict-failed', l, { reasons: checks.filter((c) => !c.ok).map((c) => c.text[l]).join(translate('evidence.verify.separator', l)) })]),
  ) as Bilingual;
}

/** The verification of bytes that are not a readable package: why, when it is known more precisely than "unreadable". */
export function unreadable(problem: string, reason: Bilingual = both('evidence.verify.readable-bad')): EvidencePackageVerification {
  const checks: VerificationCheck[] = [{ id: 'readable', ok: false, text: reason }];
  return { valid: false, verdict: failedVerdict(checks), checks, problems: [problem] };
}

/** SignedData whose every byte is canonical DER and whose digest-algorithm list is exactly what its signers use. */
function canonicalSignedData(der: Uint8Array, what: string): CmsSignedData {
  const info = AsnConvert.parse(der, ContentInfo);
  if (info.contentType !== id_signedData) throw new Error(`${what}: content type ${info.contentType} is not signed data`);
  const signedData = AsnConvert.parse(info.content, CmsSignedData);
  // Re-encoding what was read drops a field the schema does not have and rewrites any other encoding of a value.
  if (!Buffer.from(AsnConvert.serialize(info)).equals(Buffer.from(der)) || !Buffer.from(AsnConvert.serialize(signedData)).equals(Buffer.from(info.content))) {
    throw new NotCanonical(`${what} is not in canonical DER (a field added, or a value encoded another way)`);
  }
  // RFC 5652 §5.3 and §5.1: the versions follow from the rest, so a changed version is a changed package.
  for (const signer of signedData.signerInfos) {
    if (signer.version !== (signer.sid.subjectKeyIdentifier ? 3 : 1)) throw new Error(`${what}: SignerInfo version ${signer.version} does not fit its identifier`);
  }
  const expectedVersion = signedData.signerInfos.some((signer) => signer.version === 3) || signedData.encapContentInfo.eContentType !== id_data ? 3 : 1;
  if (signedData.version !== expectedVersion) throw new Error(`${what}: SignedData version ${signedData.version} should be ${expectedVersion}`);
  const encode = (value: unknown) => Buffer.from(AsnConvert.serialize(value)).toString('hex');
  const used = new Set(signedData.signerInfos.map((signer) => encode(signer.digestAlgorithm)));
  const listed = new Set(signedData.digestAlgorithms.map(encode));
  if (used.size !== listed.size || [...listed].some((algorithm) => !used.has(algorithm))) {
    throw new Error(`${what}: the digest algorithms listed are not those its signature uses`);
  }
  return signedData;
}

/** A package whose bytes are not the one DER encoding of what they hold. */
class NotCanonical extends Error {}

/** Bytes after the outermost value (0 when there is none, or it cannot be read: the parse then says why). */
function bytesAfterPackage(der: Uint8Array): number {
  const read = asn1js.fromBER(der);
  return read.offset === -1 ? 0 : der.length - read.offset;
}

/** One way a package's unsigned parts differ from how Signet writes them: for the log, and the reason in words. */
interface AddedPart {
  problem: string;
  code: MessageCode;
}

/**
 * What CMS leaves unsigned in a SignedData and Signet never writes: the same
 * certificate twice, a revocation value twice, and an empty set where "none"
 * is written by leaving the field out (RFC 5652 §5.1). Each lets one signed
 * package be written as more than one byte string, every one "valid".
 */
function repeatedOrEmpty(signedData: CmsSignedData, what: string): AddedPart[] {
  const added: AddedPart[] = [];
  const encoded = (values: Iterable<unknown>) => [...values].map((value) => Buffer.from(AsnConvert.serialize(value)).toString('hex'));
  const certificates = encoded(signedData.certificates ?? []);
  if (new Set(certificates).size !== certificates.length) added.push({ problem: `${what} repeats a certificate`, code: 'evidence.verify.repeated-certificate' });
  const revocation = encoded(signedData.crls ?? []);
  if (new Set(revocation).size !== revocation.length) added.push({ problem: `${what} repeats a revocation value`, code: 'evidence.verify.revocation-added' });
  if (signedData.certificates?.length === 0) added.push({ problem: `${what} has an empty certificate set`, code: 'evidence.verify.empty-set' });
  if (signedData.crls?.length === 0) added.push({ problem: `${what} has an empty revocation set`, code: 'evidence.verify.empty-set' });
  for (const signer of signedData.signerInfos) {
    if (signer.unsignedAttrs?.length === 0) added.push({ problem: `${what}'s signature has an empty set of unsigned attributes`, code: 'evidence.verify.empty-set' });
  }
  return added;
}

/**
 * Certificates a SignedData carries that the verification did not use: CMS
 * leaves the certificate set unsigned, so in an evidence package each must be
 * one that was checked (the signer's, the TSA's, or a chain artefact the
 * signed manifest names by hash).
 */
function uncheckedCertificates(signedData: CmsSignedData, checked: Buffer[]): number {
  return (signedData.certificates ?? []).filter((choice) => {
    const der = choice.certificate ? Buffer.from(AsnConvert.serialize(choice.certificate)) : undefined;
    return !der || !checked.some((c) => c.equals(der));
  }).length;
}

/**
 * The package's content, after checking it is written the one way DER
 * allows: CMS leaves the outer wrapper, the certificate set and the
 * digest-algorithm list unsigned, so any other encoding of the same values (a
 * long-form length, a boolean written 0x01, a certificate re-encoded) would
 * otherwise pass as the same package. A package is evidence byte for byte.
 */
function packageContent(der: Uint8Array): { content: PackageContent; signedData: CmsSignedData } {
  const after = bytesAfterPackage(der);
  if (after > 0) throw new SignetError('evidence.package-trailing-bytes', 400, { count: after }, 'package');
  try {
    const signedData = canonicalSignedData(der, 'the package');
    const content = signedData.encapContentInfo.eContent?.single;
    if (!content) throw new Error('no content');
    const parsed = JSON.parse(Buffer.from(content.buffer).toString('utf8')) as PackageContent;
    if (parsed.manifest?.format !== 'signet-evidence/1') throw new Error('unknown format');
    return { content: parsed, signedData };
  } catch (error) {
    const detail = (error as Error).message.slice(0, 200);
    throw new SignetError(error instanceof NotCanonical ? 'evidence.package-not-canonical' : 'evidence.malformed-package', 400, { detail }, 'package');
  }
}

/**
 * `signet evidence verify PACKAGE`, without the server: the package's
 * signature and time-stamp, every artefact's hash, and the chain and CRL
 * findings recomputed from the artefacts themselves. `sm2Keys`: the SM2 IDs
 * of our keys, when a store is at hand (without it, SM2 keys use the default ID).
 */
export async function verifyEvidencePackage(der: Uint8Array, trustAnchors?: Uint8Array[], detached: DetachedArtefacts = {}, sm2Keys?: Sm2KeyDirectory): Promise<EvidencePackageVerification> {
  let read: ReturnType<typeof packageContent>;
  try {
    read = packageContent(der);
  } catch (error) {
    // Bytes appended, or a field added or re-encoded: said as such, not as an unreadable file.
    const precise = error instanceof SignetError && (error.code === 'evidence.package-trailing-bytes' || error.code === 'evidence.package-not-canonical');
    return unreadable((error as Error).message, precise ? both(error.code, error.params) : undefined);
  }
  try {
    return await verifyPackageContent(der, read.content, read.signedData, trustAnchors, detached, sm2Keys);
  } catch (error) {
    // A manifest missing what it must hold: its signature cannot be valid either, and nothing in it can be trusted.
    return unreadable(`the package cannot be read: ${(error as Error).message}`);
  }
}

/** The SM2 IDs a package names, as a verifier's directory (by SPKI SHA-256). */
function packageSm2Ids(ids: Record<string, string>): Sm2KeyDirectory {
  const named = new Map(Object.entries(ids).filter(([, id]) => typeof id === 'string'));
  return { distinguishingIdOf: (spki) => named.get(sha256(spki)), preparedPoint: () => undefined };
}

/**
 * What in the package (and its signature's time-stamp token) no check covered,
 * or that is written where Signet writes nothing: the parts CMS leaves unsigned.
 */
function uncheckedParts(signedData: CmsSignedData, checked: Buffer[]): AddedPart[] {
  const added = repeatedOrEmpty(signedData, 'the package');
  if (uncheckedCertificates(signedData, checked) > 0) added.push({ problem: 'the package carries a certificate that no check used', code: 'evidence.verify.nothing-added-bad' });
  // Signet keeps the CRL as a signed artefact; one beside the signature could be added or taken away unnoticed.
  if ((signedData.crls?.length ?? 0) > 0 && !added.some((a) => a.code === 'evidence.verify.revocation-added')) {
    added.push({ problem: 'the package carries a revocation value outside its signed content', code: 'evidence.verify.revocation-added' });
  }
  for (const signer of signedData.signerInfos) {
    const stamps = (signer.unsignedAttrs ?? []).filter((attribute) => attribute.attrType === id_aa_signatureTimeStampToken);
    // The verification reads the first token only: a second is unchecked, and a copy of the first is another encoding.
    if (stamps.length > 1 || stamps.some((attribute) => attribute.attrValues.length !== 1)) {
      added.push({ problem: "the package's signature carries more than one time-stamp token", code: 'evidence.verify.repeated-time-stamp' });
    }
    for (const attribute of signer.unsignedAttrs ?? []) {
      if (attribute.attrType !== id_aa_signatureTimeStampToken) {
        added.push({ problem: `the package's signature carries an unsigned attribute ${attribute.attrType} that no check covers`, code: 'evidence.verify.nothing-added-bad' });
        continue;
      }
      for (const token of attribute.attrValues) {
        try {
          const tokenData = canonicalSignedData(new Uint8Array(token), 'the time-stamp token');
          added.push(...repeatedOrEmpty(tokenData, 'the time-stamp token'));
          if (uncheckedCertificates(tokenData, checked) > 0) {
            added.push({ problem: 'the time-stamp token carries a certificate that no check used', code: 'evidence.verify.nothing-added-bad' });
          }
        } catch (error) {
          added.push({ problem: (error as Error).message, code: 'evidence.verify.nothing-added-bad' });
        }
      }
    }
  }
  return added;
}

/**
 * The manifest of a package, read but NOT verified: what a verifier needs to
 * know before verifying (which artefacts travel beside it, and where the
 * archive serves them). Null when the bytes are not a package.
 */
export function unverifiedManifest(der: Uint8Array): EvidenceManifest | null {
  try {
    return packageContent(der).content.manifest;
  } catch {
    return null;
  }
}

async function verifyPackageContent(
  der: Uint8Array,
  content: PackageContent,
  signedData: CmsSignedData,
  trustAnchors: Uint8Array[] | undefined,
  detached: DetachedArtefacts,
  sm2Keys: Sm2KeyDirectory | undefined,
): Promise<EvidencePackageVerification> {
  const problems: string[] = [];
  const { manifest } = content;
  const artefact = (name: string): Buffer | undefined => {
    const base64 = content.artefacts[name];
    if (base64) return Buffer.from(base64, 'base64');
    // Only what the signed manifest names travels beside the package; anything else given is ignored.
    const beside = detached[name];
    return beside ? Buffer.from(beside.buffer, beside.byteOffset, beside.byteLength) : undefined;
  };
  const chain = manifest.chain.flatMap((c) => artefact(c.file) ?? []);
  // Without the store's IDs (offline), the package's own list of its SM2 keys' IDs.
  if (!sm2Keys && manifest.sm2Ids) sm2Keys = packageSm2Ids(manifest.sm2Ids);
  const root = chain[chain.length - 1];
  const anchors = trustAnchors?.length ? trustAnchors : root ? [root] : [];

  let signature: SignatureVerification;
  try {
    signature = await verifySignedDocument({ signature: der, trustAnchors: anchors, intermediates: chain, sm2Keys });
  } catch (error) {
    return unreadable(`package signature: ${(error as Error).message}`);
  }
  const checks: VerificationCheck[] = [{ id: 'readable', ok: true, text: both('evidence.verify.readable-ok') }];

  // The package's own signature: by whom, unchanged since, chaining to the roots given (this CA's, or the package's own).
  const stampProblems = signature.problems.filter((p) => p.startsWith('time-stamp: '));
  const signatureProblems = signature.problems.filter((p) => !p.startsWith('time-stamp: '));
  // Signet signs its packages at CAdES B-T: a valid time-stamp without the signing-certificate-v2 binding was not made by it.
  if (signature.timeStamp?.valid && signature.cades.level !== 'B-T') signatureProblems.push(`CAdES ${signature.cades.level}, not B-T (lacks ${signature.cades.missing.join(', ')})`);
  problems.push(...signatureProblems.map((p) => `package signature: ${p}`));
  const changed = signatureProblems.some((p) => p.includes('changed after signing') || p.includes('signature value does not verify'));
  checks.push({
    id: 'package-signature',
    ok: signatureProblems.length === 0,
    text:
      signatureProblems.length === 0
        ? both('evidence.verify.signature-ok', { signer: signature.signer?.subject ?? '-' })
        : both(!signature.signer ? 'evidence.verify.signature-no-signer' : changed ? 'evidence.verify.signature-changed' : 'evidence.verify.signature-bad'),
  });
  const stamped = signature.timeStamp?.valid === true && signature.timeStamp.genTime !== undefined;
  if (!stamped) problems.push(...(stampProblems.length > 0 ? stampProblems.map((p) => `package signature: ${p}`) : ['package signature: no valid time-stamp']));
  checks.push({
    id: 'package-time-stamp',
    ok: stamped,
    text: stamped ? both('evidence.verify.time-stamp-ok', { time: formatShanghaiTime(signature.timeStamp!.genTime!) }) : both('evidence.verify.time-stamp-bad'),
  });

  // The package signer's own path counts as checked: after an issuing CA ceremony the evidence signer may still be
  // certified by the previous issuing CA while the certificate in question chains to the new one (issue 13).
  const added = uncheckedParts(signedData, [...chain, ...signature.chain, ...[signature.signer?.certificateDer, signature.timeStamp?.tsaCertificateDer].flatMap((c) => c ?? [])]);
  problems.push(...added.map((a) => a.problem));
  const addedReasons = [...new Set(added.map((a) => a.code))];
  checks.push({
    id: 'nothing-added',
    ok: added.length === 0,
    text:
      added.length === 0
        ? both('evidence.verify.nothing-added-ok')
        : (Object.fromEntries(LOCALES.map((l) => [l, addedReasons.map((code) => translate(code, l)).join(translate('evidence.verify.separator', l))])) as Bilingual),
  });

  const mismatched: string[] = [];
  let besideMissing: { file: string; location: string } | undefined;
  for (const [name, hash] of Object.entries(manifest.artefacts)) {
    const bytes = artefact(name);
    if (!bytes && manifest.crl?.file === name && manifest.crl.embedded === false) {
      problems.push(`the CRL ${name} travels beside the package and was not given (SHA-256 ${hash}${manifest.crl.location ? `, served at ${manifest.crl.location}` : ''})`);
      besideMissing = { file: name, location: manifest.crl.location ?? '-' };
    } else if (!bytes || sha256(bytes) !== hash) {
      problems.push(`artefact ${name} is missing or does not match its hash`);
      mismatched.push(name);
    }
  }
  // Findings the package states that the verifier recomputes from the artefacts; a differing one names what was altered.
  const differing = new Set<'chain' | 'crl' | 'signature'>();
  const certificate = artefact(manifest.certificate.file);
  const at = new Date(manifest.transactionTime);
  if (certificate && root) {
    const path = await validatePath(certificate, chain, [root], at, { sm2Keys });
    if (path.ok !== manifest.checks.find((c) => c.id === 'chain')?.ok) {
      problems.push('the chain finding does not follow from the artefacts');
      differing.add('chain');
    }
  }
  if (manifest.crl) {
    const crl = artefact(manifest.crl.file);
    if (!crl || !chain[0]) {
      if (manifest.crl.embedded !== false) {
        problems.push('the CRL artefact is missing');
        if (!mismatched.includes(manifest.crl.file)) mismatched.push(manifest.crl.file);
      }
    } else {
      const reading = readCrl(crl, chain[0], manifest.certificate.serial, sm2Keys, certificate ? distributionPointUris(certificate) : []);
      if (reading.malformed) problems.push(`the archived CRL cannot be read: ${reading.malformed}`);
      else if (!reading.signatureValid) problems.push('the archived CRL is not signed by the issuing CA');
      else if (!reading.covers) problems.push(`the CRL's scope (${reading.scope ?? '-'}) is not one of the certificate's CRL distribution points: it proves nothing about the certificate (RFC 5280 §6.3.3)`);
      if (reading.malformed || !reading.signatureValid || !reading.covers) differing.add('crl');
      if (reading.listed !== manifest.crl.listed) {
        problems.push('the CRL finding does not follow from the archived CRL');
        differing.add('crl');
      }
    }
  }
  const documentSignature = artefact('signature.p7s');
  if (documentSignature && root) {
    const again = await verifySignedDocument({ signature: documentSignature, content: artefact('content.bin'), trustAnchors: [root], intermediates: chain, sm2Keys });
    if (again.valid !== manifest.checks.filter((c) => c.id === 'signature' || c.id === 'time-stamp').every((c) => c.ok)) {
      problems.push('the signature finding does not follow from the signed document');
      differing.add('signature');
    }
  }
  // Under a signature that fails, the manifest is not the signer's: digests and findings compared against it prove nothing, so they are not reported as passed.
  const signed = signatureProblems.length === 0;
  const artefactTexts: Bilingual[] = [];
  if (mismatched.length > 0) artefactTexts.push(both('evidence.verify.artefacts-bad', { files: mismatched.join(', ') }));
  if (besideMissing) artefactTexts.push(both('evidence.verify.crl-beside-missing', besideMissing));
  if (signed) checks.push({
    id: 'artefacts',
    ok: artefactTexts.length === 0,
    text:
      artefactTexts.length === 0
        ? both('evidence.verify.artefacts-ok', { count: Object.keys(manifest.artefacts).length })
        : (Object.fromEntries(LOCALES.map((l) => [l, artefactTexts.map((t) => t[l]).join(translate('evidence.verify.separator', l))])) as Bilingual),
  });
  if (signed) checks.push({
    id: 'findings',
    ok: differing.size === 0,
    text:
      differing.size === 0
        ? both('evidence.verify.findings-ok')
        : (Object.fromEntries(
            LOCALES.map((l) => [l, translate('evidence.verify.findings-bad', l, { which: [...differing].map((d) => translate(`evidence.verify.finding.${d}`, l)).join(translate('evidence.verify.list-separator', l)) })]),
          ) as Bilingual),
  });
  const valid = problems.length === 0 && checks.every((c) => c.ok);
  return {
    valid,
    manifest,
    verdict: valid ? manifest.conclusion : failedVerdict(checks),
    checks,
    signer: signature.signer?.subject,
    signedAt: signature.timeStamp?.genTime,
    rootFingerprint: anchors[0] ? sha256(anchors[0]) : undefined,
    problems,
  };
}
