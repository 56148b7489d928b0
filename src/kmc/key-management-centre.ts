import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { appendAuditEntry } from '../audit/audit-log.js';
import { OID } from '../crypto/algorithms.js';
import { KeyEnvelopeError, openPrivateKey, sealPrivateKey } from '../crypto/key-envelope.js';
import { verifySignature } from '../crypto/signature-verification.js';
import { Sm2KeyError, decodeSm2Pkcs8, encodeSm2Pkcs8, generateSm2KeyPair, sm2PublicKeyFromInfo, sm2PublicKeyInfo, type Sm2KeyPair } from '../crypto/sm2-key.js';
import { Sm2Signer } from '../crypto/sm2-signer.js';
import { SignetError } from '../i18n/signet-error.js';
import type { SignetDatabase, Tx } from '../store/database.js';
import { openMessage, signMessage, type KmcRequest, type KmcResponse, type SignedMessage } from './kmc-protocol.js';
import { kmcDb, type KmcDatabase, type KmcOperatorTable, type KmcRecoveryTable, type KmcTx } from './schema.js';
import { envelopeSm2PrivateKey, openSm2EnvelopedKey } from './sm2-enveloped-key.js';

export interface KeyManagementCentreOptions {
  store: SignetDatabase;
  /** The KMC's own key passphrase (R21); in a separate deployment, not the CA's. */
  passphrase: () => string;
  clock?: () => Date;
}

export type RecoveryKind = 'subscriber' | 'judicial';

/** Who may approve which recovery: the subscriber's own by recovery officers, a court's by judicial officers. */
const APPROVER_ROLE: Record<RecoveryKind, KmcOperatorTable['role']> = {
  subscriber: 'recovery-officer',
  judicial: 'judicial-officer',
};
const APPROVALS_NEEDED = 2;
const CLOCK_SKEW_MS = 5 * 60_000;

export interface RecoveryRequest {
  escrowId?: string;
  certificateSerial?: string;
  kind: RecoveryKind;
  requestedBy: string;
  justification: string;
  /** DER SPKI of the SM2 key the recovered key is enveloped to (the subscriber's new signing key, or the court's key). */
  deliverTo: Uint8Array;
}

export interface RecoveryApproval {
  recoveryId: string;
  state: 'pending' | 'delivered';
  approvals: number;
  /** DER SM2EnvelopedKey, once the second approval is in. */
  envelopedKey?: Buffer;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The key management centre (GM/T 0034, GB/T 25056): it generates SM2
 * encryption key pairs for dual certificates, escrows the private key as an
 * SM2EnvelopedKey to its own escrow key, delivers it enveloped to the
 * subscriber's signing key, and recovers it only with two authorised
 * operators' signed approvals. It answers CAs through signed messages only
 * (kmc-protocol.ts) and keeps its own keys and tables.
 */
export class KeyManagementCentre {
  static readonly SENDER = 'kmc';
  private readonly db: ReturnType<typeof kmcDb>;
  private readonly clock: () => Date;
  private keys?: Promise<{ signer: Sm2Signer; escrowId: string; escrow: Sm2KeyPair }>;

  constructor(private readonly options: KeyManagementCentreOptions) {
    this.db = kmcDb(options.store);
    this.clock = options.clock ?? (() => new Date());
  }

  private audit(trx: KmcTx, actor: string, action: string, target: string, details: Record<string, unknown>): Promise<unknown> {
    return appendAuditEntry(trx as unknown as Tx, this.options.store.dialect, { actor, action, target, details }, this.clock());
  }

  /** Creates the KMC's signing key and escrow key, sealed (R21). Once. */
  async initialise(actor: string): Promise<{ signingPublicKeyInfo: Uint8Array }> {
    const existing = await this.db.selectFrom('kmc_keys').select('id').where('active', '=', 1).executeTakeFirst();
    if (existing) throw new SignetError('kmc.already-initialised', 409);
    return this.createKeys(actor, 'kmc.key-created');
  }

  /**
   * New signing and escrow keys; the old ones stay, inactive, so keys
   * escrowed under the old escrow key can still be recovered. CAs must be
   * given the new signing key (their KmcClient.publicKeyInfo).
   */
  async rotateKeys(actor: string): Promise<{ signingPublicKeyInfo: Uint8Array }> {
    const existing = await this.db.selectFrom('kmc_keys').select('id').where('active', '=', 1).executeTakeFirst();
    if (!existing) throw new SignetError('kmc.not-initialised', 409);
    return this.createKeys(actor, 'kmc.key-rotated');
  }

  private async createKeys(actor: string, action: string): Promise<{ signingPublicKeyInfo: Uint8Array }> {
    const at = this.clock().toISOString();
    const created = { signing: generateSm2KeyPair(), escrow: generateSm2KeyPair() };
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('kmc_keys').set({ active: 0 }).where('active', '=', 1).execute();
      for (const purpose of ['signing', 'escrow'] as const) {
        const id = `kmc-${purpose}-${randomBytes(4).toString('hex')}`;
        const key = created[purpose];
        await trx
          .insertInto('kmc_keys')
          .values({
            id,
            purpose,
            public_key_info: Buffer.from(sm2PublicKeyInfo(key.publicKey)),
            encrypted_private_key: sealPrivateKey(encodeSm2Pkcs8(key), this.options.passphrase(), id),
            active: 1,
            created_at: at,
          })
          .execute();
        await this.audit(trx, actor, action, `kmc-key:${id}`, { purpose, spkiSha256: sha256(sm2PublicKeyInfo(key.publicKey)) });
      }
    });
    this.keys = undefined;
    return { signingPublicKeyInfo: sm2PublicKeyInfo(created.signing.publicKey) };
  }

  private ownKeys(): Promise<{ signer: Sm2Signer; escrowId: string; escrow: Sm2KeyPair }> {
    this.keys ??= (async () => {
      const rows = await this.db.selectFrom('kmc_keys').selectAll().where('active', '=', 1).orderBy('created_at', 'desc').execute();
      const signing = rows.find((r) => r.purpose === 'signing');
      const escrow = rows.find((r) => r.purpose === 'escrow');
      if (!signing || !escrow) throw new SignetError('kmc.not-initialised', 409);
      const open = (id: string, sealed: string) => {
        try {
          return openPrivateKey(sealed, this.options.passphrase(), id);
        } catch (error) {
          if (error instanceof KeyEnvelopeError) throw new SignetError('ca.key-unavailable', 500, { owner: id });
          throw error;
        }
      };
      return {
        signer: Sm2Signer.fromPkcs8(open(signing.id, signing.encrypted_private_key)),
        escrowId: escrow.id,
        escrow: decodeSm2Pkcs8(open(escrow.id, escrow.encrypted_private_key)),
      };
    })();
    this.keys.catch(() => (this.keys = undefined));
    return this.keys;
  }

  /** The key a CA checks KMC responses with. */
  async signingPublicKeyInfo(): Promise<Uint8Array> {
    return (await this.ownKeys()).signer.publicKeyInfo;
  }

  /** Registers a CA whose signed requests this KMC answers. */
  async trustCa(caId: string, publicKeyInfo: Uint8Array, actor: string, distinguishingId?: string): Promise<void> {
    const at = this.clock().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('kmc_trusted_cas')
        .values({ ca_id: caId, public_key_info: Buffer.from(publicKeyInfo), distinguishing_id: distinguishingId ?? null, registered_by: actor, registered_at: at })
        .execute();
      await this.audit(trx, actor, 'kmc.ca-trusted', `ca:${caId}`, { spkiSha256: sha256(publicKeyInfo) });
    });
  }

  /** One signed request from a CA, one signed response (kmc-protocol.ts). */
  async handle(message: SignedMessage): Promise<SignedMessage> {
    const sender = typeof message?.sender === 'string' ? message.sender : '';
    const ca = await this.db.selectFrom('kmc_trusted_cas').selectAll().where('ca_id', '=', sender).executeTakeFirst();
    if (!ca) throw new SignetError('kmc.untrusted-ca', 403, { caId: sender });
    const request = openMessage<KmcRequest>(message, ca.public_key_info, ca.distinguishing_id ?? undefined);
    if (request.caId !== ca.ca_id) throw new SignetError('kmc.bad-request', 400, { detail: 'caId differs from the sender' });
    if (typeof request.requestId !== 'string' || request.requestId.length < 8 || request.requestId.length > 100) {
      throw new SignetError('kmc.bad-request', 400, { detail: 'requestId must be 8 to 100 characters' });
    }
    const issuedAt = new Date(request.issuedAt);
    if (Number.isNaN(issuedAt.getTime())) throw new SignetError('kmc.bad-request', 400, { detail: 'issuedAt is not a time' });
    if (Math.abs(issuedAt.getTime() - this.clock().getTime()) > CLOCK_SKEW_MS) {
      throw new SignetError('kmc.stale-request', 400, { issuedAt: request.issuedAt, minutes: CLOCK_SKEW_MS / 60_000 });
    }
    const keys = await this.ownKeys();
    let response: KmcResponse;
    switch (request.type) {
      case 'generate-encryption-key':
        response = await this.generateEncryptionKey(request, keys);
        break;
      case 'bind-certificate':
        response = await this.bindCertificate(request);
        break;
      default:
        throw new SignetError('kmc.bad-request', 400, { detail: `unknown request type ${(request as { type?: unknown }).type}` });
    }
    return signMessage(KeyManagementCentre.SENDER, keys.signer, response);
  }

  private async recordRequest(trx: KmcTx, request: KmcRequest): Promise<void> {
    const seen = await trx.selectFrom('kmc_requests').select('request_id').where('request_id', '=', request.requestId).executeTakeFirst();
    if (seen) throw new SignetError('kmc.replayed-request', 409, { requestId: request.requestId });
    await trx
      .insertInto('kmc_requests')
      .values({ request_id: request.requestId, ca_id: request.caId, type: request.type, received_at: this.clock().toISOString() })
      .execute();
  }

  private async generateEncryptionKey(
    request: Extract<KmcRequest, { type: 'generate-encryption-key' }>,
    keys: { escrowId: string; escrow: Sm2KeyPair },
  ): Promise<KmcResponse> {
    if (request.keyAlgorithm !== 'sm2') throw new SignetError('kmc.bad-request', 400, { detail: 'only SM2 encryption keys are generated' });
    if (typeof request.holder !== 'string' || request.holder.length === 0) throw new SignetError('kmc.bad-request', 400, { detail: 'holder is missing' });
    const signingSpki = Buffer.from(String(request.signingPublicKeyInfo ?? ''), 'base64');
    let signingPoint: string;
    try {
      signingPoint = sm2PublicKeyFromInfo(signingSpki);
    } catch (error) {
      throw new SignetError('kmc.bad-request', 400, { detail: `signingPublicKeyInfo: ${(error as Sm2KeyError).message}` });
    }
    const pair = generateSm2KeyPair();
    const spki = Buffer.from(sm2PublicKeyInfo(pair.publicKey));
    const escrowEnvelope = envelopeSm2PrivateKey(pair.privateKey, pair.publicKey, keys.escrow.publicKey);
    const delivered = envelopeSm2PrivateKey(pair.privateKey, pair.publicKey, signingPoint);
    const escrowId = randomUUID();
    await this.db.transaction().execute(async (trx) => {
      await this.recordRequest(trx, request);
      await trx
        .insertInto('kmc_escrowed_keys')
        .values({
          id: escrowId,
          ca_id: request.caId,
          holder: request.holder,
          public_key_info: spki,
          spki_sha256: sha256(spki),
          escrow_key_id: keys.escrowId,
          escrow_envelope: escrowEnvelope,
          delivered_to_sha256: sha256(signingSpki),
          certificate_serial: null,
          created_at: this.clock().toISOString(),
        })
        .execute();
      await this.audit(trx, `ca:${request.caId}`, 'kmc.key-generated', `escrow:${escrowId}`, {
        requestId: request.requestId,
        holder: request.holder,
        spkiSha256: sha256(spki),
        deliveredTo: sha256(signingSpki),
      });
    });
    return {
      type: 'encryption-key',
      requestId: request.requestId,
      escrowId,
      encryptionPublicKeyInfo: spki.toString('base64'),
      envelopedKey: delivered.toString('base64'),
    };
  }

  private async bindCertificate(request: Extract<KmcRequest, { type: 'bind-certificate' }>): Promise<KmcResponse> {
    if (typeof request.certificateSerial !== 'string' || !/^[0-9a-f]{2,64}$/.test(request.certificateSerial)) {
      throw new SignetError('kmc.bad-request', 400, { detail: 'certificateSerial must be lower-case hex' });
    }
    await this.db.transaction().execute(async (trx) => {
      await this.recordRequest(trx, request);
      const updated = await trx
        .updateTable('kmc_escrowed_keys')
        .set({ certificate_serial: request.certificateSerial })
        .where('id', '=', String(request.escrowId))
        .where('ca_id', '=', request.caId)
        .where('certificate_serial', 'is', null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw new SignetError('kmc.unknown-escrow', 404, { escrowId: request.escrowId });
      await this.audit(trx, `ca:${request.caId}`, 'kmc.certificate-bound', `escrow:${request.escrowId}`, { serial: request.certificateSerial });
    });
    return { type: 'certificate-bound', requestId: request.requestId, escrowId: request.escrowId };
  }

  async registerOperator(operator: { id: string; name: string; role: KmcOperatorTable['role']; publicKeyInfo: Uint8Array }, actor: string): Promise<void> {
    try {
      sm2PublicKeyFromInfo(operator.publicKeyInfo);
    } catch (error) {
      throw new SignetError('kmc.bad-request', 400, { detail: `operator key: ${(error as Error).message}` }, 'publicKeyInfo');
    }
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('kmc_operators')
        .values({ id: operator.id, name: operator.name, role: operator.role, public_key_info: Buffer.from(operator.publicKeyInfo), created_at: this.clock().toISOString() })
        .execute();
      await this.audit(trx, actor, 'kmc.operator-registered', `kmc-operator:${operator.id}`, { role: operator.role, spkiSha256: sha256(operator.publicKeyInfo) });
    });
  }

  /** Opens a recovery; nothing is recovered until two authorised operators have signed its statement. */
  async requestRecovery(request: RecoveryRequest): Promise<{ recoveryId: string; statement: Buffer }> {
    if (request.kind !== 'subscriber' && request.kind !== 'judicial') throw new SignetError('kmc.bad-request', 400, { detail: 'kind must be subscriber or judicial' }, 'kind');
    if (!request.justification?.trim()) throw new SignetError('kmc.justification-required', 400, {}, 'justification');
    try {
      sm2PublicKeyFromInfo(request.deliverTo);
    } catch (error) {
      throw new SignetError('kmc.bad-recipient', 400, { detail: (error as Error).message }, 'deliverTo');
    }
    let query = this.db.selectFrom('kmc_escrowed_keys').select('id');
    query = request.escrowId ? query.where('id', '=', request.escrowId) : query.where('certificate_serial', '=', request.certificateSerial ?? '');
    const escrow = await query.executeTakeFirst();
    if (!escrow) throw new SignetError('kmc.unknown-escrow', 404, { escrowId: request.escrowId ?? request.certificateSerial ?? '' });
    const recovery: KmcRecoveryTable = {
      id: randomUUID(),
      escrow_id: escrow.id,
      kind: request.kind,
      requested_by: request.requestedBy,
      justification: request.justification.trim(),
      deliver_to: Buffer.from(request.deliverTo),
      state: 'pending',
      created_at: this.clock().toISOString(),
      delivered_at: null,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('kmc_recoveries').values(recovery).execute();
      await this.audit(trx, request.requestedBy, 'kmc.recovery-requested', `kmc-recovery:${recovery.id}`, {
        escrowId: escrow.id,
        kind: request.kind,
        justification: recovery.justification,
        deliverTo: sha256(request.deliverTo),
      });
    });
    return { recoveryId: recovery.id, statement: recoveryStatement(recovery) };
  }

  /**
   * One operator's approval: their SM2 signature (default ID) over the
   * recovery statement. The second distinct authorised approval delivers.
   */
  async approveRecovery(recoveryId: string, operatorId: string, signature: Uint8Array): Promise<RecoveryApproval> {
    const recovery = await this.db.selectFrom('kmc_recoveries').selectAll().where('id', '=', recoveryId).executeTakeFirst();
    if (!recovery) throw new SignetError('kmc.unknown-recovery', 404, { recoveryId });
    if (recovery.state !== 'pending') throw new SignetError('kmc.recovery-closed', 409, { recoveryId });
    const operator = await this.db.selectFrom('kmc_operators').selectAll().where('id', '=', operatorId).executeTakeFirst();
    if (!operator) throw new SignetError('kmc.unknown-operator', 404, { operatorId });
    if (operator.role !== APPROVER_ROLE[recovery.kind]) {
      throw new SignetError('kmc.operator-not-authorised', 403, { operatorId, role: operator.role, kind: recovery.kind });
    }
    const check = verifySignature(operator.public_key_info, new AlgorithmIdentifier({ algorithm: OID.sm3WithSm2 }), recoveryStatement(recovery), signature);
    if (!check.ok) throw new SignetError('kmc.bad-approval-signature', 403, { operatorId });
    const keys = await this.ownKeys();
    const at = this.clock().toISOString();
    return this.db.transaction().execute(async (trx) => {
      const already = await trx
        .selectFrom('kmc_recovery_approvals')
        .select('operator_id')
        .where('recovery_id', '=', recoveryId)
        .execute();
      if (already.some((a) => a.operator_id === operatorId)) throw new SignetError('kmc.duplicate-approval', 409, { operatorId });
      await trx.insertInto('kmc_recovery_approvals').values({ recovery_id: recoveryId, operator_id: operatorId, signature: Buffer.from(signature), approved_at: at }).execute();
      await this.audit(trx, `kmc-operator:${operatorId}`, 'kmc.recovery-approved', `kmc-recovery:${recoveryId}`, { kind: recovery.kind });
      const approvals = already.length + 1;
      if (approvals < APPROVALS_NEEDED) return { recoveryId, state: 'pending' as const, approvals };

      const closed = await trx
        .updateTable('kmc_recoveries')
        .set({ state: 'delivered', delivered_at: at })
        .where('id', '=', recoveryId)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      if (Number(closed.numUpdatedRows) !== 1) throw new SignetError('kmc.recovery-closed', 409, { recoveryId });
      const escrow = await trx.selectFrom('kmc_escrowed_keys').selectAll().where('id', '=', recovery.escrow_id).executeTakeFirstOrThrow();
      const escrowKey = escrow.escrow_key_id === keys.escrowId ? keys.escrow : await this.retiredEscrowKey(trx, escrow.escrow_key_id);
      const pair = openSm2EnvelopedKey(escrow.escrow_envelope, escrowKey.privateKey);
      const envelopedKey = envelopeSm2PrivateKey(pair.privateKey, pair.publicKey, sm2PublicKeyFromInfo(recovery.deliver_to));
      await this.audit(trx, 'system:kmc', 'kmc.key-recovered', `escrow:${escrow.id}`, {
        recoveryId,
        kind: recovery.kind,
        approvers: [...already.map((a) => a.operator_id), operatorId],
        deliverTo: sha256(recovery.deliver_to),
        certificateSerial: escrow.certificate_serial,
      });
      return { recoveryId, state: 'delivered' as const, approvals, envelopedKey };
    });
  }

  private async retiredEscrowKey(trx: KmcTx, id: string): Promise<Sm2KeyPair> {
    const row = await trx.selectFrom('kmc_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return decodeSm2Pkcs8(openPrivateKey(row.encrypted_private_key, this.options.passphrase(), id));
  }
}

/** What an operator signs to approve a recovery: every fact of it, so an approval cannot be moved to another. */
export function recoveryStatement(recovery: Pick<KmcRecoveryTable, 'id' | 'escrow_id' | 'kind' | 'deliver_to' | 'justification'>): Buffer {
  return Buffer.from(
    JSON.stringify({
      statement: 'signet-kmc-key-recovery-approval',
      recoveryId: recovery.id,
      escrowId: recovery.escrow_id,
      kind: recovery.kind,
      deliverTo: sha256(recovery.deliver_to),
      justification: recovery.justification,
    }),
    'utf8',
  );
}

export type { KmcDatabase };
