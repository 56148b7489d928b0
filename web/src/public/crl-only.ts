import { api } from '../api';
import { useLoad } from '../components';
import type { Authority } from './repository-page';

/**
 * Whether the deployment is CRL-only (SIGNET_CRL_ONLY): no CA names an OCSP responder (GET /api/v1/cas, ocspUrl
 * null), so pages that speak of revocation speak of the CRL. False until known, and if the list cannot be had.
 */
export function useCrlOnly(): boolean {
  const cas = useLoad(() => api<{ items: Authority[] }>('/api/v1/cas'), []);
  return !!cas.data && cas.data.items.length > 0 && !cas.data.items.some((a) => a.ocspUrl !== null);
}
