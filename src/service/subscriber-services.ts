import type { CertificateAuthority } from '../ca/authority.js';
import { CalendarYears, Complaints } from './complaints.js';
import { audit, type ServiceContext } from './context.js';
import { Fees } from './fees.js';
import { LiabilityRegister } from './liability.js';
import { NotificationOutbox } from './notification-outbox.js';
import { PersonalDataCipher } from './personal-data.js';
import { Retention, retentionYearsFrom } from './retention.js';
import { serviceDb } from './schema.js';

export interface SubscriberServicesOptions {
  ca: CertificateAuthority;
  personalData: PersonalDataCipher;
  retentionYears?: number;
  clock?: () => Date;
}

/**
 * The service domain's API: the promises around the certificate that are not
 * cryptography: complaints (R12), fees (R9), liability (R17), retention of
 * personal data (R2), and the outbox that tells subscribers about them.
 */
export class SubscriberServices {
  readonly context: ServiceContext;
  readonly outbox: NotificationOutbox;
  readonly calendars: CalendarYears;
  readonly complaints: Complaints;
  readonly liability: LiabilityRegister;
  readonly fees: Fees;
  readonly retention: Retention;

  constructor(options: SubscriberServicesOptions) {
    this.context = {
      store: options.ca.store,
      db: serviceDb(options.ca.store),
      ca: options.ca,
      personalData: options.personalData,
      clock: options.clock ?? (() => options.ca.now()),
    };
    this.outbox = new NotificationOutbox(this.context);
    this.calendars = new CalendarYears(this.context);
    this.complaints = new Complaints(this.context, this.calendars, this.outbox);
    this.liability = new LiabilityRegister(this.context);
    this.fees = new Fees(this.context, this.outbox);
    this.retention = new Retention(this.context, options.retentionYears ?? retentionYearsFrom(process.env));
  }

  /**
   * Key rotation (R2): every personal field this domain keeps that was sealed
   * under an older key is sealed again under the current one. Old keys can
   * leave the configuration once this reports nothing left.
   */
  async resealPersonalData(actor = 'system:pii-rotation'): Promise<{ complaints: number; claims: number; notifications: number }> {
    const pd = this.context.personalData;
    const counts = { complaints: 0, claims: 0, notifications: 0 };
    const notifications = await this.context.db.selectFrom('service_notifications').select(['id', 'subject_zh', 'subject_en', 'body_zh', 'body_en']).execute();
    const complaints = await this.context.db.selectFrom('service_complaints').select(['id', 'complainant', 'description']).execute();
    const claims = await this.context.db.selectFrom('service_liability_claims').select(['id', 'claimant', 'description']).execute();
    const now = this.context.clock();
    await this.context.db.transaction().execute(async (trx) => {
      for (const row of complaints) {
        if (!(row.complainant && pd.needsRotation(row.complainant)) && !(row.description && pd.needsRotation(row.description))) continue;
        await trx
          .updateTable('service_complaints')
          .set({
            complainant: row.complainant ? pd.reseal(row.complainant, `complaint:${row.id}`) : null,
            description: row.description ? pd.reseal(row.description, `complaint:${row.id}:description`) : null,
          })
          .where('id', '=', row.id)
          .execute();
        counts.complaints += 1;
      }
      for (const row of claims) {
        if (!(row.claimant && pd.needsRotation(row.claimant)) && !(row.description && pd.needsRotation(row.description))) continue;
        await trx
          .updateTable('service_liability_claims')
          .set({
            claimant: row.claimant ? pd.reseal(row.claimant, `claim:${row.id}`) : null,
            description: row.description ? pd.reseal(row.description, `claim:${row.id}:description`) : null,
          })
          .where('id', '=', row.id)
          .execute();
        counts.claims += 1;
      }
      for (const row of notifications) {
        const parts = { subject_zh: 'subject-zh', subject_en: 'subject-en', body_zh: 'body-zh', body_en: 'body-en' } as const;
        if (Object.keys(parts).every((column) => { const v = row[column as keyof typeof parts]; return v.startsWith('pd1.') && !pd.needsRotation(v); })) continue;
        const set: Record<string, string> = {};
        for (const [column, part] of Object.entries(parts)) {
          const stored = row[column as keyof typeof parts];
          const context = `service-notification:${row.id}:${part}`;
          set[column] = pd.seal(stored.startsWith('pd1.') ? pd.open(stored, context) : stored, context);
        }
        await trx.updateTable('service_notifications').set(set).where('id', '=', row.id).execute();
        counts.notifications += 1;
      }
      await audit(this.context, trx, { actor, action: 'service.personal-data-resealed', target: `pii-key:${pd.currentKeyId}`, details: counts }, now);
    });
    return counts;
  }
}
