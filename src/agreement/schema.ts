/** Agreement versions and who accepted which, how and when (R0). */
export interface AgreementVersionTable {
  /** The version id people cite, e.g. 2022-08. */
  id: string;
  title: string;
  text: string;
  text_sha256: string;
  /** From this moment the version is the current one (until a later one is published). */
  published_at: string;
  published_by: string;
  /** English title and text (0610); the zh-CN text is `text`. Null for versions published before. */
  title_en?: string | null;
  text_en?: string | null;
  /** When the version takes effect (0610); null means at publication. */
  effective_at?: string | null;
}

export interface AgreementAcceptanceTable {
  id: string;
  version_id: string;
  subscriber_id: string;
  /** The RA where it was accepted (no foreign key: the agreement domain does not depend on the RA's tables). */
  ra_id: string | null;
  /** R0: explicit consent, certificate download, or first use; R19: deemed by continued use a month after publication. */
  channel: 'explicit' | 'download' | 'first-use' | 'deemed';
  accepted_at: string;
  client_address: string | null;
  recorded_by: string;
}

/** The CPS and notices, published like agreement versions (R11). */
export interface AgreementDocumentTable {
  /** `<kind>:<version>`. */
  id: string;
  kind: 'cps' | 'notice';
  version: string;
  title_zh: string;
  title_en: string;
  text_zh: string;
  text_en: string;
  /** SHA-256 over the zh-CN text, a NUL, and the en text. */
  text_sha256: string;
  effective_at: string;
  published_at: string;
  published_by: string;
}

/** A subscriber's written objection to a new version within its month (R19): kept for ever, with what it revoked. */
export interface AgreementObjectionTable {
  id: string;
  version_id: string;
  subscriber_id: string;
  received_at: string;
  /** The letter's reference (registered mail number, scanned document id). */
  written_reference: string;
  statement: string;
  /** JSON list of the serials revoked (cessationOfOperation). */
  revoked_serials: string;
  recorded_at: string;
  recorded_by: string;
}

export interface AgreementTables {
  agreement_versions: AgreementVersionTable;
  agreement_acceptances: AgreementAcceptanceTable;
  agreement_documents: AgreementDocumentTable;
  agreement_objections: AgreementObjectionTable;
}
