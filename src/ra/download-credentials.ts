import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { SignetError } from '../i18n/signet-error.js';
import { audit, DAY_MS, type RaContext } from './context.js';
import type { RaDownloadCredentialTable, RaTx } from './schema.js';
import { AttemptCounter } from './attempts.js';
import { decoyHash, hashSecret, randomCode, randomDigits, verifySecret } from './secrets.js';

/** The one answer for every credential that is not proven: nothing about whether it exists or its state. */
function refused(max: number): SignetError {
  return new SignetError('ra.credential-refused', 403, { max }, 'authorizationCode');
}

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
  private readonly attempts: AttemptCounter;

  constructor(private readonly context: RaContext) {
    this.attempts = new AttemptCounter(context.db, context.clock);
  }

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
        code_sealed: this.context.personalData?.seal(authorizationCode, `credential-code:${id}`) ?? null,
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
   * 'used' and nobody else can claim it.
   *
   * The attempt is counted before the code is evaluated (attempts.ts): of any
   * number of parallel guesses at most credentialMaxAttempts are looked at,
   * and a wrong code on the last one locks. Whoever does not prove the code
   * learns nothing: an unknown reference, a wrong code, and a used, locked,
   * replaced or expired credential get the same answer after the same work
   * (one scrypt evaluation). Only the right code hears why it cannot be used.
   *
   * `interrupted` is asked when the right code finds the credential claimed by
   * a download that never finished (a crash): it settles that download and
   * says whether the credential is free again.
   */
  /** Forgets the counts of credentials that are locked or gone: those are refused before any code is looked at (issue 16). */
  async pruneAttempts(): Promise<number> {
    return this.attempts.pruneDead('credential:', (id) => sql<boolean>`EXISTS (SELECT 1 FROM ra_download_credentials c WHERE c.id = ${id} AND c.status <> 'locked')`);
  }

  async claim(
    referenceNumberInput: unknown,
    authorizationCode: unknown,
    interrupted?: (row: RaDownloadCredentialTable) => Promise<boolean>,
  ): Promise<RaDownloadCredentialTable> {
    const code = typeof authorizationCode === 'string' ? authorizationCode.replace(/[\s-]/g, '').toUpperCase() : '';
    return this.claimProven(referenceNumberInput, (row) => verifySecret(code, row?.code_hash ?? ''), interrupted);
  }

  /**
   * claim() for a door that proves the code without sending it: CMP's
   * password-based MAC (RFC 4210 §5.1.3.1). `proves` gets the code (opened
   * from its seal) and says whether the message's MAC was made with it. The
   * same attempt count, locking and answers as claim().
   */
  async claimWithMac(
    referenceNumberInput: unknown,
    proves: (code: string) => boolean,
    interrupted?: (row: RaDownloadCredentialTable) => Promise<boolean>,
  ): Promise<RaDownloadCredentialTable> {
    return this.claimProven(referenceNumberInput, async (row) => {
      // A MAC is cheap to check: the scrypt claim() spends is spent here too, so timing tells nothing apart.
      await verifySecret('', await decoyHash());
      const code = row ? this.sealedCode(row) : null;
      return code !== null && proves(code);
    }, interrupted);
  }

  /** The code of a credential a door already claimed, to protect its answers with the same MAC (null without a seal). */
  sealedCode(row: RaDownloadCredentialTable): string | null {
    if (!row.code_sealed || !this.context.personalData) return null;
    try {
      return this.context.personalData.open(row.code_sealed, `credential-code:${row.id}`);
    } catch {
      return null;
    }
  }

  /** A claimed credential by id, for a door continuing a transaction it started (CMP certConf). */
  async byId(id: string): Promise<RaDownloadCredentialTable | undefined> {
    return this.context.db.selectFrom('ra_download_credentials').selectAll().where('id', '=', id).executeTakeFirst();
  }

  private async claimProven(
    referenceNumberInput: unknown,
    proven: (row: RaDownloadCredentialTable | undefined) => Promise<boolean>,
    interrupted?: (row: RaDownloadCredentialTable) => Promise<boolean>,
  ): Promise<RaDownloadCredentialTable> {
    const { db, settings } = this.context;
    const referenceNumber = typeof referenceNumberInput === 'string' ? referenceNumberInput.replace(/\s+/g, '') : '';
    const row = /^\d{16}$/.test(referenceNumber)
      ? await db.selectFrom('ra_download_credentials').selectAll().where('reference_number', '=', referenceNumber).executeTakeFirst()
      : undefined;
    const taken = row ? await this.attempts.take(`credential:${row.id}`, { limit: settings.credentialMaxAttempts }) : null;
    if (!row || !taken || row.status === 'locked') {
      // The same work for a credential that cannot be tried as for one that can.
      await verifySecret('', await decoyHash());
      throw refused(settings.credentialMaxAttempts);
    }
    const now = this.context.clock();
    if (!(await proven(row))) {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('ra_download_credentials')
          .set({ failed_attempts: taken.attempt, ...(taken.last ? { status: 'locked' as const } : {}) })
          .where('id', '=', row.id)
          .where('failed_attempts', '<', taken.attempt)
          .where('status', '=', 'issued')
          .execute();
        await audit(
          this.context,
          trx,
          { actor: 'subscriber:credential-holder', action: taken.last ? 'ra.credential-locked' : 'ra.credential-wrong-code', target: `application:${row.application_id}`, details: { credential: row.id, attempts: taken.attempt } },
          now,
        );
      });
      throw refused(settings.credentialMaxAttempts);
    }
    // The code is right: the holder may hear what stands in the way. The count is not forgotten here: a
    // credential serves one download, so guesses racing this one stay within the limit whatever the order.
    // It is forgotten only where the credential becomes usable again: release(), also after a settled crash.
    if (row.status === 'used' && interrupted && (await interrupted(row))) {
      return this.claimProven(referenceNumberInput, proven);
    }
    const used = () => new SignetError('ra.credential-used', 409, {}, 'referenceNumber');
    const standing =
      row.status === 'used'
        ? used()
        : row.status === 'superseded'
          ? new SignetError('ra.credential-superseded', 410, {}, 'referenceNumber')
          : row.expires_at <= now.toISOString()
            ? new SignetError('ra.credential-expired', 410, { expiredAt: row.expires_at }, 'referenceNumber')
            : null;
    if (!standing) {
      // Claimed atomically: of two simultaneous downloads with the same credential, one wins.
      const claimed = await db
        .updateTable('ra_download_credentials')
        .set({ status: 'used', used_at: now.toISOString() })
        .where('id', '=', row.id)
        .where('status', '=', 'issued')
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 1) return { ...row, status: 'used', used_at: now.toISOString() };
      // The last wrong guess of a burst locked it while this code was being checked: the lock stands, and the
      // holder hears what every caller of a locked credential hears.
      const current = await db.selectFrom('ra_download_credentials').select('status').where('id', '=', row.id).executeTakeFirst();
      if (current?.status === 'locked') throw refused(settings.credentialMaxAttempts);
    }
    // The right code claimed nothing: it gives back its own place (it guessed nothing), and only its own, so
    // the holder may ask again and hear why; the count is as it was before this request.
    await this.attempts.giveBack(`credential:${row.id}`);
    throw standing ?? used();
  }

  /**
   * Claims the application's live credential without its code, for a door
   * where the holder proved the certificate being replaced instead
   * (Downloads.withCertificateProof). Atomic like claim(): of two, one wins.
   */
  async claimForApplication(applicationId: string): Promise<RaDownloadCredentialTable> {
    const now = this.context.clock().toISOString();
    const row = await this.context.db
      .selectFrom('ra_download_credentials')
      .selectAll()
      .where('application_id', '=', applicationId)
      .where('status', '=', 'issued')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    const claimed = row
      ? await this.context.db
          .updateTable('ra_download_credentials')
          .set({ status: 'used', used_at: now })
          .where('id', '=', row.id)
          .where('status', '=', 'issued')
          .executeTakeFirst()
      : undefined;
    if (!row || Number(claimed?.numUpdatedRows) !== 1) throw new SignetError('ra.credential-used', 409, {}, 'referenceNumber');
    return { ...row, status: 'used', used_at: now };
  }

  /**
   * A download that failed on the subscriber's input (a bad CSR) gives the
   * claim back, as it was. The holder proved the code, so its count starts
   * again: the holder's next try is not refused for the typos before it.
   */
  async release(row: RaDownloadCredentialTable): Promise<boolean> {
    const released = await this.context.db
      .updateTable('ra_download_credentials')
      .set({ status: 'issued', used_at: null })
      .where('id', '=', row.id)
      .where('status', '=', 'used')
      // Only the claim this caller made: a later claim of the same credential is not undone.
      .where('used_at', row.used_at === null ? 'is' : '=', row.used_at)
      .executeTakeFirst();
    if (Number(released.numUpdatedRows) !== 1) return false;
    await this.attempts.clear(`credential:${row.id}`);
    return true;
  }
}
