import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process; /metrics renders it in the Prometheus text format. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'signet_' });

export const certificatesIssued = new Counter({
  name: 'signet_certificates_issued_total',
  help: 'Certificates issued through the API, by profile',
  labelNames: ['profile'],
  registers: [registry],
});
