import { CertificateAuthority, type IssuanceFaults } from './ca/authority.js';
import { createHierarchy } from './ca/hierarchy.js';
import { DelegatedSigners, rolloverPolicyFrom, type RolloverPolicy } from './ca/delegated-signers.js';
import type { KeyAlgorithm } from './crypto/algorithms.js';
import { MissingSecretError, productionProblems, type ProductionProblem, type SignetConfig } from './config/settings.js';
import { SignetError } from './i18n/signet-error.js';
import { translate } from './i18n/messages.js';
import { openDatabase, type SignetDatabase } from './store/database.js';
import { ProcessInstance, forgetExpiredInstances, type ProcessRole } from './store/process-instances.js';
import { StatusService } from './status/status-service.js';
import { ocspCacheSizeFrom } from './status/ocsp-response-cache.js';
import { ocspAnswerWithinFrom, ocspPendingReadsFrom } from './status/ocsp-responder.js';
import { TimeStampAuthority } from './tsa/time-stamp-authority.js';
import { ClockGuard, clockLimitFrom } from './tsa/clock-guard.js';
import { DatabaseClock } from './store/database-clock.js';
import { DEFAULT_EVIDENCE_OPTIONS, EvidenceService } from './evidence/evidence-report.js';
import { Disputes, disputeWindowMonthsFrom } from './evidence/disputes.js';
import { RegistrationAuthority } from './ra/registration-authority.js';
import { raSettingsFrom, type RaSettings } from './ra/settings.js';
import { statusDomainRevoker } from './ra/status-revoker.js';
import { SubscriberServices } from './service/subscriber-services.js';
import { PersonalDataCipher, parseKeyList } from './service/personal-data.js';
import { AuditCheckpointer } from './audit/checkpoints.js';
import { FileHeadSink } from './audit/head-export.js';
import { AgreementPublisher } from './agreement/publication.js';
import { raSubscriberDirectory } from './agreement/ra-directory.js';
import { KeyManagementCentre } from './kmc/key-management-centre.js';
import { NotificationDelivery, type DeliveryFaults } from './service/notification-delivery.js';
import { Sm2Identities } from './ca/sm2-identities.js';
import { PublicKeyCache } from './crypto/public-key.js';
import { raRecipientAddresses } from './service/ra-recipient-addresses.js';
import { outboxPersonalData } from './service/notification-outbox.js';
import { EstServer } from './est/est-server.js';
import { AcmeService, acmeAuthorizationReuseFrom, acmeLimitsFrom } from './acme/acme-service.js';
import { validationNetworkFrom, type ValidationNetwork } from './acme/http-01.js';
import { CmpServer } from './cmp/cmp-server.js';
import { ScepServer } from './scep/scep-server.js';
import { ScepRaIdentities } from './scep/ra-identity.js';
import { configError } from './config/config-error.js';

/** The composition root: one store, the domains over it, nothing global. */
export interface Signet {
  config: SignetConfig;
  store: SignetDatabase;
  ca: CertificateAuthority;
  /** Each CA's OCSP responder and TSA identities, as they roll over (docs/operations.md). */
  signers: DelegatedSigners;
  status: StatusService;
  tsa: TimeStampAuthority;
  /** The database server as a second clock: its skew in /healthz and /metrics, the TSA's refusal past the limit. */
  databaseClock: DatabaseClock;
  evidence: EvidenceService;
  disputes: Disputes;
  ra: RegistrationAuthority;
  /** The KMC for dual SM2 certificates; in production it may run as its own process with its own passphrase. */
  kmc: KeyManagementCentre;
  /** Complaints, fees, liability, retention, the notification outbox (issue 6). */
  service: SubscriberServices;
  /** Signed checkpoints over the audit chain (R20). */
  auditCheckpoints: AuditCheckpointer;
  /** Publication of agreement versions, the CPS and notices; deemed acceptance and objections (R11, R19). */
  publication: AgreementPublisher;
  /** Sends the notification outbox by SMTP (config.mail); run by the scheduled work on the lease holder. */
  mail: NotificationDelivery;
  /** The ACME door (RFC 8555) over the RA and CA, with accounts bound by the RA (docs/acme.md). */
  acme: AcmeService;
  /** This process as the store knows it: the owner of its issuance intents, with a lease it renews. */
  instance: ProcessInstance;
  /** EST (RFC 7030): a door into the RA and CA (issue 21). */
  est: EstServer;
  /** CMP (RFC 4210, RFC 9483): the same door in CMP's terms (issue 21). */
  cmp: CmpServer;
  scep: ScepServer;
  /** SCEP's delegated RSA identities (src/scep/ra-identity.ts), rolled over with the OCSP responders. */
  scepIdentities: ScepRaIdentities;
  close(): Promise<void>;
}

export interface OpenOptions {
  clock?: () => Date;
  faults?: IssuanceFaults;
  /** RA settings beyond the environment's (SIGNET_CREDENTIAL_DAYS, …). */
  ra?: Partial<RaSettings>;
  /** Crash points in mail delivery, for its tests. */
  mailFaults?: DeliveryFaults;
  /**
   * 'server' (`signet serve`) also closes, now and every lease period, the
   * issuance intents of processes whose lease ran out. A 'command' (every CLI
   * command, the default) never touches other processes' work.
   */
  role?: ProcessRole;
  /** The process lease's length (SIGNET_PROCESS_LEASE_SECONDS, default 60 s). */
  processLeaseMs?: number;
  /** Rollover settings beyond the environment's (SIGNET_ROLLOVER_REMAINING, …). */
  rollover?: Partial<RolloverPolicy>;
  /** Seconds an EST or CMP client waits between polls while a renewal is reviewed (default SIGNET_EST_RETRY_AFTER, else 600). */
  estRetryAfterSeconds?: number;
  /** ACME validation network (http-01 port, pinned names) beyond the environment's. */
  acmeNetwork?: Partial<ValidationNetwork>;
}

export async function openSignet(config: SignetConfig, options: OpenOptions = {}): Promise<Signet> {
  // Production refuses before touching the store: nothing is generated, nothing half-opened.
  assertProductionReady(config);
  const store = await openDatabase(config.databaseUrl);
  const instance = new ProcessInstance(store, options.role ?? 'command', { leaseMs: options.processLeaseMs });
  await instance.start();
  const personalData = new PersonalDataCipher(parseKeyList(config.personalDataKeys()));
  // The SM2 IDs of our keys, from the store: every verifier in this process asks this one object (never module state).
  const sm2Identities = new Sm2Identities(store, options.clock);
  // Keys the CA and the TSA check their own signatures with, imported once for the process.
  const publicKeys = new PublicKeyCache();
  const ca = new CertificateAuthority({ store, config, clock: options.clock, faults: options.faults, owner: instance, identifierKey: () => personalData.derive('certificate-identifier'), sm2Identities, publicKeys });
  const stopRecovery = instance.role === 'server' ? await startIntentRecovery(ca, store, instance.leaseMs) : () => undefined;
  const signers = new DelegatedSigners(ca, rolloverPolicyFrom(process.env, options.rollover));
  const status = new StatusService(ca, { publicUrl: config.publicUrl, crl: { deltas: config.deltaCrls, partitions: config.crlPartitions, afterRevocation: config.crlOnly }, signers, ocsp: { maxCached: ocspCacheSizeFrom(process.env), answerWithinMs: ocspAnswerWithinFrom(process.env), maxPendingReads: ocspPendingReadsFrom(process.env), crlOnly: config.crlOnly } });
  const databaseClock = new DatabaseClock(store);
  const guard = new ClockGuard({ store, databaseClock, limitMs: clockLimitFrom(process.env) });
  const tsa = new TimeStampAuthority({ ca, policyArc: config.policyOid, serialPrefix: config.serialPrefix, clock: options.clock, signers, guard });
  const evidence = new EvidenceService(ca, status, tsa, { ...DEFAULT_EVIDENCE_OPTIONS, keyStorage: config.evidenceKeyStorage });
  const service = new SubscriberServices({ ca, personalData, clock: options.clock });
  const ra = new RegistrationAuthority({ ca, settings: raSettingsFrom(process.env, options.ra), revoker: statusDomainRevoker(status), clock: options.clock, personalData, notices: service.outbox });
  // A download killed between claiming its credential and completing is settled the same way (issue 16).
  if (instance.role === 'server') await ra.downloads.recoverInterrupted();
  const kmc = new KeyManagementCentre({ store, passphrase: config.kmcPassphrase, clock: options.clock });
  service.retention.registerHolder(ra.personalDataHolder);
  const disputes = new Disputes({ ca, outbox: service.outbox, retention: service.retention, subscribers: raSubscriberDirectory(ra), personalData, windowMonths: disputeWindowMonthsFrom(process.env), clock: options.clock });
  // Notices and dispute records name people too: the retention purge blanks them with the RA's records (R2).
  service.retention.registerHolder(outboxPersonalData);
  service.retention.registerHolder(disputes.personalDataHolder);
  const auditCheckpoints = new AuditCheckpointer({ ca, timeStamper: tsa, clock: options.clock, keyStorage: config.auditKeyStorage, heads: config.auditHeadExport ? new FileHeadSink(config.auditHeadExport) : undefined });
  const publication = new AgreementPublisher({
    ca,
    registry: ra.agreements,
    outbox: service.outbox,
    directory: raSubscriberDirectory(ra),
    clock: options.clock,
    // An objection's revocations go through the status domain, so this node's OCSP hears of them at once.
    revoke: async (order) => {
      await status.revokeCertificate({ serial: order.serial, reason: 'cessationOfOperation', channel: 'subscriber', requestedBy: order.actor, justification: order.justification });
    },
  });
  const mail = new NotificationDelivery({
    context: service.context,
    outbox: service.outbox,
    settings: config.mail,
    addresses: raRecipientAddresses(ra, config.mail.roleAddresses),
    faults: options.mailFaults,
  });
  const acme = new AcmeService({
    ca,
    subscribers: ra.subscribers,
    status,
    sealer: personalData,
    clock: options.clock,
    network: { ...validationNetworkFrom(process.env), ...options.acmeNetwork },
    limits: acmeLimitsFrom(process.env),
    authorizationReuseDays: acmeAuthorizationReuseFrom(process.env),
  });
  const close = async () => {
    stopRecovery();
    await instance.release().catch(() => undefined);
    await store.close();
  };
  const est = new EstServer({ ca, ra, retryAfterSeconds: options.estRetryAfterSeconds ?? estRetryAfterFrom(process.env) });
  const cmp = new CmpServer({ ca, ra, status, store, clock: options.clock, checkAfterSeconds: options.estRetryAfterSeconds ?? estRetryAfterFrom(process.env) });
  const scepIdentities = new ScepRaIdentities(ca, () => signers.policy);
  const scep = new ScepServer({ ca, ra, store, identities: scepIdentities, clock: options.clock });
  return { config, store, ca, signers, status, tsa, databaseClock, evidence, disputes, ra, kmc, service, auditCheckpoints, publication, mail, acme, instance, est, cmp, scep, scepIdentities, close };
}

/**
 * A server settles what dead processes left half-done: at start and then
 * every lease period, intents whose owner's lease ran out are closed as
 * abandoned (their serials stay reserved). Live owners' intents, CLI
 * commands' included, are never touched. Returns the stopper.
 */
async function startIntentRecovery(ca: CertificateAuthority, store: SignetDatabase, leaseMs: number): Promise<() => void> {
  const round = async () => {
    await ca.recoverAbandonedIntents();
    await forgetExpiredInstances(store);
  };
  await round();
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    round()
      .catch(() => {
        // The next round tries again; nothing is lost by waiting.
      })
      .finally(() => {
        running = false;
      });
  }, leaseMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** SIGNET_EST_RETRY_AFTER: whole seconds, at least 1; a malformed value stops the start. */
export function estRetryAfterFrom(env: NodeJS.ProcessEnv): number {
  const text = env.SIGNET_EST_RETRY_AFTER?.trim();
  if (!text) return 600;
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1) throw configError('config.whole-number-range', { variable: 'SIGNET_EST_RETRY_AFTER', value: text, min: 1, max: 999_999 });
  return Number(text);
}

/** SIGNET_MODE=production: every secret given and each its own, or a refusal naming all that is missing (both languages). */
export function assertProductionReady(config: SignetConfig): void {
  if (config.mode !== 'production') return;
  const problems = productionProblems(config);
  if (problems.length > 0) throw productionRefusal(problems);
}

/** The root ceremony's passphrase must be given in production and differ from every online secret. */
export function assertRootPassphraseOwn(config: SignetConfig): void {
  const problems: ProductionProblem[] = [];
  let root: string | undefined;
  try {
    root = config.rootPassphrase();
  } catch (error) {
    if (!(error instanceof MissingSecretError)) throw error;
    problems.push({ variable: 'SIGNET_ROOT_PASSPHRASE', problem: 'missing' });
  }
  if (root !== undefined) {
    if (config.mode === 'production' && root.length < 16) problems.push({ variable: 'SIGNET_ROOT_PASSPHRASE', problem: 'short' });
    const others: [string, () => string][] = [
      ['SIGNET_CA_PASSPHRASE', config.passphrase],
      ['SIGNET_RESPONDER_PASSPHRASE', config.responderPassphrase],
      ['SIGNET_AUDIT_PASSPHRASE', config.auditPassphrase],
      ['SIGNET_KMC_PASSPHRASE', config.kmcPassphrase],
    ];
    for (const [variable, read] of others) {
      try {
        if (read() === root) problems.push({ variable: 'SIGNET_ROOT_PASSPHRASE', problem: 'shared', other: variable });
      } catch {
        // A missing online secret is productionProblems' to report.
      }
    }
  }
  if (problems.length > 0) throw productionRefusal(problems);
}

function productionRefusal(problems: ProductionProblem[]): ProductionNotReadyError {
  const list = (locale: 'zh-CN' | 'en') => problems.map((p) => translate(`config.problem.${p.problem}`, locale, { ...p })).join(locale === 'en' ? '; ' : '；');
  return new ProductionNotReadyError(problems.map((p) => p.variable), list);
}

/** The refusal, listing every variable at fault; its text in both languages. */
export class ProductionNotReadyError extends SignetError {
  constructor(
    readonly variables: string[],
    list: (locale: 'zh-CN' | 'en') => string,
  ) {
    super('config.production-not-ready', 500, { missing: list('en') });
    this.listIn = list;
  }
  private readonly listIn: (locale: 'zh-CN' | 'en') => string;
  override messageIn(locale: 'zh-CN' | 'en'): string {
    return translate('config.production-not-ready', locale, { missing: this.listIn(locale) });
  }
}

/** `npm start` on a fresh data folder: a development hierarchy, created once; never in production mode. */
export async function ensureDevelopmentHierarchy(signet: Signet, algorithm: KeyAlgorithm): Promise<boolean> {
  const authorities = await signet.ca.authorities();
  if (authorities.some((a) => a.role === 'root')) return false;
  if (signet.config.mode === 'production') throw new SignetError('config.production-no-hierarchy', 500);
  await createHierarchy(signet.ca, { algorithm, actor: 'system:first-start' });
  // The root key is at hand only now: its CRL and OCSP answers for the issuing CA come from this first ceremony.
  await signet.status.rootCeremony({ actor: 'system:first-start' });
  return true;
}
