import { afterAll, describe, expect, it } from 'vitest';
import { openTestSignet } from '../ca/test-support/ca-fixture.js';
import { buildServer } from '../http/server.js';
import { dropFreshStores } from '../store/test-support/store-backends.js';
import { contactFrom } from './contact.js';
import { loadConfig } from './settings.js';

afterAll(dropFreshStores);

describe("the CA's contact details, from SIGNET_CONTACT_* (issue 20)", () => {
  it('reads the Chinese texts and their English forms, falling back to the Chinese one', () => {
    const contact = contactFrom({ SIGNET_CONTACT_PHONE: '400-810-0000', SIGNET_CONTACT_EMAIL: 'service@ca.example.cn', SIGNET_CONTACT_ADDRESS: '北京市西城区示例路 1 号', SIGNET_CONTACT_HOURS: '工作日 9:00–17:00', SIGNET_CONTACT_HOURS_EN: 'Working days 9:00–17:00' });
    expect(contact).toEqual({
      name: null,
      phone: '400-810-0000',
      email: 'service@ca.example.cn',
      address: { 'zh-CN': '北京市西城区示例路 1 号', en: '北京市西城区示例路 1 号' },
      hours: { 'zh-CN': '工作日 9:00–17:00', en: 'Working days 9:00–17:00' },
    });
  });

  it('publishes nothing it was not given', () => {
    expect(contactFrom({})).toEqual({ name: null, phone: null, email: null, address: null, hours: null });
    expect(loadConfig({ SIGNET_DATA: '/tmp/signet-contact-none', SIGNET_CONTACT_EMAIL: '' }).contact.email).toBeNull();
  });

  it.each([
    ['SIGNET_CONTACT_PHONE', 'call us', 'SIGNET_CONTACT_PHONE must be a telephone number (digits, spaces, +, -, parentheses; e.g. 400-000-0000 or +86 10 1234 5678), not "call us"'],
    ['SIGNET_CONTACT_EMAIL', 'service at ca', 'SIGNET_CONTACT_EMAIL must be an e-mail address, not "service at ca"'],
    ['SIGNET_CONTACT_ADDRESS', '第一行\n第二行', 'SIGNET_CONTACT_ADDRESS contains a control character or line break: "第一行\\n第二行"'],
    ['SIGNET_CONTACT_NAME', '很'.repeat(201), `SIGNET_CONTACT_NAME is longer than 200 characters: "${'很'.repeat(80)}…"`],
  ])('stops the start on a malformed %s, naming it', (variable, value, message) => {
    expect(() => contactFrom({ [variable]: value })).toThrow(message);
  });

  it('answers GET /api/v1/contact without credentials, as the web pages read it', async () => {
    const t = await openTestSignet('sqlite', { env: { SIGNET_CONTACT_PHONE: '+86 10 6666 8888', SIGNET_CONTACT_NAME: '客户服务部', SIGNET_CONTACT_NAME_EN: 'Customer service' } });
    const app = await buildServer(t.signet, { logger: false });
    try {
      const response = await app.inject({ method: 'GET', url: '/api/v1/contact' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ name: { 'zh-CN': '客户服务部', en: 'Customer service' }, phone: '+86 10 6666 8888', email: null, address: null, hours: null });
    } finally {
      await app.close();
      await t.signet.close();
    }
  });
});
