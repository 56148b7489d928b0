import { configError } from './config-error.js';

/**
 * The CA's contact details, as the site shows them wherever it tells people to
 * contact the CA (the contact page, the credential slip, revocation at the
 * counter, the footer). Set by the deployment (README, "Configuration"):
 *
 *   SIGNET_CONTACT_NAME, SIGNET_CONTACT_NAME_EN        who answers (department)
 *   SIGNET_CONTACT_PHONE                               service telephone
 *   SIGNET_CONTACT_EMAIL                               service e-mail address
 *   SIGNET_CONTACT_ADDRESS, SIGNET_CONTACT_ADDRESS_EN  postal / counter address
 *   SIGNET_CONTACT_HOURS, SIGNET_CONTACT_HOURS_EN      opening hours
 *
 * The plain variables are the Chinese texts; an `_EN` one is the English text
 * and falls back to the Chinese one. Nothing set: the site says that no
 * contact details were published rather than invent any.
 */
export interface Bilingual {
  'zh-CN': string;
  en: string;
}

export interface CaContact {
  name: Bilingual | null;
  phone: string | null;
  email: string | null;
  address: Bilingual | null;
  hours: Bilingual | null;
}

const LIMIT = 200;

function text(env: Record<string, string | undefined>, variable: string): string | null {
  const value = env[variable]?.trim();
  if (!value) return null;
  // eslint-disable-next-line no-control-regex -- a line break or control character has no place in a one-line contact detail
  if (/[\u0000-\u001f\u007f]/.test(value)) throw configError('config.contact.control-character', { variable, value });
  if ([...value].length > LIMIT) throw configError('config.contact.too-long', { variable, value, limit: LIMIT });
  return value;
}

function bilingual(env: Record<string, string | undefined>, variable: string): Bilingual | null {
  const zh = text(env, variable);
  const en = text(env, `${variable}_EN`);
  if (!zh && !en) return null;
  return { 'zh-CN': zh ?? en!, en: en ?? zh! };
}

/** Reads SIGNET_CONTACT_*; a malformed value stops the start with the variable's name. */
export function contactFrom(env: Record<string, string | undefined>): CaContact {
  const phone = text(env, 'SIGNET_CONTACT_PHONE');
  if (phone && !/^\+?[0-9][0-9 ()-]{2,30}(?:\s*(?:转|ext\.?)\s*[0-9]{1,6})?$/.test(phone)) {
    throw configError('config.contact.phone-invalid', { variable: 'SIGNET_CONTACT_PHONE', value: phone });
  }
  const email = text(env, 'SIGNET_CONTACT_EMAIL');
  if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw configError('config.contact.email-invalid', { variable: 'SIGNET_CONTACT_EMAIL', value: email });
  return {
    name: bilingual(env, 'SIGNET_CONTACT_NAME'),
    phone,
    email,
    address: bilingual(env, 'SIGNET_CONTACT_ADDRESS'),
    hours: bilingual(env, 'SIGNET_CONTACT_HOURS'),
  };
}
