import { Fragment, type ReactNode } from 'react';
import { api } from '../api';
import { Card, LoadError, Loading, ProfileName, useLoad } from '../components';
import { useI18n, type Locale } from '../i18n';
import { Link } from '../router';

/** The CA's contact details as the deployment published them (GET /api/v1/contact, SIGNET_CONTACT_*). */
export interface CaContact {
  name: Record<Locale, string> | null;
  phone: string | null;
  email: string | null;
  address: Record<Locale, string> | null;
  hours: Record<Locale, string> | null;
}

export const loadContact = () => api<CaContact>('/api/v1/contact');

/**
 * The contact details wherever the site tells people to contact the CA.
 * When the deployment published none, it says so instead of inventing any.
 */
export function ContactDetails({ contact }: { contact: CaContact | undefined }) {
  const { t, locale } = useI18n();
  if (!contact) return null;
  const rows: Array<[string, ReactNode]> = [];
  if (contact.name) rows.push([t('contact.name'), contact.name[locale]]);
  if (contact.phone) rows.push([t('contact.phone'), <a href={`tel:${contact.phone.replace(/[^+0-9]/g, '')}`}>{contact.phone}</a>]);
  if (contact.email) rows.push([t('contact.email'), <a href={`mailto:${contact.email}`}>{contact.email}</a>]);
  if (contact.address) rows.push([t('contact.address'), contact.address[locale]]);
  if (contact.hours) rows.push([t('contact.hours'), contact.hours[locale]]);
  if (rows.length === 0) return <p className="muted" data-testid="ca-contact-none">{t('contact.none')}</p>;
  return (
    <dl className="facts" data-testid="ca-contact">
      {rows.map(([label, value]) => (
        <Fragment key={label}>
          <dt>{label}</dt>
          <dd className="break">{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

/** A card with the contact details, for pages that tell people to contact the CA. */
export function ContactCard() {
  const { t } = useI18n();
  const contact = useLoad(loadContact, []);
  return (
    <Card title={t('contact.title')}>
      {contact.loading && !contact.data && <Loading />}
      <LoadError error={contact.error} />
      <ContactDetails contact={contact.data} />
    </Card>
  );
}

/** /contact: how to reach the CA, and where each kind of request goes. */
export function ContactPage() {
  const { t } = useI18n();
  return (
    <div className="page narrow">
      <h1>{t('contact.title')}</h1>
      <p className="lead">{t('contact.lead')}</p>
      <ContactCard />
      <Card title={t('contact.where')}>
        <ul className="plain">
          <li>
            <Link to="/portal/account/complaints">{t('contact.complaints')}</Link>
          </li>
          <li>
            <Link to="/portal/revocation">{t('contact.revocation')}</Link>
          </li>
          <li>
            <Link to="/fees">{t('public-fees.title')}</Link>
          </li>
        </ul>
      </Card>
    </div>
  );
}

interface PublicFee {
  id: string;
  raId: string;
  profileId: string;
  validityDays: number;
  amountFen: number;
  amountShown: string;
  effectiveFrom: string;
}

/**
 * /fees (R9): the fee standard in force at each registration authority, as
 * the site promises it is public. Amounts are kept in integer fen; the server
 * formats them as yuan, so no floating point touches money here.
 */
export function PublicFeesPage() {
  const { t, date } = useI18n();
  const fees = useLoad(() => api<PublicFee[]>('/api/v1/service/fees/schedules'), []);
  const ras = useLoad(() => api<Array<{ id: string; name: string }>>('/api/v1/portal/organisations'), []);
  const byRa = new Map<string, PublicFee[]>();
  for (const fee of fees.data ?? []) byRa.set(fee.raId, [...(byRa.get(fee.raId) ?? []), fee]);
  // Only RAs that accept applications are listed; a closed RA's old schedule is not an offer.
  const shown = (ras.data ?? []).filter((ra) => byRa.has(ra.id));
  return (
    <div className="page">
      <h1>{t('public-fees.title')}</h1>
      <p className="lead">{t('public-fees.lead')}</p>
      {(fees.loading || ras.loading) && !(fees.data && ras.data) && <Loading />}
      <LoadError error={fees.error ?? ras.error} />
      {fees.data && ras.data && shown.length === 0 && <p className="muted">{t('public-fees.none')}</p>}
      {shown.map((ra) => (
        <Card key={ra.id} title={ra.name}>
          <div className="table-wrap">
            <table className="responsive" data-testid="public-fees" data-ra={ra.id}>
              <thead>
                <tr>
                  <th>{t('public-fees.product')}</th>
                  <th>{t('fees.validity')}</th>
                  <th>{t('fees.amount')}</th>
                  <th>{t('fees.effective-from')}</th>
                </tr>
              </thead>
              <tbody>
                {byRa.get(ra.id)!.map((fee) => (
                  <tr key={fee.id} data-fee={fee.profileId}>
                    <td data-label={t('public-fees.product')}>
                      <ProfileName id={fee.profileId} />
                    </td>
                    <td data-label={t('fees.validity')}>{t('common.days', { n: fee.validityDays })}</td>
                    <td data-label={t('fees.amount')}>
                      <span className="money" data-fen={fee.amountFen}>
                        {fee.amountShown}
                      </span>
                    </td>
                    <td data-label={t('fees.effective-from')}>{date(fee.effectiveFrom)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      ))}
      <p className="muted small">{t('public-fees.note')}</p>
      <p>
        <Link to="/contact">{t('contact.title')}</Link>
      </p>
    </div>
  );
}
