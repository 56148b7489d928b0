import type { ReactNode } from 'react';
import { useI18n } from './i18n';
import { keyAlgorithmWords } from './words';

/**
 * Identifiers as a reader should meet them (issue 20): in words where there
 * are words, and where the identifier itself is the thing (a distinguished
 * name, a username, a record number) set as code, so that it reads as
 * something to copy rather than a sentence.
 */

export function KeyAlgorithm({ id }: { id: string }) {
  const { locale } = useI18n();
  const words = keyAlgorithmWords(id, locale);
  return words === id ? <code>{id}</code> : <>{words}</>;
}

/** A distinguished name (subject, issuer): written as in the certificate (RFC 4514), so as code. */
export function Dn({ value }: { value: string | null | undefined }) {
  if (!value) return <>—</>;
  return <code className="dn break">{value}</code>;
}

/**
 * Who did something, from the audit-style actor the API gives
 * (`operator:wang`, `subscriber:self-registration`, `subscriber:sub-…`,
 * `ca-admin-token`): the kind in words, the name as code.
 */
export function Actor({ id }: { id: string | null | undefined }) {
  const { t } = useI18n();
  if (!id) return <>—</>;
  const [kind, ...rest] = id.split(':');
  const name = rest.join(':');
  if (kind === 'operator' && name === 'admin-token') return <>{t('actor.admin-token')}</>;
  if (kind === 'operator' && name) return <Said words={t('actor.operator')} name={name} />;
  if (kind === 'subscriber' && name === 'self-registration') return <>{t('actor.self-registration')}</>;
  if (kind === 'subscriber') return <>{t('actor.subscriber')}</>;
  if (kind === 'admin-token' || kind === 'ca-admin-token' || id === 'admin') return <>{t('actor.admin-token')}</>;
  return <code>{id}</code>;
}

function Said({ words, name }: { words: string; name: ReactNode }) {
  return (
    <>
      {words} <code>{name}</code>
    </>
  );
}

/** A server's text that names identifiers (CA ids, a `signet …` command): those set as code, the words around them as they are. */
export function WithCodes({ text, ids }: { text: string; ids: readonly string[] }) {
  const escaped = ids.filter(Boolean).map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(signet(?: [a-z][a-z0-9-]*)+${escaped.map((id) => `|${id}`).join('')})`, 'g');
  return (
    <>
      {text.split(pattern).map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part))}
    </>
  );
}
