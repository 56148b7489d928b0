import { randomUUID } from 'node:crypto';
import type { CertificateAuthority } from '../ca/authority.js';
import type { DelegatedSigners } from '../ca/delegated-signers.js';
import { CrlPublisher, DEFAULT_CRL_SCHEDULE, type CrlSchedule, type PublishedCrl } from './crl-publisher.js';
import { tryTakeLease } from './lease.js';
import { OcspResponder, type OcspOptions } from './ocsp-responder.js';
import { runRootCeremony, rootStatusHorizon, type RootCeremonyResult } from './root-ceremony.js';
import { publicStatusBySerial, publicStatusOfCertificate, type PublicCertificateStatus } from './public-status.js';
import { findRevocation, revokeCertificate, type Revocation, type RevocationListener, type RevocationRequest } from './revocation.js';

export interface StatusOptions {
  publicUrl: string;
  crl?: Partial<CrlSchedule>;
  ocsp?: Partial<OcspOptions>;
  /** The composition root's delegated signers (one list per node, invalidated on rollover). */
  signers?: DelegatedSigners;
}

/**
 * The status domain's API (R7, R14, R15, R16): revocation, CRLs, OCSP and
 * the public lookup, over the CA's certificates.
 */
export class StatusService {
  readonly crls: CrlPublisher;
  readonly ocsp: OcspResponder;
  /** This process, as a lease holder. */
  readonly nodeId = `node-${randomUUID()}`;

  constructor(
    readonly ca: CertificateAuthority,
    options: StatusOptions,
  ) {
    this.crls = new CrlPublisher(ca, options.publicUrl, { ...DEFAULT_CRL_SCHEDULE, ...options.crl });
    this.ocsp = new OcspResponder(ca, options.ocsp, options.signers);
    this.listeners = [(serial) => this.ocsp.revoked(serial)];
  }

  /** Who hears of this process's revocations the moment they commit: its own OCSP responder (other nodes poll, docs/status.md). */
  private readonly listeners: RevocationListener[];

  /**
   * Revokes for ever; this node's OCSP says so before this returns (R7). Every
   * path that revokes (the RA, the portal, an objection to the agreement) comes
   * through here: the composition root wires them to this service.
   */
  revokeCertificate(request: RevocationRequest): Promise<Revocation> {
    return revokeCertificate(this.ca, request, this.listeners);
  }

  /** The root key ceremony: the root's CRL and OCSP responses for what it signed (docs/operations.md). */
  rootCeremony(options: { caId?: string; nextUpdateDays?: number; actor: string }): Promise<RootCeremonyResult> {
    return runRootCeremony(this.ca, this.crls, options);
  }

  /** When the root's ceremony output runs out: for health and metrics. */
  rootStatusHorizon(rootId: string): ReturnType<typeof rootStatusHorizon> {
    return rootStatusHorizon(this.ca, this.crls, rootId);
  }

  revocation(serial: string): Promise<Revocation | null> {
    return findRevocation(this.ca, serial);
  }

  /**
   * R14: the archived, signed CRL that was in force at `time`: with `distributionPoints` (the certificate's
   * cRLDistributionPoints URIs) naming one of this CA's partitions, that partition's CRL (small at any
   * population; its issuingDistributionPoint names the same URI), else, or when none was published by then,
   * the full CRL.
   */
  async crlInForceAt(caId: string, time: Date, distributionPoints: string[] = []): Promise<PublishedCrl | null> {
    for (const uri of distributionPoints) {
      const partition = this.crls.partitionNamedBy(caId, uri);
      const shard = partition ? await this.crls.partitionInForceAt(caId, partition, time) : null;
      if (shard) return shard;
    }
    return this.crls.inForceAt(caId, time);
  }

  /** Where the archive serves a CRL by number (see CrlPublisher.archiveUrl). */
  crlLocation(caId: string, crlNumber: number): string {
    return this.crls.archiveUrl(caId, crlNumber);
  }

  publicStatus(serial: string): Promise<PublicCertificateStatus> {
    return publicStatusBySerial(this.ca, serial);
  }

  publicStatusOfCertificate(upload: Buffer | string): Promise<PublicCertificateStatus> {
    return publicStatusOfCertificate(this.ca, upload);
  }

  /**
   * One round of background work, on the node holding the lease: CRLs that
   * are missing or due within `marginMs`, OCSP responses about to go stale,
   * stale ones dropped, and answers signed ahead for certificates not asked about yet.
   */
  async scheduledWork(marginMs = 3_600_000): Promise<{ crls: number; ocsp: number; presigned: number; pruned: number } | null> {
    if (!(await tryTakeLease(this.ca.store, 'status-publisher', this.nodeId, 10 * 60_000))) return null;
    const crls = await this.crls.publishDue('system:crl-schedule', marginMs);
    const ocsp = await this.ocsp.refreshStale();
    // Answers past their nextUpdate go, then certificates without a fresh answer get one signed ahead (issue 22).
    const pruned = await this.ocsp.pruneStale();
    const presigned = await this.ocsp.presignCold();
    return { crls: crls.length, ocsp, presigned, pruned };
  }

  /** Runs `scheduledWork` every `intervalMs` (unref'd: it never keeps the process alive). */
  startSchedule(intervalMs = 5 * 60_000, onError: (error: unknown) => void = () => undefined): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.scheduledWork()
        .catch(onError)
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
