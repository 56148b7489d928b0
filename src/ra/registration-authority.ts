import { AgreementRegistry } from '../agreement/agreements.js';
import type { CertificateAuthority } from '../ca/authority.js';
import type { PersonalDataCipher } from '../service/personal-data.js';
import { RaPersonalData } from './personal-data.js';
import { Applications } from './applications.js';
import { ChangeRequests } from './changes.js';
import type { RaContext, SubscriberNotices } from './context.js';
import { Delegations } from './delegations.js';
import { RaOwnership } from './ownership.js';
import { AttemptCounter } from './attempts.js';
import { DownloadCredentials } from './download-credentials.js';
import { Downloads } from './downloads.js';
import { CertificateInventory } from './inventory.js';
import { OperatorDirectory } from './operators.js';
import { RaOrganisations } from './organisations.js';
import { Renewals } from './renewals.js';
import { RevocationRequests } from './revocation-requests.js';
import { SelfService } from './self-service.js';
import { MissingStatusDomain, type CertificateRevoker } from './revocation.js';
import { raDb } from './schema.js';
import { DEFAULT_RA_SETTINGS, type RaSettings } from './settings.js';
import { SubscriberRegistry } from './subscribers.js';

export interface RegistrationAuthorityOptions {
  ca: CertificateAuthority;
  settings?: Partial<RaSettings>;
  /** The status domain's revocation; without it, steps that must revoke refuse to run. */
  revoker?: CertificateRevoker;
  agreements?: AgreementRegistry;
  clock?: () => Date;
  /** R2: encrypts subscriber records at rest; without it they are stored as plain JSON. */
  personalData?: PersonalDataCipher;
  /** Out-of-band notices to subscribers (the service domain's outbox). */
  notices?: SubscriberNotices;
}

/**
 * The RA domain's API: it decides *who* gets a certificate and hands the CA
 * an order whose subject comes from reviewed data (docs/architecture.md, the
 * issuance cycle's step 1).
 */
/** The longest rate-limit window the HTTP doors may use; counts older than that are pruned. */
export const RATE_WINDOW_LIMIT_MS = 86_400_000;

export class RegistrationAuthority {
  readonly settings: RaSettings;
  readonly agreements: AgreementRegistry;
  readonly organisations: RaOrganisations;
  readonly operators: OperatorDirectory;
  readonly subscribers: SubscriberRegistry;
  readonly applications: Applications;
  readonly credentials: DownloadCredentials;
  readonly downloads: Downloads;
  readonly delegations: Delegations;
  readonly changes: ChangeRequests;
  readonly renewals: Renewals;
  readonly revocations: RevocationRequests;
  /** The subscriber's own steps in the portal, with the tracking number and code given at registration. */
  readonly selfService: SelfService;
  /**
   * The HTTP doors' rate-limit counts (issue 16 §3), in the store beside the
   * attempt counts, so every server process on the store shares them.
   */
  readonly requestCounts: AttemptCounter;
  /** Whose each RA object is, for the HTTP authorisation layer (issue 16 §2). */
  readonly ownership: RaOwnership;
  /** For the retention job (src/service/retention.ts): what the RA removes when a subscriber's period is over (R2). */
  readonly personalDataHolder: RaPersonalData;
  /** The console's certificate inventory and dashboard figures, paged and counted in the database. */
  readonly inventory: CertificateInventory;

  constructor(options: RegistrationAuthorityOptions) {
    const clock = options.clock ?? (() => options.ca.now());
    this.settings = { ...DEFAULT_RA_SETTINGS, ...options.settings };
    this.agreements = options.agreements ?? new AgreementRegistry(options.ca.store, clock);
    const context: RaContext = {
      store: options.ca.store,
      db: raDb(options.ca.store),
      ca: options.ca,
      agreements: this.agreements,
      revoker: options.revoker ?? new MissingStatusDomain(),
      settings: this.settings,
      clock,
      personalData: options.personalData,
      notices: options.notices,
    };
    this.organisations = new RaOrganisations(context);
    this.operators = new OperatorDirectory(context);
    this.subscribers = new SubscriberRegistry(context);
    this.credentials = new DownloadCredentials(context);
    this.applications = new Applications(context, this.subscribers, this.credentials);
    this.delegations = new Delegations(context, this.subscribers);
    this.downloads = new Downloads(context, this.credentials, this.subscribers, this.delegations);
    this.changes = new ChangeRequests(context, this.subscribers, this.applications, this.credentials);
    this.renewals = new Renewals(context, this.applications);
    this.revocations = new RevocationRequests(context);
    this.selfService = new SelfService(context, this.subscribers, this.applications, this.changes, this.delegations, this.renewals, this.revocations);
    this.ownership = new RaOwnership(context);
    this.requestCounts = new AttemptCounter(context.db, clock);
    this.personalDataHolder = new RaPersonalData(context);
    this.inventory = new CertificateInventory(context);
  }

  /**
   * Forgets attempt and request counts that mean nothing any more (run by the
   * service round): login counts past their window, cleared counts, counts of
   * locked or replaced credentials and portal access, rate-limit windows
   * that have passed (the longest class window is an hour).
   */
  async pruneAttempts(): Promise<number> {
    return (
      (await this.operators.pruneAttempts()) +
      (await this.credentials.pruneAttempts()) +
      (await this.selfService.pruneAttempts()) +
      (await this.requestCounts.prune('rate:', RATE_WINDOW_LIMIT_MS))
    );
  }
}
