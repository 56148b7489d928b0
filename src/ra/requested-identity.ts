import { AsnConvert } from '@peculiar/asn1-schema';
import type { CertificationRequest } from '@peculiar/asn1-csr';
import { id_pkcs9_at_extensionRequest, ExtensionRequest } from '@peculiar/asn1-pkcs9';
import { GeneralNames, id_ce_subjectAltName, type Extension, type Name } from '@peculiar/asn1-x509';
import { SignetError } from '../i18n/signet-error.js';

/** What the officer reviewed, as the certificate will say it: the subject Name and the e-mail SANs. */
export interface ReviewedIdentity {
  subject: Name;
  emails: readonly string[];
}

function refused(name: string): SignetError {
  return new SignetError('ra.unreviewed-identity', 403, { name: name.slice(0, 200) }, 'csr');
}

/**
 * The standard doors (EST, CMP, SCEP) take a request whose client fills in a
 * subject and SANs. The certificate still says only what the RA reviewed
 * (certificate-subject.ts); a request that names anything else is refused
 * rather than silently rewritten, so a device asking for an identity it was
 * not given hears so (issue 21: unauthorized identifiers get the protocol's
 * error). An empty subject, or any subset of the reviewed attributes with the
 * same values, is accepted.
 */
export function checkRequestedIdentity(request: RequestedNames, reviewed: ReviewedIdentity): void {
  const allowed = new Set<string>();
  for (const rdn of reviewed.subject) for (const atv of rdn) allowed.add(`${atv.type}=${atv.value.toString()}`);
  for (const rdn of request.subject) {
    for (const atv of rdn) {
      const asked = `${atv.type}=${atv.value.toString()}`;
      if (!allowed.has(asked)) throw refused(asked);
    }
  }
  const emails = new Set(reviewed.emails.map((e) => e.toLowerCase()));
  for (const extension of request.extensions) {
    if (extension.extnID !== id_ce_subjectAltName) continue;
    for (const name of parsed(extension.extnValue, GeneralNames)) {
      if (name.rfc822Name !== undefined && emails.has(name.rfc822Name.toLowerCase())) continue;
      const [kind, value] = Object.entries(name).find(([, v]) => v !== undefined) ?? ['name', '?'];
      throw refused(`${kind}:${typeof value === 'string' ? value : '…'}`);
    }
  }
}

/** The names a request asks for: its subject and the extensions it requests (PKCS#10 extensionRequest, CRMF template). */
export interface RequestedNames {
  subject: Name;
  extensions: readonly Extension[];
}

/** What a PKCS#10 request names (RFC 2986, RFC 2985 §5.4.2 extensionRequest). */
export function namesInRequest(request: CertificationRequest): RequestedNames {
  const extensions: Extension[] = [];
  for (const attribute of request.certificationRequestInfo.attributes) {
    if (attribute.type !== id_pkcs9_at_extensionRequest) continue;
    for (const value of attribute.values) extensions.push(...parsed(value, ExtensionRequest));
  }
  return { subject: request.certificationRequestInfo.subject, extensions };
}

/** A requested extension that does not parse is the request's fault (400), not the server's. */
function parsed<T>(der: ArrayBuffer | ArrayBufferView, type: new () => T): T {
  try {
    return AsnConvert.parse(der as ArrayBuffer, type);
  } catch (error) {
    throw new SignetError('request.malformed-csr', 400, { detail: `extensionRequest: ${(error as Error).message}`.slice(0, 200) }, 'csr');
  }
}
