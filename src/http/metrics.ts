import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What /metrics renders in the Prometheus text format, one set per server
 * (never module state: two servers in one process count their own).
 * `runtime` adds prom-client's process figures (CPU, memory, GC, event loop);
 * their collectors cannot be stopped, so only the process's entry point
 * (`signet serve`) asks for them, once.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly certificatesIssued = new Counter({
    name: 'signet_certificates_issued_total',
    help: 'Certificates issued through the API, by profile',
    labelNames: ['profile'],
    registers: [this.registry],
  });

  constructor(options: { runtime?: boolean } = {}) {
    if (options.runtime) collectDefaultMetrics({ register: this.registry, prefix: 'signet_' });
  }
}
