import { CertificationRequest, CertificationRequestInfo, Attributes } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { parseCertificationRequest, provePublicKey, type ProvenPublicKey } from '../ca/certification-request.js';
import type { IssuedCertificate } from '../ca/authority.js';
import { generateSoftwareKey } from '../crypto/software-signer.js';
import { toPem } from '../http/der.js';
import { SignetError } from '../i18n/signet-error.js';
import { audit, type RaContext } from './context.js';
import { identityFor, subjectFor } from './certificate-subject.js';
import { checkRequestedIdentity, namesInRequest, type RequestedNames } from './requested-identity.js';
import { buildSubjectName } from '../ca/subject-name.js';
import type { AgentClaim, Delegations } from './delegations.js';
import type { DownloadCredentials } from './download-credentials.js';
import { buildPkcs12 } from './pkcs12.js';
import type { RaApplicationTable, RaDownloadCredentialTable, RaDelegationTable } from './schema.js';
import type { SubscriberRegistry } from './subscribers.js';

export interface DownloadRequest {
  referenceNumber: string;
  authorizationCode: string;
  /** Present when an agent completes the download for the subscriber (R6). */
  agent?: AgentClaim;
}

export interface DownloadedCertificate {
  serial: string;
  profileId: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  certificatePem: string;
  /** Issuing CA, then root: what the subscriber's container needs to build the path. */
  chainPem: string;
  applicationId: string;
}

/** Key algorithms the server generates, when a profile allows it at all. */
export const SERVER_KEY_ALGORITHMS = ['ecdsa-p256', 'rsa-2048'] as const;
export type ServerKeyAlgorithm = (typeof SERVER_KEY_ALGORITHMS)[number];

const PKCS12_PASSWORD_MIN = 8;

/**
 * R5: download into the subscriber's container. The subscriber's own key
 * pair signs a PKCS#10 request (proof of possession); the certificate says
 * what the officer reviewed. Where the profile allows server-side key
 * generation, the key is made here, sealed into a PKCS#12 under the
 * subscriber's password, returned, and not kept.
 */
export class Downloads {
  constructor(
    private readonly context: RaContext,
    private readonly credentials: DownloadCredentials,
    private readonly subscribers: SubscriberRegistry,
    private readonly delegations: Delegations,
  ) {}

  /**
   * `onlyReviewedNames`: the standard doors (EST, CMP, SCEP) refuse a request
   * naming anything the officer did not review (requested-identity.ts); the
   * REST download takes only the key from the request, as before.
   */
  async withRequest(
    request: DownloadRequest & { csr: Uint8Array | string; onlyReviewedNames?: boolean },
    clientAddress: string | null,
  ): Promise<DownloadedCertificate> {
    // The request is checked before the credential is touched: a bad CSR costs nothing.
    const parsed = parseCertificationRequest(request.csr);
    const key = provePublicKey(parsed);
    const claim = () => this.credentials.claim(request.referenceNumber, request.authorizationCode, (row) => this.settleInterrupted(row));
    return this.download(claim, request, clientAddress, 'subscriber', async () => ({ csr: request.csr, key }), request.onlyReviewedNames ? namesInRequest(parsed) : undefined);
  }

  /**
   * A door that proves the credential with a password-based MAC (CMP,
   * RFC 4210 §5.1.3.1) and the key with its own proof of possession (a CRMF
   * POPO, or a PKCS#10 signature): the claim is the RA's, with the same
   * attempt count; the request may name only what was reviewed.
   */
  async withMacProof(
    request: { referenceNumber: string; proves: (code: string) => boolean; key: ProvenPublicKey; csr?: Uint8Array; names: RequestedNames; proof: string },
    clientAddress: string | null,
  ): Promise<DownloadedCertificate & { credentialId: string }> {
    let credentialId = '';
    const claim = async () => {
      const row = await this.credentials.claimWithMac(request.referenceNumber, request.proves, (r) => this.settleInterrupted(r));
      credentialId = row.id;
      return row;
    };
    const downloaded = await this.download(claim, { proof: request.proof }, clientAddress, 'subscriber', async () => ({ csr: request.csr, key: request.key }), request.names);
    return { ...downloaded, credentialId };
  }

  /**
   * R16 through a standard door (EST simplereenroll, CMP kur, SCEP
   * RenewalReq): the holder proves the certificate being replaced (TLS client
   * authentication or a request signed with its key, checked by the door) in
   * place of the authorization code. The renewal was reviewed and approved
   * like any other; this claims its credential and downloads as usual.
   */
  async withCertificateProof(
    request: { replacedSerial: string; csr?: Uint8Array | string; key?: ProvenPublicKey; names?: RequestedNames; proof: string },
    clientAddress: string | null,
  ): Promise<DownloadedCertificate> {
    // A PKCS#10 request (EST), or a key and names a door proved itself (a CMP kur's CRMF template).
    const parsed = request.csr !== undefined ? parseCertificationRequest(request.csr) : undefined;
    const key = request.key ?? provePublicKey(parsed!);
    const names = request.names ?? namesInRequest(parsed!);
    const application = await this.context.db
      .selectFrom('ra_applications')
      .select('id')
      .where('replaces_serial', '=', request.replacedSerial)
      .where('status', '=', 'approved')
      .executeTakeFirst();
    if (!application) throw new SignetError('ra.no-approved-replacement', 409, { serial: request.replacedSerial }, 'serial');
    // The proof is the replaced certificate: once revoked or expired it proves nothing.
    const replaced = await this.context.ca.certificate(request.replacedSerial);
    if (replaced.not_after <= this.context.clock().toISOString()) throw new SignetError('ra.certificate-expired', 409, { serial: replaced.serial, notAfter: replaced.not_after }, 'serial');
    if (await this.context.revoker.isRevoked(replaced.serial)) throw new SignetError('ra.certificate-revoked', 409, { serial: replaced.serial }, 'serial');
    const claim = () => this.credentials.claimForApplication(application.id);
    return this.download(claim, { proof: request.proof }, clientAddress, 'subscriber', async () => ({ csr: request.csr, key }), names);
  }

  async withServerKey(
    request: DownloadRequest & { password: string; keyAlgorithm?: string },
    clientAddress: string | null,
  ): Promise<DownloadedCertificate & { pkcs12: Buffer }> {
    const password = typeof request.password === 'string' ? request.password : '';
    if ([...password].length < PKCS12_PASSWORD_MIN) throw new SignetError('ra.pkcs12-password-weak', 400, { min: PKCS12_PASSWORD_MIN }, 'password');
    const algorithm = (request.keyAlgorithm ?? 'ecdsa-p256') as ServerKeyAlgorithm;
    if (!SERVER_KEY_ALGORITHMS.includes(algorithm)) {
      throw new SignetError('ra.bad-key-algorithm', 400, { known: SERVER_KEY_ALGORITHMS.join(', ') }, 'keyAlgorithm');
    }
    let pkcs8: Buffer | undefined;
    const claim = () => this.credentials.claim(request.referenceNumber, request.authorizationCode, (row) => this.settleInterrupted(row));
    const downloaded = await this.download(claim, request, clientAddress, 'server', async () => {
      const signer = generateSoftwareKey(algorithm);
      pkcs8 = signer.exportPkcs8();
      const info = new CertificationRequestInfo({
        version: 0,
        subject: new Name([]),
        subjectPKInfo: AsnConvert.parse(signer.publicKeyInfo, SubjectPublicKeyInfo),
        attributes: new Attributes(),
      });
      const signature = await signer.sign(new Uint8Array(AsnConvert.serialize(info)));
      const csr = new Uint8Array(
        AsnConvert.serialize(new CertificationRequest({ certificationRequestInfo: info, signatureAlgorithm: signer.signatureAlgorithm, signature: new Uint8Array(signature).buffer })),
      );
      return { csr, key: provePublicKey(parseCertificationRequest(csr)) };
    });
    const chain = await this.chainOf(downloaded.serial);
    const pkcs12 = buildPkcs12({
      privateKeyPkcs8: pkcs8!,
      certificate: (await this.context.ca.certificate(downloaded.serial)).der,
      chain,
      password,
      friendlyName: downloaded.subject,
    });
    // The only copy of the key leaves in the PKCS#12; the buffer is wiped before returning.
    pkcs8!.fill(0);
    return { ...downloaded, pkcs12 };
  }

  private async download(
    claim: () => Promise<RaDownloadCredentialTable>,
    request: { agent?: AgentClaim; proof?: string },
    clientAddress: string | null,
    keyGeneration: RaApplicationTable['key_generation'],
    keyPair: () => Promise<{ csr?: Uint8Array | string; key: ProvenPublicKey }>,
    namesToCheck?: RequestedNames,
  ): Promise<DownloadedCertificate> {
    const credential = await claim();
    let issued: IssuedCertificate;
    let application: RaApplicationTable;
    let delegation: RaDelegationTable | null = null;
    try {
      application = await this.context.db.selectFrom('ra_applications').selectAll().where('id', '=', credential.application_id).executeTakeFirstOrThrow();
      if (application.status !== 'approved') {
        throw new SignetError('ra.bad-application-state', 409, { status: application.status, expected: 'approved' }, 'referenceNumber');
      }
      if (application.key_generation !== keyGeneration) {
        throw new SignetError('ra.key-generation-mismatch', 409, { chosen: application.key_generation }, 'keyGeneration');
      }
      const now = this.context.clock();
      if (request.agent) delegation = await this.delegations.authorise(application.subscriber_id, request.agent, 'download', now);
      const { csr, key } = await keyPair();
      await this.checkReplacement(application, key);
      const version = await this.subscribers.recordVersion(application.subscriber_id, application.subscriber_version);
      const emails = version.record.type === 'individual' ? [version.record.email] : [];
      if (namesToCheck) {
        const subject = buildSubjectName(subjectFor(version.record), this.context.ca.profiles.get(application.profile_id));
        checkRequestedIdentity(namesToCheck, { subject, emails });
      }
      issued = await this.context.ca.issue({
        csr,
        provenKey: key,
        profileId: application.profile_id,
        subject: subjectFor(version.record),
        identity: identityFor(version.record),
        subjectAltNames: emails.length > 0 ? { email: emails } : undefined,
        subscriberId: application.subscriber_id,
        requestedBy: delegation ? `agent:${delegation.id}` : `subscriber:${application.subscriber_id}`,
        reason: `RA application ${application.id} (${application.kind}), reviewed by ${application.decided_by ?? '?'}`,
      });
    } catch (error) {
      // Nothing was issued: the credential is given back exactly as it was.
      await this.credentials.release(credential);
      if (error instanceof SignetError && error.code === 'ra.delegation-invalid') {
        // R6: a refused agent is on the record too, with what they claimed.
        const now = this.context.clock();
        await this.context.db.transaction().execute((trx) =>
          audit(
            this.context,
            trx,
            {
              actor: `agent-claim:${String(request.agent?.delegationId ?? '-')}`,
              action: 'ra.agent-refused',
              target: `application:${credential.application_id}`,
              details: { why: error.params.why, clientAddress },
            },
            now,
          ),
        );
      }
      throw error;
    }
    await this.complete(application, credential, issued, delegation, clientAddress, false, request.proof);
    await this.afterCompletion(application, issued.serial);
    return {
      serial: issued.serial,
      profileId: issued.profileId,
      subject: issued.subject,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      certificatePem: toPem('CERTIFICATE', issued.der),
      chainPem: (await this.chainOf(issued.serial)).map((der) => toPem('CERTIFICATE', der)).join(''),
      applicationId: application.id,
    };
  }

  /** R16: a re-keyed certificate replaces the old one, which is revoked as superseded. */
  private async afterCompletion(application: RaApplicationTable, serial: string): Promise<void> {
    if (application.kind === 'rekey' && application.replaces_serial) {
      await this.context.revoker.revokeCertificate({
        serial: application.replaces_serial,
        reason: 'superseded',
        actor: `ra:${application.ra_id}`,
        justification: `re-keyed as ${serial} through RA application ${application.id}`,
      });
    }
  }

  /**
   * Crash recovery for downloads (issue 16): a credential is claimed, then
   * the CA issues under an intent whose reason names the application, then
   * the application is completed. A process killed in between leaves the
   * credential 'used' and the application 'approved'. The CA's intent journal
   * says what happened: an issued intent means the certificate exists, and
   * the application is completed with it (the subscriber can fetch it in the
   * portal); no intent, or only abandoned ones, means nothing was issued, and
   * the credential is given back. A claim younger than the download lease may
   * still be running in another process and is left alone, as is a pending
   * intent (the CA settles it first). Run at start and when the right code
   * finds its credential claimed.
   */
  async recoverInterrupted(): Promise<{ completed: string[]; released: string[] }> {
    const stuck = await this.context.db
      .selectFrom('ra_download_credentials')
      .innerJoin('ra_applications', 'ra_applications.id', 'ra_download_credentials.application_id')
      .selectAll('ra_download_credentials')
      .where('ra_download_credentials.status', '=', 'used')
      .where('ra_applications.status', '=', 'approved')
      .execute();
    const completed: string[] = [];
    const released: string[] = [];
    for (const row of stuck) {
      const outcome = await this.settle(row);
      if (outcome === 'completed') completed.push(row.id);
      if (outcome === 'released') released.push(row.id);
    }
    return { completed, released };
  }

  /** For claim(): true when the interrupted download was undone and the credential may be claimed again. */
  private async settleInterrupted(row: RaDownloadCredentialTable): Promise<boolean> {
    const outcome = await this.settle(row);
    if (outcome === 'running') throw new SignetError('ra.credential-in-progress', 409, { seconds: this.context.settings.downloadLeaseSeconds }, 'referenceNumber');
    return outcome === 'released';
  }

  private async settle(row: RaDownloadCredentialTable): Promise<'completed' | 'released' | 'running' | 'done'> {
    const application = await this.context.db.selectFrom('ra_applications').selectAll().where('id', '=', row.application_id).executeTakeFirstOrThrow();
    if (application.status !== 'approved') return 'done';
    // The intents table is the CA's journal; the RA only reads which of its applications reached it.
    const intents = await this.context.store.db
      .selectFrom('issuance_intents')
      .select(['serial', 'state'])
      .where('reason', 'like', `RA application ${application.id} %`)
      .execute();
    const issued = intents.find((i) => i.state === 'issued');
    if (issued) {
      const certificate = await this.context.ca.certificate(issued.serial);
      const done = await this.complete(
        application,
        row,
        {
          serial: certificate.serial,
          der: certificate.der,
          issuerCaId: certificate.issuer_ca_id,
          profileId: certificate.profile_id,
          subject: certificate.subject,
          notBefore: certificate.not_before,
          notAfter: certificate.not_after,
        },
        null,
        null,
        true,
      );
      if (done) await this.afterCompletion(application, certificate.serial);
      return 'completed';
    }
    const now = this.context.clock();
    const leaseEnds = Date.parse(row.used_at ?? '') + this.context.settings.downloadLeaseSeconds * 1000;
    if (intents.some((i) => i.state === 'pending') || !(now.getTime() >= leaseEnds)) return 'running';
    if (!(await this.credentials.release(row))) return 'done';
    await this.context.db.transaction().execute((trx) =>
      audit(
        this.context,
        trx,
        { actor: 'system:recovery', action: 'ra.credential-released', target: `application:${application.id}`, details: { credential: row.id, claimedAt: row.used_at, why: 'download interrupted before a certificate was issued' } },
        now,
      ),
    );
    return 'released';
  }

  /** Renewal keeps the key; re-key must bring a new one (R16). */
  private async checkReplacement(application: RaApplicationTable, key: ProvenPublicKey): Promise<void> {
    if (!application.replaces_serial || application.kind === 'reissue') return;
    const old = await this.context.ca.certificate(application.replaces_serial);
    if (application.kind === 'renewal' && old.spki_sha256 !== key.spkiSha256) throw new SignetError('ra.renewal-needs-same-key', 400, {}, 'csr');
    if (application.kind === 'rekey' && old.spki_sha256 === key.spkiSha256) throw new SignetError('ra.rekey-needs-new-key', 400, {}, 'csr');
  }

  /**
   * The application is completed with its certificate; the first download
   * also records the subscriber's acceptance of the agreement in force, with
   * channel "download" (R0).
   */
  private async complete(
    application: RaApplicationTable,
    credential: RaDownloadCredentialTable,
    issued: IssuedCertificate,
    delegation: RaDelegationTable | null,
    clientAddress: string | null,
    recovered = false,
    proof?: string,
  ): Promise<boolean> {
    const now = this.context.clock();
    const actor = delegation ? `agent:${delegation.id}` : `subscriber:${application.subscriber_id}`;
    const current = await this.context.agreements.current(now);
    const earlier = await this.context.agreements.acceptances(application.subscriber_id);
    const firstDownload = current !== null && !earlier.some((a) => a.channel === 'download' && a.versionId === current.id);
    return this.context.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('ra_applications')
        .set({ status: 'completed', certificate_serial: issued.serial })
        .where('id', '=', application.id)
        .where('status', '=', 'approved')
        .executeTakeFirst();
      // Completed already (recovery and a slow download both reaching here): once is enough.
      if (Number(updated.numUpdatedRows) !== 1) return false;
      await audit(
        this.context,
        trx,
        {
          actor,
          action: 'ra.certificate-downloaded',
          target: `application:${application.id}`,
          details: { serial: issued.serial, credential: credential.id, delegation: delegation?.id ?? null, clientAddress, ...(recovered ? { recovered: true } : {}), ...(proof ? { proof } : {}) },
        },
        now,
      );
      // A recovered download never reached the subscriber: their acceptance waits for one that does.
      if (firstDownload && !recovered) {
        await this.context.agreements.recordAcceptance(
          trx,
          { versionId: current.id, subscriberId: application.subscriber_id, raId: application.ra_id, channel: 'download', clientAddress, recordedBy: actor },
          now,
        );
      }
      return true;
    });
  }

  private async chainOf(serial: string): Promise<Buffer[]> {
    const certificate = await this.context.ca.certificate(serial);
    const chain: Buffer[] = [];
    let caId: string | null = certificate.issuer_ca_id;
    while (caId) {
      const authority = await this.context.ca.authority(caId);
      chain.push(authority.certificateDer);
      caId = authority.parentId;
    }
    return chain;
  }
}
