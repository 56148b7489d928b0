import { join } from 'node:path';
import type { SignetConfig } from '../config/settings.js';
import type { Locale } from '../i18n/locale.js';
import { translate } from '../i18n/messages.js';
import type { DevelopmentDeployment } from './development.js';

/**
 * What `npm start` prints once the server listens: where to go and how to sign
 * in. The passwords appear only on the start that generated them; later starts
 * name the file that keeps them.
 */
export function developmentWelcome(deployment: DevelopmentDeployment, config: SignetConfig, baseUrl: string, locale: Locale): string {
  const say = (code: Parameters<typeof translate>[0], params: Record<string, unknown> = {}) => translate(code, locale, params);
  const lines = [
    say('deployment.welcome-title'),
    `  ${say('deployment.portal', { url: `${baseUrl}/portal/register` })}`,
    `  ${say('deployment.console', { url: `${baseUrl}/console` })}`,
    `  ${say('deployment.api-docs', { url: `${baseUrl}/api/docs` })}`,
  ];
  if (deployment.created) {
    for (const operator of deployment.operators) {
      const who = operator.role === 'ca-admin' ? say('deployment.who.ca-admin') : say('deployment.who.ra-officer', { ra: deployment.raName });
      lines.push(`  ${say('deployment.operator', { who, username: operator.username, password: operator.password })}`);
    }
    lines.push(`  ${say('deployment.passwords-once', { file: deployment.credentialsFile })}`);
  } else {
    lines.push(`  ${say('deployment.passwords-file', { file: deployment.credentialsFile })}`);
  }
  if (!process.env.SIGNET_ADMIN_TOKEN && !process.env.SIGNET_ADMIN_TOKEN_FILE) {
    lines.push(`  ${say('deployment.admin-token', { file: join(config.dataDir, 'admin-token') })}`);
  }
  lines.push(`  ${say('deployment.next')}`);
  return lines.join('\n');
}
