import { CertificateAuthority, type IssuanceFaults } from './ca/authority.js';
import { createHierarchy } from './ca/hierarchy.js';
import type { KeyAlgorithm } from './crypto/algorithms.js';
import type { SignetConfig } from './config/settings.js';
import { openDatabase, type SignetDatabase } from './store/database.js';
import { ProcessInstance, forgetExpiredInstances, type ProcessRole } from './store/process-instances.js';
import { StatusService } from './status/status-service.js';
import { TimeStampAuthority } from './tsa/time-stamp-authority.js';
import { EvidenceService } from './evidence/evidence-report.js';
import { Disputes, disputeWindowMonthsFrom } from './evidence/disputes.js';
import { RegistrationAuthority } from './ra/registration-authority.js';
import { raSettingsFrom, type RaSettings } from './ra/settings.js';
import { statusDomainRevoker } from './ra/status-revoker.js';
import { SubscriberServices } from './service/subscriber-services.js';
import { PersonalDataCipher } from './service/personal-data.js';
import { AuditCheckpointer } from './audit/checkpoints.js';
import { FileHeadSink } from './audit/head-export.js';
import { AgreementPublisher } from './agreement/publication.js';
import { raSubscriberDirectory } from './agreement/ra-directory.js';
import { KeyManagementCentre } from './kmc/key-management-centre.js';
import { NotificationDelivery, type DeliveryFaults } from './service/notification-delivery.js';
import { raRecipientAddresses } from './service/ra-recipient-addresses.js';

/** The composition root: one store, the domains over it, nothing global. */
export interface Signet {
  config: SignetConfig;
  store: SignetDatabase;
  ca: CertificateAuthority;
  status: StatusService;
  tsa: TimeStampAuthority;
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
  /** This process as the store knows it: the owner of its issuance intents, with a lease it renews. */
  instance: ProcessInstance;
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
}

export async function openSignet(config: SignetConfig, options: OpenOptions = {}): Promise<Signet> {
  const store = await openDatabase(config.databaseUrl);
  const instance = new ProcessInstance(store, options.role ?? 'command', { leaseMs: options.processLeaseMs });
  await instance.start();
  const ca = new CertificateAuthority({ store, config, clock: options.clock, faults: options.faults, owner: instance });
  const stopRecovery = instance.role === 'server' ? await startIntentRecovery(ca, store, instance.leaseMs) : () => undefined;
  const status = new StatusService(ca, { publicUrl: config.publicUrl });
  const tsa = new TimeStampAuthority({ ca, policyArc: config.policyOid, serialPrefix: config.serialPrefix, clock: options.clock });
  const evidence = new EvidenceService(ca, status, tsa);
  const ra = new RegistrationAuthority({ ca, settings: raSettingsFrom(process.env, options.ra), revoker: statusDomainRevoker(status), clock: options.clock, personalData: PersonalDataCipher.fromEnvironment(process.env, config.dataDir) });
  const kmc = new KeyManagementCentre({ store, passphrase: config.kmcPassphrase, clock: options.clock });
  const service = new SubscriberServices({ ca, personalData: PersonalDataCipher.fromEnvironment(process.env, config.dataDir), clock: options.clock });
  service.retention.registerHolder(ra.personalDataHolder);
  const disputes = new Disputes({ ca, outbox: service.outbox, retention: service.retention, subscribers: raSubscriberDirectory(ra), windowMonths: disputeWindowMonthsFrom(process.env), clock: options.clock });
  const auditCheckpoints = new AuditCheckpointer({ ca, timeStamper: tsa, clock: options.clock, heads: config.auditHeadExport ? new FileHeadSink(config.auditHeadExport) : undefined });
  const publication = new AgreementPublisher({ ca, registry: ra.agreements, outbox: service.outbox, directory: raSubscriberDirectory(ra), clock: options.clock });
  const mail = new NotificationDelivery({
    context: service.context,
    outbox: service.outbox,
    settings: config.mail,
    addresses: raRecipientAddresses(ra, config.mail.roleAddresses),
    faults: options.mailFaults,
  });
  const close = async () => {
    stopRecovery();
    await instance.release().catch(() => undefined);
    await store.close();
  };
  return { config, store, ca, status, tsa, evidence, disputes, ra, kmc, service, auditCheckpoints, publication, mail, instance, close };
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

/** `npm start` on a fresh data folder: a development hierarchy, created once. */
export async function ensureDevelopmentHierarchy(signet: Signet, algorithm: KeyAlgorithm): Promise<boolean> {
  const authorities = await signet.ca.authorities();
  if (authorities.some((a) => a.role === 'root')) return false;
  await createHierarchy(signet.ca, { algorithm, actor: 'system:first-start' });
  return true;
}
