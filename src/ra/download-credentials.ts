import { randomUUID } from 'node:crypto';
import { SignetError } from '../i18n/signet-error.js';
import { audit, DAY_MS, type RaContext } from './context.js';
import type { RaDownloadCredentialTable, RaTx } from './schema.js';
import { hashSecret, randomCode, randomDigits, verifySecret } from './secrets.js';

/** What the subscriber receives once, on paper or by SMS: never stored in clear. */
export interface DownloadCredential {
  referenceNumber: string;
  authorizationCode: string;
  expiresAt: string;
}

/**
 * R4: the download credential (CFCA's 参考号 + 授权码). The reference number
 * finds it; the authorization code proves it, stored only as a scrypt hash.
 * It is used once, expires, and locks after too many wrong codes.
 */
export class DownloadCredentials {
  constructor(private readonly context: RaContext) {}

  /** Inside the approval's transaction; any earlier unused credential of the application is superseded. */
  async issue(trx: RaTx, applicationId: string, now: Date, actor: string): Promise<DownloadCredential> {
    const referenceNumber = randomDigits(16);
    const authorizationCode = randomCode(12);
    const expiresAt = new Date(now.getTime() + this.context.settings.credentialLifetimeDays * DAY_MS).toISOString();
    await trx
      .updateTable('ra_download_credentials')
      .set({ status: 'superseded' })
      .where('application_id', '=', applicationId)
      .where('status', '=', 'issued')
      .execute();
    const id = randomUUID();
    await trx
      .insertInto('ra_download_credentials')
      .values({
        id,
        application_id: applicationId,
        reference_number: referenceNumber,
        code_hash: await hashSecret(authorizationCode),
        status: 'issued',
        failed_attempts: 0,
        expires_at: expiresAt,
        created_at: now.toISOString(),
        used_at: null,
      })
      .execute();
    await audit(this.context, trx, { actor, action: 'ra.credential-issued', target: `application:${applicationId}`, details: { credential: id, referenceNumber, expiresAt } }, now);
    return { referenceNumber, authorizationCode, expiresAt };
  }

  /**
   * Checks a credential and claims it for one download: afterwards it is
   * 'used' and nobody else can claim it. A wrong code counts (and the last
   * allowed one locks); every other refusal changes nothing.
   */
  async claim(referenceNumberInput: string, authorizationCode: string): Promise<RaDownloadCredentialTable> {
    const { db, settings } = this.context;
    const referenceNumber = String(referenceNumberInput ?? '').replace(/\s+/g, '');
    if (!/^\d{16}$/.test(referenceNumber)) throw new SignetError('ra.credential-unknown', 404, {}, 'referenceNumber');
    const row = await db.selectFrom('ra_download_credentials').selectAll().where('reference_number', '=', referenceNumber).executeTakeFirst();
    if (!row) throw new SignetError('ra.credential-unknown', 404, {}, 'referenceNumber');
    const now = this.context.clock();
    if (row.status === 'used') throw new SignetError('ra.credential-used', 409, {}, 'referenceNumber');
    if (row.status === 'locked') throw new SignetError('ra.credential-locked', 423, {}, 'referenceNumber');
    if (row.status === 'superseded') throw new SignetError('ra.credential-superseded', 410, {}, 'referenceNumber');
    if (row.expires_at <= now.toISOString()) throw new SignetError('ra.credential-expired', 410, { expiredAt: row.expires_at }, 'referenceNumber');

    const code = String(authorizationCode ?? '').replace(/[\s-]/g, '').toUpperCase();
    if (!(await verifySecret(code, row.code_hash))) {
      const attempts = row.failed_attempts + 1;
      const lock = attempts >= settings.credentialMaxAttempts;
      await db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('ra_download_credentials')
          .set({ failed_attempts: attempts, status: lock ? 'locked' : 'issued' })
          .where('id', '=', row.id)
          .where('status', '=', 'issued')
          .where('failed_attempts', '=', row.failed_attempts)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) return;
        await audit(
          this.context,
          trx,
          { actor: 'subscriber:credential-holder', action: lock ? 'ra.credential-locked' : 'ra.credential-wrong-code', target: `application:${row.application_id}`, details: { credential: row.id, attempts } },
          now,
        );
      });
      if (lock) throw new SignetError('ra.credential-locked', 423, {}, 'authorizationCode');
      throw new SignetError('ra.credential-wrong-code', 403, { remaining: settings.credentialMaxAttempts - attempts }, 'authorizationCode');
    }
    // Claimed atomically: of two simultaneous downloads with the same credential, one wins.
    const claimed = await db
      .updateTable('ra_download_credentials')
      .set({ status: 'used', used_at: now.toISOString() })
      .where('id', '=', row.id)
      .where('status', '=', 'issued')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw new SignetError('ra.credential-used', 409, {}, 'referenceNumber');
    return { ...row, status: 'used', used_at: now.toISOString() };
  }

  /** A download that failed on the subscriber's input (a bad CSR) gives the claim back, as it was. */
  async release(row: RaDownloadCredentialTable): Promise<void> {
    await this.context.db
      .updateTable('ra_download_credentials')
      .set({ status: 'issued', used_at: null })
      .where('id', '=', row.id)
      .where('status', '=', 'used')
      .execute();
  }
}
