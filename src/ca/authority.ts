import { hash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, Extensions, Name, SubjectPublicKeyInfo, TBSCertificate, Validity, Version } from '@peculiar/asn1-x509';
import { appendAuditEntries, appendAuditEntry } from '../audit/audit-log.js';
import type { KeyAlgorithm } from '../crypto/algorithms.js';
import { PublicKeyCache, spkiFingerprint } from '../crypto/public-key.js';
import { encodeSigned, encodedOnce } from '../crypto/signed-structure.js';
import { verifySignature } from '../crypto/signature-verification.js';
import type { Signer } from '../crypto/signer.js';
import type { SignetConfig } from '../config/settings.js';
import { SignetError } from '../i18n/signet-error.js';
import { sql, type CompiledQuery, type RawBuilder, type SqlBool } from 'kysely';
import type { Dialect, SignetDatabase, Tx } from '../store/database.js';
import { isUniqueViolation } from '../store/driver-errors.js';
import { GroupCommit, type Outcome } from '../store/group-commit.js';
import { databaseNowMs } from '../store/process-instances.js';
import { timeOrderedId } from '../store/time-ordered-id.js';
import type { CertificateAuthorityTable, CertificateTable } from '../store/schema.js';
import { lintSignedTbs } from './certificate-lint.js';
import { crlPartitionOf, crlPartitionUrl, crlShardKey } from './crl-partition.js';
import { parseCertificationRequest, provePublicKey, type ProvenPublicKey } from './certification-request.js';
import { buildExtensions, SharedExtensions, subjectKeyIdentifierOf, type PublicationPoints, type SubjectAltNames } from './extensions.js';
import { baselineMaximumDays } from './encoding-lint.js';
import { Keyring } from './keyring.js';
import { Sm2Identities } from './sm2-identities.js';
import { discloseIdentifier } from './identifier-disclosure.js';
import { ProfileCatalogue, type CertificateProfile } from './profiles.js';
import type { SubscriberIdentity } from './subject-identity.js';
import { normaliseSerial } from './serial-number.js';
import { SerialSource } from './serial-source.js';
import { buildSubjectName, describeName, parseDistinguishedName, type SubjectAttributes } from './subject-name.js';

/** What an intent keeps of its TBS: nothing but its hash (tbs_sha256); the column stays for intents from before. */
const EMPTY_TBS = Buffer.alloc(0);

/** A subscriber certificate order: the RA decided who; this says what, and the CSR only gives the key. */
export interface CertificateOrder {
  /** The PKCS#10 request; or, with provenKey, absent. */
  csr?: Uint8Array | string;
  /**
   * A key whose possession the caller already proved with the CA's own
   * checks (provePublicKey, or proveTemplateKey for a CRMF request): the
   * standard doors, whose requests are not always PKCS#10 (issue 21).
   */
  provenKey?: ProvenPublicKey;
  profileId: string;
  subject: SubjectAttributes | string;
  subjectAltNames?: SubjectAltNames;
  /** The RA-verified identity number, for the GM/T 0015 extension the profile names. */
  identity?: SubscriberIdentity;
  /** The RA's subscriber id; a key may only ever be certified to one holder. */
  subscriberId?: string;
  issuerCaId?: string;
  /** Shorter than the profile's validity, never longer. */
  validityDays?: number;
  requestedBy: string;
  reason: string;
}

export interface IssuedCertificate {
  serial: string;
  der: Buffer;
  issuerCaId: string;
  profileId: string;
  subject: string;
  notBefore: string;
  notAfter: string;
}

export interface CertificateSummary {
  serial: string;
  issuerCaId: string;
  profileId: string;
  subject: string;
  subscriberId: string | null;
  keyAlgorithm: KeyAlgorithm;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
}

/** All given conditions hold; times are ISO-8601 UTC. Ordered by serial, for paging with afterSerial. */
export interface CertificateFilter {
  serial?: string;
  /** Any of these serials (one query; for callers resolving a list at once). */
  serials?: readonly string[];
  subscriberId?: string;
  hasSubscriber?: boolean;
  issuerCaId?: string;
  profileId?: string;
  /** not_after > this: still valid at that time (revocation aside). */
  notAfterAfter?: string;
  /** not_after <= this. */
  notAfterUntil?: string;
  /** not_before <= this: already valid at that time. */
  notBeforeUntil?: string;
  afterSerial?: string;
  /** Only certificates whose AIA names our OCSP responder (true) or that name none, issued in CRL-only mode (false). */
  namesOcsp?: boolean;
  limit?: number;
}

export interface AuthorityRecord {
  id: string;
  role: 'root' | 'issuing';
  parentId: string | null;
  name: string;
  keyAlgorithm: KeyAlgorithm;
  serial: string;
  certificateDer: Buffer;
  notAfter: Date;
  createdAt: string;
}

/** The issuer side of a signing operation: who signs, under which name, until when. */
export interface IssuerContext {
  caId: string;
  name: Name;
  signer: Signer;
  notAfter: Date;
  /** The issuer certificate's subjectKeyIdentifier: every AKI it writes must equal it (RFC 5280 §4.2.1.1). */
  keyIdentifier?: Uint8Array;
  /** An issuing CA's certificates may name a partition CRL; a root's CRL comes from its ceremony, whole. */
  role?: 'root' | 'issuing';
}

/** Everything needed to sign one certificate, after authorisation and request checks. */
export interface SigningOrder {
  profile: CertificateProfile;
  issuer: IssuerContext;
  subject: Name;
  subjectAltNames?: SubjectAltNames;
  identity?: SubscriberIdentity;
  subjectPublicKeyInfo: Uint8Array;
  /** The same key already parsed (from the CSR), so it is not parsed again. */
  parsedPublicKeyInfo?: SubjectPublicKeyInfo;
  /** Its SHA-256 (spkiFingerprint), when the request check computed it already. */
  spkiSha256?: string;
  keyAlgorithm: KeyAlgorithm;
  holder: string;
  subscriberId: string | null;
  validityDays?: number;
  requestedBy: string;
  reason: string;
}

/** Test seams for crash consistency: each runs at the named point of the cycle. */
export interface IssuanceFaults {
  afterIntentRecorded?: (serial: string) => void | Promise<void>;
  afterSigned?: (serial: string) => void | Promise<void>;
}

/** A linted TBSCertificate waiting for its batch: what steps 4 and 5 need. */
interface PreparedCertificate {
  order: SigningOrder;
  within?: (trx: Tx, issued: IssuedCertificate) => Promise<void>;
  spkiSha256: string;
  now: Date;
  notBefore: Date;
  notAfter: Date;
  serial: string;
  tbsDer: Buffer;
  intentId?: string;
  /** A fresh serial and the TBS rebuilt and linted around it, after a collision. */
  renewSerial(): void;
}

export interface CertificateAuthorityOptions {
  store: SignetDatabase;
  /** Without responderPassphrase/auditPassphrase (tools, tests of other domains) the CA passphrase seals every key. */
  config: Pick<SignetConfig, 'publicUrl' | 'policyOid' | 'serialPrefix' | 'passphrase'> & Partial<Pick<SignetConfig, 'crlPartitions' | 'crlOnly' | 'hsm' | 'responderPassphrase' | 'auditPassphrase' | 'mode' | 'rootPassphrase' | 'rootKeyFile'>>;
  profiles?: ProfileCatalogue;
  clock?: () => Date;
  faults?: IssuanceFaults;
  /** The key of `keyed-hash` ID numbers in certificates (derived from SIGNET_PII_KEY by the composition root). */
  identifierKey?: () => Buffer;
  /**
   * The process instance whose lease covers this CA's intents (openSignet's
   * ProcessInstance). Without one, intents have no owner and any server may
   * close them as abandoned: only for tests and tools that never run beside a server.
   */
  owner?: { readonly id: string };
  /**
   * The SM2 distinguishing IDs of our keys, kept in the store (the composition
   * root's object, shared by every verifier of the process); without one, the
   * CA makes its own over the same store.
   */
  sm2Identities?: Sm2Identities;
  /** Public keys imported once (the composition root's): the CA checks its own signature on every certificate. */
  publicKeys?: PublicKeyCache;
}

const DAY_MS = 86_400_000;

/**
 * The CA domain's API: it decides what may be signed and signs it, following
 * the issuance cycle of docs/issuance-cycle.md.
 */
export class CertificateAuthority {
  readonly store: SignetDatabase;
  readonly profiles: ProfileCatalogue;
  readonly keyring: Keyring;
  readonly sm2Identities: Sm2Identities;
  readonly publicKeys: PublicKeyCache;
  private readonly identifierKey: () => Buffer;
  private readonly clock: () => Date;
  private readonly config: CertificateAuthorityOptions['config'];
  private readonly faults: IssuanceFaults;
  private readonly owner: { readonly id: string } | undefined;
  private readonly issuers = new Map<string, Promise<IssuerContext & { role: 'root' | 'issuing' }>>();
  /** Each signer's AlgorithmIdentifier, appearing twice in each certificate: encoded once per signer. */
  private readonly signatureAlgorithms = new WeakMap<Signer, AlgorithmIdentifier>();
  /** The profile extensions every certificate of an issuer shares, built once per issuer and profile. */
  private readonly sharedExtensions = new SharedExtensions();
  /** Certificate serials: the prefix octet and 128 CSPRNG bits from this CA's own pool (serial-source.ts), made at the first certificate as before. */
  private serials: SerialSource | undefined;
  private readonly issuance = new GroupCommit<PreparedCertificate, IssuedCertificate>((batch) => this.issueBatch(batch));

  constructor(options: CertificateAuthorityOptions) {
    this.store = options.store;
    this.config = options.config;
    this.profiles = options.profiles ?? ProfileCatalogue.builtIn();
    this.clock = options.clock ?? (() => new Date());
    this.faults = options.faults ?? {};
    this.owner = options.owner;
    this.identifierKey =
      options.identifierKey ??
      (() => {
        throw new SignetError('ca.identifier-key-missing', 500);
      });
    const { config } = options;
    this.sm2Identities = options.sm2Identities ?? new Sm2Identities(options.store, this.clock);
    this.publicKeys = options.publicKeys ?? new PublicKeyCache();
    this.keyring = new Keyring(
      { ca: config.passphrase, responder: config.responderPassphrase ?? config.passphrase, audit: config.auditPassphrase ?? config.passphrase },
      config.hsm,
      config.mode !== 'production',
      config.rootPassphrase ? { passphrase: config.rootPassphrase, keyFile: config.rootKeyFile } : undefined,
      this.sm2Identities,
    );
  }

  now(): Date {
    return this.clock();
  }

  /**
   * Where a certificate of `issuerCaId` points relying parties. With SIGNET_CRL_PARTITIONS, an issuing CA's
   * certificate names the partition CRL its key falls in (`shardOf`: its SPKI SHA-256), not the full CRL.
   * With SIGNET_CRL_ONLY it names no OCSP responder (BR §7.1.2.7.7: id-ad-ocsp MAY): the CRL
   * distribution point is always there.
   */
  publicationPoints(issuerCaId: string, shardOf?: string): PublicationPoints {
    const base = this.config.publicUrl;
    const partitions = this.config.crlPartitions?.[0];
    return {
      crlUrl:
        partitions && shardOf
          ? crlPartitionUrl(base, issuerCaId, partitions, crlPartitionOf(crlShardKey(shardOf), partitions))
          : `${base}/crl/${issuerCaId}.crl`,
      ...(this.config.crlOnly ? {} : { ocspUrl: `${base}/ocsp` }),
      caIssuersUrl: `${base}/ca/${issuerCaId}.crt`,
      cpsUrl: `${base}/cps`,
      policyOid: this.config.policyOid,
      issuedPolicySuffixes: this.profiles.issuedPolicySuffixes(),
    };
  }

  async authorities(): Promise<AuthorityRecord[]> {
    const rows = await this.store.db.selectFrom('certificate_authorities').selectAll().orderBy('created_at').execute();
    return rows.map((row) => this.authorityRecord(row));
  }

  async authority(caId: string): Promise<AuthorityRecord> {
    const row = await this.store.db.selectFrom('certificate_authorities').selectAll().where('id', '=', caId).executeTakeFirst();
    if (!row) throw new SignetError('ca.unknown', 404, { caId }, 'caId');
    return this.authorityRecord(row);
  }

  /** CA rows never change once written, so each certificate is parsed once (a health check asks every few seconds). */
  private readonly authorityRecords = new Map<string, AuthorityRecord>();
  private issuingCaIds?: CompiledQuery<{ id: string }>;

  private authorityRecord(row: CertificateAuthorityTable): AuthorityRecord {
    let record = this.authorityRecords.get(row.id);
    if (!record) {
      record = toAuthorityRecord(row);
      this.authorityRecords.set(row.id, record);
    }
    return record;
  }

  /**
   * The issuing CA that subscriber certificates come from when the caller names none. Read from
   * the store on every call (ids only, one indexed query compiled once; a TSA asks for every token):
   * an issuing-CA ceremony on any node moves issuance to the new CA on every node at once. Only
   * issuing CAs still valid now count; the newest of them wins.
   */
  async defaultIssuingCa(): Promise<AuthorityRecord> {
    if (!this.issuingCaIds) {
      this.issuingCaIds = this.store.db.selectFrom('certificate_authorities').select('id').where('role', '=', 'issuing').orderBy('created_at', 'desc').limit(8).compile();
    }
    const { rows } = await this.store.db.executeQuery(this.issuingCaIds);
    if (rows.length === 0) throw new SignetError('ca.no-issuing-ca', 409);
    const now = this.clock().getTime();
    let newest: AuthorityRecord | undefined;
    for (const { id } of rows) {
      // CA rows never change once written: a row is read whole once, then only its id is asked for.
      const record = this.authorityRecords.get(id) ?? (await this.authority(id));
      newest ??= record;
      if (record.notAfter.getTime() > now) return record;
    }
    return newest!;
  }

  private async defaultIssuingCaId(): Promise<string> {
    return (await this.defaultIssuingCa()).id;
  }

  /**
   * The signing side of a CA. CA rows never change once written, so the
   * parsed certificate and the opened key are kept for the life of the process.
   */
  issuerContext(caId: string): Promise<IssuerContext & { role: 'root' | 'issuing' }> {
    let context = this.issuers.get(caId);
    if (!context) {
      context = this.loadIssuerContext(caId);
      context.catch(() => this.issuers.delete(caId));
      this.issuers.set(caId, context);
    }
    return context;
  }

  private async loadIssuerContext(caId: string): Promise<IssuerContext & { role: 'root' | 'issuing' }> {
    const row = await this.store.db.selectFrom('certificate_authorities').selectAll().where('id', '=', caId).executeTakeFirst();
    if (!row) throw new SignetError('ca.unknown', 404, { caId }, 'caId');
    const certificate = AsnConvert.parse(row.certificate_der, Certificate);
    const signer = await this.keyring.signerFor({
      ownerId: row.id,
      keyStorage: row.key_storage,
      keyAlgorithm: row.key_algorithm as KeyAlgorithm,
      scheme: row.signature_scheme as Signer['scheme'],
      sealed: row.encrypted_private_key,
    });
    return {
      caId,
      role: row.role,
      // Every certificate of this CA carries this name: encoded once.
      name: encodedOnce(certificate.tbsCertificate.subject),
      signer,
      notAfter: certificate.tbsCertificate.validity.notAfter.getTime(),
      keyIdentifier: subjectKeyIdentifierOf(certificate),
    };
  }

  /**
   * Issues a subscriber certificate from a PKCS#10 request: proof of
   * possession, key checks, subject from the caller's data, lint, intent,
   * signature, record, audit.
   */
  async issue(order: CertificateOrder): Promise<IssuedCertificate> {
    const profile = this.profiles.get(order.profileId);
    if (profile.kind !== 'subscriber') {
      throw new SignetError('request.profile-not-for-subscribers', 400, { profile: profile.id }, 'profile');
    }
    if (order.validityDays !== undefined && (!Number.isInteger(order.validityDays) || order.validityDays < 1)) {
      throw new SignetError('request.invalid', 400, { detail: 'validityDays must be a positive integer' }, 'validityDays');
    }
    // Asking for more than the profile allows is refused, not silently shortened (issue 16 §5): the caller learns why.
    if (order.validityDays !== undefined && order.validityDays > profile.validityDays) {
      throw new SignetError('request.validity-beyond-profile', 400, { asked: order.validityDays, max: profile.validityDays, profile: profile.id }, 'validityDays');
    }
    const key = order.provenKey ?? provePublicKey(parseCertificationRequest(order.csr ?? new Uint8Array(0)));
    if (!profile.keyTypes.includes(key.keyAlgorithm)) {
      throw new SignetError(
        'request.key-type-not-allowed',
        400,
        { profile: profile.id, keyAlgorithm: key.keyAlgorithm, allowed: profile.keyTypes.join(', ') },
        'csr',
      );
    }
    const given = typeof order.subject === 'string' ? parseDistinguishedName(order.subject) : order.subject;
    // What a person's certificate says about their ID number is the profile's decision, not the caller's.
    const { attributes, identity } =
      profile.subscriberType === 'individual' ? discloseIdentifier(profile.personalIdentifier, given, order.identity, this.identifierKey) : { attributes: given, identity: order.identity };
    const subject = buildSubjectName(attributes, profile);
    const issuerCaId = order.issuerCaId ?? (await this.defaultIssuingCaId());
    const issuer = await this.issuerContext(issuerCaId);
    if (issuer.role !== 'issuing') {
      throw new SignetError('request.invalid', 400, { detail: `${issuerCaId} is a root CA; subscribers are issued by an issuing CA` }, 'caId');
    }
    return this.signCertificate({
      profile,
      issuer,
      subject,
      subjectAltNames: order.subjectAltNames,
      identity,
      subjectPublicKeyInfo: key.subjectPublicKeyInfo,
      parsedPublicKeyInfo: key.parsedPublicKeyInfo,
      spkiSha256: key.spkiSha256,
      keyAlgorithm: key.keyAlgorithm,
      holder: order.subscriberId ? `subscriber:${order.subscriberId}` : `subject:${describeName(subject)}`,
      subscriberId: order.subscriberId ?? null,
      validityDays: order.validityDays,
      requestedBy: order.requestedBy,
      reason: order.reason,
    });
  }

  /**
   * The signing half of the cycle (steps 3–5). `within` runs inside the
   * transaction that records the certificate, for callers whose own rows
   * must appear atomically with it (a new CA, a responder key).
   *
   * The TBS is built and linted here, in the caller's turn; recording the
   * intent, signing and recording the certificate happen in batches
   * (issueBatch), so that concurrent orders share their transactions.
   */
  async signCertificate(
    order: SigningOrder,
    within?: (trx: Tx, issued: IssuedCertificate) => Promise<void>,
  ): Promise<IssuedCertificate> {
    return this.issuance.submit(this.prepareCertificate(order, within));
  }

  private encodedSignatureAlgorithm(signer: Signer): AlgorithmIdentifier {
    let algorithm = this.signatureAlgorithms.get(signer);
    if (!algorithm) {
      const { algorithm: oid, parameters } = signer.signatureAlgorithm;
      algorithm = encodedOnce(new AlgorithmIdentifier({ algorithm: oid, parameters }));
      this.signatureAlgorithms.set(signer, algorithm);
    }
    return algorithm;
  }

  /** Step 3: the TBSCertificate from the profile and the caller's data, linted; nothing is stored yet. */
  private prepareCertificate(order: SigningOrder, within?: PreparedCertificate['within']): PreparedCertificate {
    const { profile, issuer } = order;
    const now = this.clock();
    const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
    // TLS server certificates: no longer than the CA/Browser Forum allows on this date (ballot SC-081), whatever the profile says.
    const brDays = profile.extendedKeyUsage?.includes('serverAuth') ? baselineMaximumDays(notBefore) : Infinity;
    const days = Math.min(order.validityDays ?? profile.validityDays, profile.validityDays, brDays);
    // RFC 5280 §4.1.2.5: validity is inclusive of notAfter, hence the second less.
    const wanted = new Date(notBefore.getTime() + days * DAY_MS - 1000);
    const notAfter = wanted > issuer.notAfter ? issuer.notAfter : wanted;

    const spkiSha256 = order.spkiSha256 ?? spkiFingerprint(order.subjectPublicKeyInfo);
    // asn1-schema encodes the TBS; the issuer's name and algorithm and the (canonical) key are
    // marked with their DER (encodedOnce), so they are copied rather than walked again.
    const extensions = buildExtensions(
      {
        profile,
        keyAlgorithm: order.keyAlgorithm,
        subjectPublicKeyInfo: order.subjectPublicKeyInfo,
        parsedSubjectPublicKeyInfo: order.parsedPublicKeyInfo,
        issuerPublicKeyInfo: issuer.signer.publicKeyInfo,
        publication: this.publicationPoints(issuer.caId, issuer.role === 'issuing' ? spkiSha256 : undefined),
        subjectAltNames: order.subjectAltNames,
        subjectIsEmpty: order.subject.length === 0,
        identity: order.identity,
      },
      this.sharedExtensions,
    );
    const subjectPublicKeyInfo = encodedOnce(
      order.parsedPublicKeyInfo ?? AsnConvert.parse(order.subjectPublicKeyInfo, SubjectPublicKeyInfo),
      order.subjectPublicKeyInfo,
    );
    const signatureAlgorithm = this.encodedSignatureAlgorithm(issuer.signer);
    const prepared: PreparedCertificate = {
      order,
      within,
      spkiSha256,
      now,
      notBefore,
      notAfter,
      serial: '',
      tbsDer: Buffer.alloc(0),
      renewSerial: () => {
        const serialBytes = (this.serials ??= new SerialSource(this.config.serialPrefix)).serial();
        const tbs = new TBSCertificate({
          version: Version.v3,
          serialNumber: new Uint8Array(serialBytes).buffer,
          signature: signatureAlgorithm,
          issuer: issuer.name,
          validity: new Validity({ notBefore, notAfter }),
          subject: order.subject,
          subjectPublicKeyInfo,
          extensions: new Extensions(extensions),
        });
        const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
        const findings = lintSignedTbs(tbsDer, {
          profile,
          keyAlgorithm: order.keyAlgorithm,
          signatureAlgorithm,
          issuerNotAfter: issuer.notAfter,
          issuerKeyIdentifier: issuer.keyIdentifier,
        });
        if (findings.length > 0) throw new SignetError('request.lint-failed', 400, { detail: findings.join('; ') });
        prepared.serial = serialBytes.toString('hex');
        prepared.tbsDer = tbsDer;
      },
    };
    prepared.renewSerial();
    return prepared;
  }

  /**
   * Steps 4 and 5 for a batch: one transaction checks the keys and records
   * every intent, then each TBS is signed and self-checked, then one
   * transaction stores every certificate, closes the intents and appends the
   * audit entries. A batch that cannot be recorded whole is retried one order
   * at a time, so one bad order never fails the others.
   */
  private async issueBatch(batch: PreparedCertificate[]): Promise<Outcome<IssuedCertificate>[]> {
    const outcomes: Outcome<IssuedCertificate>[] = batch.map(() => ({ ok: false, error: new Error('not processed') }));
    let recorded: number[];
    try {
      recorded = await this.recordIntents(batch, outcomes);
    } catch (error) {
      if (batch.length === 1) return [{ ok: false, error }];
      const alone: Outcome<IssuedCertificate>[] = [];
      for (const prepared of batch) alone.push(...(await this.issueAlone(prepared)));
      return alone;
    }

    const signed: { index: number; issued: IssuedCertificate }[] = [];
    for (const index of recorded) {
      try {
        signed.push({ index, issued: await this.signPrepared(batch[index]!) });
      } catch (error) {
        outcomes[index] = { ok: false, error };
      }
    }

    try {
      await this.recordCertificates(signed.map((s) => ({ prepared: batch[s.index]!, issued: s.issued })));
      for (const s of signed) outcomes[s.index] = { ok: true, value: s.issued };
    } catch (error) {
      // Each order is retried alone; one that still cannot be recorded has its intent closed by its owner, here.
      if (signed.length === 1) {
        outcomes[signed[0]!.index] = { ok: false, error };
        await this.abandonOwnIntent(batch[signed[0]!.index]!, error);
      } else {
        for (const s of signed) {
          try {
            await this.recordCertificates([{ prepared: batch[s.index]!, issued: s.issued }]);
            outcomes[s.index] = { ok: true, value: s.issued };
          } catch (aloneError) {
            outcomes[s.index] = { ok: false, error: aloneError };
            await this.abandonOwnIntent(batch[s.index]!, aloneError);
          }
        }
      }
    }
    return outcomes;
  }

  /** One order as its own batch; a serial already taken is replaced by a new one (never reused). */
  private async issueAlone(prepared: PreparedCertificate): Promise<Outcome<IssuedCertificate>[]> {
    for (let attempt = 0; ; attempt++) {
      const [outcome] = await this.issueBatch([prepared]);
      if (!outcome!.ok && attempt < 3 && isUniqueViolation(outcome!.error)) {
        try {
          prepared.renewSerial();
        } catch (error) {
          return [{ ok: false, error }];
        }
        continue;
      }
      return [outcome!];
    }
  }

  /**
   * Step 4, in one transaction: the key checks (which then also hold between
   * orders of the same batch) and the intents, serials reserved for ever.
   * Returns the indexes of the orders recorded; the others get their refusal.
   */
  private async recordIntents(batch: PreparedCertificate[], outcomes: Outcome<IssuedCertificate>[]): Promise<number[]> {
    return this.store.db.transaction().execute(async (trx) => {
      const fingerprints = [...new Set(batch.map((p) => p.spkiSha256))];
      const blocked = new Map(
        (await trx.selectFrom('blocked_keys').select(['spki_sha256', 'reason']).where('spki_sha256', 'in', fingerprints).execute()).map(
          (row) => [row.spki_sha256, row.reason],
        ),
      );
      const holders = new Map<string, Set<string>>();
      for (const row of await trx
        .selectFrom('certificates')
        .select(['spki_sha256', 'holder'])
        .distinct()
        .where('spki_sha256', 'in', fingerprints)
        .execute()) {
        holders.set(row.spki_sha256, (holders.get(row.spki_sha256) ?? new Set()).add(row.holder));
      }

      const recorded: number[] = [];
      batch.forEach((prepared, index) => {
        const reason = blocked.get(prepared.spkiSha256);
        if (reason !== undefined) {
          outcomes[index] = { ok: false, error: new SignetError('request.key-blocked', 400, { reason }, 'csr') };
          return;
        }
        const known = holders.get(prepared.spkiSha256) ?? new Set<string>();
        if ([...known].some((holder) => holder !== prepared.order.holder)) {
          outcomes[index] = { ok: false, error: new SignetError('request.key-already-certified', 409, {}, 'csr') };
          return;
        }
        // An earlier order of this batch now holds the key too.
        holders.set(prepared.spkiSha256, known.add(prepared.order.holder));
        prepared.intentId = timeOrderedId();
        recorded.push(index);
      });
      if (recorded.length === 0) return recorded;

      await trx
        .insertInto('issuance_intents')
        .values(
          recorded.map((index) => {
            const prepared = batch[index]!;
            return {
              id: prepared.intentId!,
              serial: prepared.serial,
              issuer_ca_id: prepared.order.issuer.caId,
              profile_id: prepared.order.profile.id,
              tbs_sha256: hash('sha256', prepared.tbsDer, 'hex'),
              // Step 4 records the TBS hash, not the TBS: nothing ever signs from an intent again (a crash after signing
              // loses the signature, never publishes it), and the certificate row holds the TBS signed. Written empty
              // from the start, because on SQLite a row shrunk later leaves its page half empty (issue 22: ~1 KB of the
              // ~3.6 KB every certificate took on disk).
              tbs_der: EMPTY_TBS,
              requested_by: prepared.order.requestedBy,
              reason: prepared.order.reason,
              state: 'pending' as const,
              created_at: prepared.now.toISOString(),
              resolved_at: null,
              owner_instance: this.owner?.id ?? null,
            };
          }),
        )
        .execute();
      return recorded;
    });
  }

  /** Step 5: sign, and check our own signature (a faulty HSM must not publish garbage). */
  private async signPrepared(prepared: PreparedCertificate): Promise<IssuedCertificate> {
    const { order, serial, tbsDer } = prepared;
    const { issuer } = order;
    await this.faults.afterIntentRecorded?.(serial);
    const signature = await issuer.signer.sign(tbsDer);
    const check = verifySignature(issuer.signer.publicKeyInfo, issuer.signer.signatureAlgorithm, tbsDer, signature, {
      distinguishingId: issuer.signer.distinguishingId,
      sm2Keys: this.sm2Identities,
      publicKeys: this.publicKeys,
    });
    if (!check.ok) {
      await this.abandonIntent(prepared.intentId!, `signature self-check failed: ${check.reason}`, false);
      throw new Error(`the signer of ${issuer.caId} produced a bad signature: ${check.reason}`);
    }
    const der = encodeSigned(tbsDer, this.encodedSignatureAlgorithm(issuer.signer), signature);
    await this.faults.afterSigned?.(serial);
    return {
      serial,
      der,
      issuerCaId: issuer.caId,
      profileId: order.profile.id,
      subject: describeName(order.subject),
      notBefore: prepared.notBefore.toISOString(),
      notAfter: prepared.notAfter.toISOString(),
    };
  }

  /** Step 5, recorded: certificates, their intents closed, audit entries, in one transaction. */
  private async recordCertificates(items: { prepared: PreparedCertificate; issued: IssuedCertificate }[]): Promise<void> {
    if (items.length === 0) return;
    await this.store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('certificates')
        .values(
          items.map(({ prepared, issued }) => ({
            serial: issued.serial,
            issuer_ca_id: issued.issuerCaId,
            profile_id: issued.profileId,
            subject: issued.subject,
            subscriber_id: prepared.order.subscriberId,
            holder: prepared.order.holder,
            spki_sha256: prepared.spkiSha256,
            key_algorithm: prepared.order.keyAlgorithm,
            not_before: issued.notBefore,
            not_after: issued.notAfter,
            der: issued.der,
            issued_at: prepared.now.toISOString(),
            // Whether its AIA names our OCSP responder: the responder answers for such a certificate only (CRL-only mode).
            names_ocsp: this.config.crlOnly ? 0 : 1,
          })),
        )
        .execute();
      const resolvedAt = this.clock().toISOString();
      const updated = await trx
        .updateTable('issuance_intents')
        .set({ state: 'issued', resolved_at: resolvedAt })
        .where('id', 'in', items.map(({ prepared }) => prepared.intentId!))
        .where('state', '=', 'pending')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== items.length) throw new Error('an issuance intent of this batch is no longer pending');
      await appendAuditEntries(
        trx,
        this.store.dialect,
        items.map(({ prepared, issued }) => ({
          at: prepared.now,
          event: {
            actor: prepared.order.requestedBy,
            action: 'certificate.issued',
            target: `certificate:${issued.serial}`,
            details: {
              issuer: issued.issuerCaId,
              profile: issued.profileId,
              // The append-only log names a person only by pseudonymous references (subscriber id, serial), never by
              // name or number, so the retention purge (R2) can remove them from the tables that can be purged.
              ...(prepared.order.profile.subscriberType === 'individual' ? {} : { subject: issued.subject }),
              subscriber: prepared.order.subscriberId,
              spkiSha256: prepared.spkiSha256,
              notBefore: issued.notBefore,
              notAfter: issued.notAfter,
              reason: prepared.order.reason,
            },
          },
        })),
      );
      for (const { prepared, issued } of items) await prepared.within?.(trx, issued);
    });
  }

  /**
   * The owner closes an intent whose certificate it could not record. If the
   * record did commit after all (a lost reply), the intent is no longer
   * pending and nothing changes; if the store is unreachable, the intent stays
   * pending and a server closes it once this process's lease has run out.
   */
  private async abandonOwnIntent(prepared: PreparedCertificate, cause: unknown): Promise<void> {
    await this.abandonIntent(prepared.intentId!, `the certificate could not be recorded: ${(cause as Error)?.message ?? String(cause)}`, false).catch(
      () => undefined,
    );
  }

  /**
   * Closes one pending intent as abandoned, with its audit entry. With
   * `onlyIfOwnerGone`, only when its owner holds no live lease by the
   * database's clock, checked in the same statement that closes it.
   */
  private async abandonIntent(intentId: string, why: string, onlyIfOwnerGone: boolean): Promise<boolean> {
    return this.store.db.transaction().execute(async (trx) => {
      let update = trx
        .updateTable('issuance_intents')
        .set({ state: 'abandoned', resolved_at: this.clock().toISOString() })
        .where('id', '=', intentId)
        .where('state', '=', 'pending');
      if (onlyIfOwnerGone) update = update.where(ownerGone(this.store.dialect));
      const row = await update.returning(['serial', 'owner_instance']).executeTakeFirst();
      if (!row) return false;
      await appendAuditEntry(
        trx,
        this.store.dialect,
        {
          actor: 'system:issuance',
          action: 'issuance.abandoned',
          target: `certificate:${row.serial}`,
          details: { why, owner: row.owner_instance },
        },
        this.clock(),
      );
      return true;
    });
  }

  /**
   * Run by servers only (never by a CLI command): an intent still pending
   * whose owner's lease has run out has no stored certificate, and its
   * signature (if one was made) never left the owner, which is dead or cut off
   * from the store for longer than its lease. It is closed as abandoned; its
   * serial stays reserved and is never used again. Intents of live owners,
   * this process's among them, are left alone. Returns the serials closed.
   */
  async recoverAbandonedIntents(): Promise<string[]> {
    const candidates = await this.store.db
      .selectFrom('issuance_intents')
      .select(['id', 'serial'])
      .where('state', '=', 'pending')
      .where(ownerGone(this.store.dialect))
      .execute();
    const closed: string[] = [];
    for (const intent of candidates) {
      if (await this.abandonIntent(intent.id, 'its owner stopped before the certificate was recorded', true)) closed.push(intent.serial);
    }
    return closed;
  }

  async certificate(serialInput: string): Promise<CertificateTable> {
    const serial = normaliseSerial(serialInput);
    const row = await this.store.db.selectFrom('certificates').selectAll().where('serial', '=', serial).executeTakeFirst();
    if (!row) throw new SignetError('certificate.not-found', 404, { serial }, 'serial');
    return row;
  }

  /**
   * The certificate inventory, for other domains (RA changes, fees,
   * liability, retention): they ask here instead of reading the CA's tables.
   * `trx` lets a caller read inside its own transaction.
   */
  async findCertificates(filter: CertificateFilter = {}, trx: Tx = this.store.db): Promise<CertificateSummary[]> {
    let query = trx
      .selectFrom('certificates')
      .select(['serial', 'issuer_ca_id', 'profile_id', 'subject', 'subscriber_id', 'key_algorithm', 'not_before', 'not_after', 'issued_at']);
    if (filter.serial !== undefined) query = query.where('serial', '=', normaliseSerial(filter.serial));
    if (filter.serials !== undefined) {
      const serials = filter.serials.flatMap((s) => {
        try {
          return [normaliseSerial(s)];
        } catch {
          return []; // a malformed serial names no certificate
        }
      });
      if (serials.length === 0) return [];
      query = query.where('serial', 'in', serials);
    }
    if (filter.subscriberId !== undefined) query = query.where('subscriber_id', '=', filter.subscriberId);
    if (filter.hasSubscriber) query = query.where('subscriber_id', 'is not', null);
    if (filter.issuerCaId !== undefined) query = query.where('issuer_ca_id', '=', filter.issuerCaId);
    if (filter.profileId !== undefined) query = query.where('profile_id', '=', filter.profileId);
    if (filter.notAfterAfter !== undefined) query = query.where('not_after', '>', filter.notAfterAfter);
    if (filter.notAfterUntil !== undefined) query = query.where('not_after', '<=', filter.notAfterUntil);
    if (filter.notBeforeUntil !== undefined) query = query.where('not_before', '<=', filter.notBeforeUntil);
    if (filter.afterSerial !== undefined) query = query.where('serial', '>', filter.afterSerial);
    if (filter.namesOcsp !== undefined) query = query.where('names_ocsp', '=', filter.namesOcsp ? 1 : 0);
    const rows = await query.orderBy('serial').limit(filter.limit ?? 10_000).execute();
    return rows.map((r) => ({
      serial: r.serial,
      issuerCaId: r.issuer_ca_id,
      profileId: r.profile_id,
      subject: r.subject,
      subscriberId: r.subscriber_id,
      keyAlgorithm: r.key_algorithm as KeyAlgorithm,
      notBefore: r.not_before,
      notAfter: r.not_after,
      issuedAt: r.issued_at,
    }));
  }

  /** Every certificate matching the filter, a page at a time: for jobs that walk the whole inventory. */
  async *eachCertificate(filter: Omit<CertificateFilter, 'afterSerial' | 'limit'> = {}, pageSize = 1000): AsyncGenerator<CertificateSummary> {
    let afterSerial: string | undefined;
    for (;;) {
      const page = await this.findCertificates({ ...filter, afterSerial, limit: pageSize });
      yield* page;
      if (page.length < pageSize) return;
      afterSerial = page[page.length - 1]!.serial;
    }
  }

  async blockKey(spkiSha256: string, reason: string, actor: string): Promise<void> {
    await this.store.db.transaction().execute(async (trx) => {
      const exists = await trx.selectFrom('blocked_keys').select('spki_sha256').where('spki_sha256', '=', spkiSha256).executeTakeFirst();
      if (exists) return;
      const at = this.clock();
      await trx.insertInto('blocked_keys').values({ spki_sha256: spkiSha256, reason, blocked_at: at.toISOString() }).execute();
      await appendAuditEntry(trx, this.store.dialect, { actor, action: 'key.blocked', target: `key:${spkiSha256}`, details: { reason } }, at);
    });
  }
}

/** No live process holds the intent: no owner recorded, or the owner's lease ran out by the database's clock. */
function ownerGone(dialect: Dialect): RawBuilder<SqlBool> {
  return sql<SqlBool>`(issuance_intents.owner_instance is null or not exists (
    select 1 from process_instances where process_instances.id = issuance_intents.owner_instance
      and process_instances.lease_expires_ms >= ${databaseNowMs(dialect)}))`;
}

function toAuthorityRecord(row: CertificateAuthorityTable): AuthorityRecord {
  const certificate = AsnConvert.parse(row.certificate_der, Certificate);
  return {
    id: row.id,
    role: row.role,
    parentId: row.parent_id,
    name: row.name,
    keyAlgorithm: row.key_algorithm as KeyAlgorithm,
    serial: row.certificate_serial,
    certificateDer: row.certificate_der,
    notAfter: certificate.tbsCertificate.validity.notAfter.getTime(),
    createdAt: row.created_at,
  };
}
