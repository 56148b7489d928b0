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
}

export interface AgreementAcceptanceTable {
  id: string;
  version_id: string;
  subscriber_id: string;
  /** The RA where it was accepted (no foreign key: the agreement domain does not depend on the RA's tables). */
  ra_id: string | null;
  /** R0: explicit consent, certificate download, or first use. */
  channel: 'explicit' | 'download' | 'first-use';
  accepted_at: string;
  client_address: string | null;
  recorded_by: string;
}

export interface AgreementTables {
  agreement_versions: AgreementVersionTable;
  agreement_acceptances: AgreementAcceptanceTable;
}
