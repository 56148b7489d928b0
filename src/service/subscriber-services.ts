import type { CertificateAuthority } from '../ca/authority.js';
import { CalendarYears, Complaints } from './complaints.js';
import type { ServiceContext } from './context.js';
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
}
