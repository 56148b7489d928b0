/**
 * ACME problem documents (RFC 8555 §6.7): errors are typed inside the domain and
 * rendered as `application/problem+json` only at the HTTP edge. Their `detail`
 * is English (the RFC's clients show it to operators as is).
 */
export const ACME_ERROR_TYPES = [
  'accountDoesNotExist',
  'alreadyRevoked',
  'badCSR',
  'badNonce',
  'badPublicKey',
  'badRevocationReason',
  'badSignatureAlgorithm',
  'caa',
  'compound',
  'connection',
  'dns',
  'externalAccountRequired',
  'incorrectResponse',
  'invalidContact',
  'malformed',
  'orderNotReady',
  'rateLimited',
  'rejectedIdentifier',
  'serverInternal',
  'tls',
  'unauthorized',
  'unsupportedContact',
  'unsupportedIdentifier',
  'userActionRequired',
  'conflict',
  'invalidProfile',
] as const;

export type AcmeErrorType = (typeof ACME_ERROR_TYPES)[number];

export interface Identifier {
  type: 'dns';
  value: string;
}

export interface AcmeSubproblem {
  type: string;
  detail: string;
  identifier: Identifier;
}

export interface AcmeProblemDocument {
  type: string;
  detail: string;
  status: number;
  subproblems?: AcmeSubproblem[];
  algorithms?: string[];
}

/** The status each type answers with (RFC 8555 §6.7; Boulder's choices where the RFC leaves it open). */
const STATUS: Partial<Record<AcmeErrorType, number>> = {
  accountDoesNotExist: 400,
  unauthorized: 403,
  orderNotReady: 403,
  rateLimited: 429,
  serverInternal: 500,
  conflict: 409,
  externalAccountRequired: 400,
};

export class AcmeProblem extends Error {
  readonly status: number;
  constructor(
    readonly kind: AcmeErrorType,
    detail: string,
    options: { status?: number; subproblems?: AcmeSubproblem[]; algorithms?: string[]; retryAfterSeconds?: number; location?: string } = {},
  ) {
    super(detail);
    this.name = 'AcmeProblem';
    this.status = options.status ?? STATUS[kind] ?? 400;
    this.subproblems = options.subproblems;
    this.algorithms = options.algorithms;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.location = options.location;
  }
  readonly subproblems?: AcmeSubproblem[];
  readonly algorithms?: string[];
  /** For rateLimited: the Retry-After header. */
  readonly retryAfterSeconds?: number;
  /** For a key already in use (key-change, RFC 8555 §7.3.5): the account it belongs to. */
  readonly location?: string;

  document(): AcmeProblemDocument {
    return {
      type: problemType(this.kind),
      detail: this.message,
      status: this.status,
      ...(this.subproblems ? { subproblems: this.subproblems } : {}),
      ...(this.algorithms ? { algorithms: this.algorithms } : {}),
    };
  }
}

export function problemType(kind: AcmeErrorType): string {
  return `urn:ietf:params:acme:error:${kind}`;
}

export const malformed = (detail: string) => new AcmeProblem('malformed', detail);
export const unauthorized = (detail: string) => new AcmeProblem('unauthorized', detail);
